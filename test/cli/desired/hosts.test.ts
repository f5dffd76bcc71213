/**
 * Kong's host validators are Lua custom validators its /schemas answers do not show
 * (kong/tools/ip.lua normalize_ip, typedefs validate_host, targets' validate_target, upstreams'
 * validate_name): validate used to report such files valid, and Kong refused them at apply.
 * Refused here at their file:line, offline and --online; what Kong accepts stays accepted.
 */
import { describe, expect, it } from 'vitest';
import { normalizeIp, routeHostCustomProblem } from '../../../cli/src/kinds/kong-ip';
import { nockSession } from '../commands/nock-session';
import { ADMIN, recordedNode } from '../commands/recorded-node';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-hosts-hosts-', { unaskedAllowed: true });

const target = (t: string) => `_format_version: "3.0"\nupstreams:\n- name: up\n  targets:\n  - target: "${t}"\n`;
const FILES: Array<[string, string, string]> = [
  ['target 10.0.0.1:99999', target('10.0.0.1:99999'), '5:13'],
  ['target 10.0.0.300:80', target('10.0.0.300:80'), '5:13'],
  ['target "not a host!"', target('not a host!'), '5:13'],
  ['service host "bad host!"', `_format_version: "3.0"\nservices:\n- name: s\n  host: "bad host!"\n`, '4:9'],
  ['upstream name "up stream!"', `_format_version: "3.0"\nupstreams:\n- name: "up stream!"\n`, '3:9'],
  ['route host "*.exa mple.com"', `_format_version: "3.0"\nroutes:\n- name: r\n  hosts: ["*.exa mple.com"]\n`, '4:11'],
  ['route host "api.example.com:99999"', `_format_version: "3.0"\nroutes:\n- name: r\n  hosts: ["api.example.com:99999"]\n`, '4:11'],
];

describe('validate: hosts Kong refuses', () => {
  it.each(FILES)('offline refuses %s', async (_what, text, at) => {
    const f = session.write('h.yaml', text);
    const r = await runCli(['validate', '-f', f]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`${f}:${at}: error:`);
  });

  it.each(FILES)('--online refuses %s', async (_what, text) => {
    const f = session.write('online.yaml', text);
    recordedNode();
    const r = await runCli(['validate', '--online', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
  });
});

describe("Kong's normalize_ip, as kong-ctl reads it", () => {
  it.each([
    ['example.com', { type: 'name', host: 'example.com' }],
    ['example.com.', { type: 'name', host: 'example.com.' }],
    ['my_service.internal:8080', { type: 'name', host: 'my_service.internal', port: 8080 }],
    ['-edge.example.com', { type: 'name', host: '-edge.example.com' }],
    ['010.000.000.001:80', { type: 'ipv4', host: '10.0.0.1', port: 80 }],
    ['::1', { type: 'ipv6', host: '0000:0000:0000:0000:0000:0000:0000:0001' }],
    ['[2001:db8::1]:8443', { type: 'ipv6', host: '2001:0db8:0000:0000:0000:0000:0000:0001', port: 8443 }],
  ])('accepts %s', (address, expected) => {
    expect(normalizeIp(address)).toEqual(expected);
  });

  it.each(['edge-.example.com', 'a..b', 'bad host', 'x:70000', '10.0.0.256', '1.2.3', '[::1]x', 'g::1'])('refuses %s', (address) => {
    expect(normalizeIp(address)).toHaveProperty('error');
  });
});

describe("routes' hosts: validate_host_with_wildcards, after the wildcard placement rules", () => {
  it.each([
    ['*.example.com', undefined],
    ['example.*', undefined],
    ['api.example.com:8080', undefined],
    ['*.exa mple.com', 'invalid hostname: abc.exa mple.com'],
    ['api.example.com:99999', 'invalid port number'],
    ['www.*.example.com', undefined], // the placement rule's, which the schema shows
  ])('%s: %s, as Kong answers', (host, problem) => {
    expect(routeHostCustomProblem(host)).toBe(problem);
  });
});
