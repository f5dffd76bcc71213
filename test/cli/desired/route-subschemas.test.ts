/**
 * Kong 3.x checks each route against the subschema of its protocols
 * (kong/db/schema/entities/routes_subschemas.lua), with the traditional and traditional_compatible
 * routers; `GET /schemas/routes` does not show those rules, so kong-ctl knows them. An http(s)
 * route must match on something, a stream route may not set paths, a gRPC route may not strip its
 * path, an http route may not set sources. The expressions router has none of these rules.
 */
import { describe, expect, it } from 'vitest';
import { nockSession } from '../commands/nock-session';
import { ADMIN, recordedNode } from '../commands/recorded-node';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-route-subschemas-', { unaskedAllowed: true });

const head = `_format_version: "3.0"\nservices:\n- name: s\n  url: http://x\n  routes:\n`;
const REFUSED: Array<[string, string, string]> = [
  ['an http route matching nothing', `  - name: r\n    protocols: [http]\n`, `:6:5: error: services[0].routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'`],
  ['a route with the default protocols matching nothing', `  - name: r\n    strip_path: false\n`, `:6:5: error: services[0].routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'`],
  ['a tcp route with paths', `  - name: r\n    protocols: [tcp]\n    paths: [/a]\n    destinations: [{port: 80}]\n`, `:8:5: error: services[0].routes[0]: paths: cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'`],
  ['a grpc route with strip_path: true', `  - name: r\n    protocols: [grpc]\n    paths: [/g]\n    strip_path: true\n`, `:9:5: error: services[0].routes[0]: strip_path: cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'`],
  ['an http route with sources', `  - name: r\n    protocols: [http]\n    paths: [/h]\n    sources: [{ip: 10.0.0.1}]\n`, `:9:5: error: services[0].routes[0]: sources: cannot set 'sources' when 'protocols' is 'http' or 'https'`],
  ['a tls_passthrough route without snis', `  - name: r\n    protocols: [tls_passthrough]\n    destinations: [{port: 443}]\n`, `:6:5: error: services[0].routes[0]: must set snis when 'protocols' is 'tls_passthrough'`],
];
const ACCEPTED: Array<[string, string]> = [
  ['an https route matching on snis only', `  - name: r\n    protocols: [https]\n    snis: [api.example.com]\n`],
  ['a grpc route that leaves strip_path out', `  - name: r\n    protocols: [grpc]\n    paths: [/g]\n`],
  ['a tcp route on a destination port', `  - name: r\n    protocols: [tcp]\n    destinations: [{port: 9000}]\n`],
];

describe('validate: route protocol subschemas', () => {
  it.each(REFUSED)('offline refuses %s, at its line', async (name, route, expected) => {
    const f = session.write(`${name.replace(/\W+/g, '-')}.yaml`, head + route);
    const r = await runCli(['validate', '-f', f]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`${f}${expected}`);
  });

  it.each(REFUSED)('--online refuses %s', async (name, route) => {
    const f = session.write(`online-${name.replace(/\W+/g, '-')}.yaml`, head + route);
    recordedNode();
    const r = await runCli(['validate', '--online', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
  });

  it.each(ACCEPTED)('accepts %s', async (name, route) => {
    const f = session.write(`ok-${name.replace(/\W+/g, '-')}.yaml`, head + route);
    const r = await runCli(['validate', '-f', f]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('leaves them to a node on the expressions router, which has none of them', async () => {
    const f = session.write('expressions.yaml', head + REFUSED[0][1]);
    recordedNode({ routerFlavor: 'expressions' });
    const r = await runCli(['validate', '--online', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
