/**
 * `kong-ctl file namespace`: decK's command on kong-ctl's terms. Paths get the prefix (escaped in
 * regexes), routes that do not strip it get a pre-function that does, merged with the
 * pre-function Kong would otherwise run for the route; routes it cannot apply to are refused;
 * the document is edited in place; and the strip code, run under LuaJIT as Kong's pre-function
 * runs it, gives the service the paths it saw before.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prefixPath, stripPrefixLua } from '../../../cli/src/file-ops/namespace';
import { checkRoutePath } from '../../../cli/src/desired/route-paths';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';
import { runPreFunction as strip } from './run-pre-function';

const session = nockSession('kong-ctl-namespace-');

const FILE = `_format_version: "3.0"
services:
- name: billing # the billing API
  url: http://billing:8080/api
  routes:
  - name: invoices
    paths: [/invoices, "~/items/\\\\d+$", /]
    strip_path: false
  - name: health # stays stripped
    paths:
    - /health
  - name: by-host
    hosts: [billing.example.com]
routes:
- name: top
  service: billing
  paths: [/top]
`;

const STRIP = (prefix: string) =>
  stripPrefixLua(prefix)
    .split('\n')
    .map((l, i) => (i === 0 ? `        - |-\n          ${l}` : `          ${l}`))
    .join('\n');

describe('kong-ctl file namespace --path-prefix', () => {
  it('prefixes every route, escapes the prefix in regexes, and strips it only where strip_path is false, on the route', async () => {
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', FILE), '--path-prefix', '/v1.2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`_format_version: "3.0"
services:
- name: billing # the billing API
  url: http://billing:8080/api
  routes:
  - name: invoices
    paths: [/v1.2/invoices, "~/v1\\\\.2/items/\\\\d+$", /v1.2]
    strip_path: false
    plugins:
    - name: pre-function
      config:
        access:
${STRIP('/v1.2')}
  - name: health # stays stripped
    paths:
    - /v1.2/health
  - name: by-host
    hosts: [billing.example.com]
    paths:
    - /v1.2
routes:
- name: top
  service: billing
  paths: [/v1.2/top]
`);
    expect(r.stderr).toContain('Put 4 routes under /v1.2 (1 with strip_path false: a pre-function strips it before the service).');
  });

  it('writes paths Kong takes: the result validates offline', async () => {
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', FILE), '-p', '/team-a/', '-o', join(session.dir(), 'out.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    const check = await runCli(['validate', '-f', join(session.dir(), 'out.yaml')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const out = parse(readFileSync(join(session.dir(), 'out.yaml'), 'utf8'));
    expect(out.services[0].routes[0].paths).toEqual(['/team-a/invoices', '~/team-a/items/\\d+$', '/team-a/']);
    expect(out.routes[0].paths).toEqual(['/team-a/top']);
  });

  it("namespaces the project's own kong/kong.yaml into a file that still validates", async () => {
    const src = join(__dirname, '../../../kong/kong.yaml');
    const out = join(session.dir(), 'kong-ns.yaml');
    const r = await runCli(['file', 'namespace', '-s', src, '-p', '/edge', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const check = await runCli(['validate', '-f', out], { env: { DECK_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const paths = (parse(readFileSync(out, 'utf8')).services as Array<{ routes?: Array<{ paths?: string[] }> }>).flatMap((s) => s.routes ?? []).flatMap((rt) => rt.paths ?? []);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p.startsWith('/edge') || p.startsWith('~/edge')).toBe(true);
  });

  it("puts the strip code first in the route's own pre-function instead of adding a second one (Kong refuses two)", async () => {
    const file = `_format_version: "3.0"
services:
- name: s
  url: http://s:80
  routes:
  - name: r
    paths: [/a]
    strip_path: false
    plugins:
    - name: pre-function
      config:
        access: ["kong.log.info('mine')"]
plugins:
- name: pre-function
  route: r2
  config:
    log: ["kong.log.info('log')"]
routes:
- name: r2
  service: s
  paths: [/b]
  strip_path: false
`;
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', file), '-p', '/ns']);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].routes[0].plugins).toEqual([{ name: 'pre-function', config: { access: [stripPrefixLua('/ns'), "kong.log.info('mine')"] } }]);
    // the top-level one that names the route is its own too
    expect(out.plugins).toEqual([{ name: 'pre-function', route: 'r2', config: { log: ["kong.log.info('log')"], access: [stripPrefixLua('/ns')] } }]);
    expect(out.routes[0].plugins).toBeUndefined();
  });

  it("copies the service's pre-function, else the global one, into the route's: Kong would run only the route's", async () => {
    const file = `_format_version: "3.0"
services:
- name: s
  url: http://s:80
  plugins:
  - name: pre-function
    tags: [platform]
    config:
      access: ["kong.log.info('service')"]
      log: ["kong.log.info('done')"]
  routes:
  - name: r
    paths: [/a]
    strip_path: false
- name: t
  url: http://t:80
  routes:
  - name: q
    paths: [/q]
    strip_path: false
plugins:
- name: pre-function
  instance_name: everywhere
  config:
    access: ["kong.log.info('global')"]
- name: pre-function
  service: t
  enabled: false
  config:
    access: ["kong.log.info('disabled: Kong never runs it')"]
`;
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', file), '-p', '/ns']);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].routes[0].plugins).toEqual([
      { name: 'pre-function', tags: ['platform'], config: { access: [stripPrefixLua('/ns'), "kong.log.info('service')"], log: ["kong.log.info('done')"] } },
    ]);
    // instance_name is unique across Kong: the copy goes without it
    expect(out.services[1].routes[0].plugins).toEqual([{ name: 'pre-function', config: { access: [stripPrefixLua('/ns'), "kong.log.info('global')"] } }]);
    expect(out.services[0].plugins).toHaveLength(1);
    expect(r.stderr).toMatch(/k\.yaml:12:5: route 'r' \(\$\.services\[0\]\.routes\[0\]\): its new pre-function starts from a copy of its service's \(\$\.services\[0\]\.plugins\[0\]\)/);
    expect(r.stderr).toMatch(/route 'q' .*starts from a copy of the global one \(\$\.plugins\[0\]\)/);
  });

  it("refuses a route whose own pre-function is disabled, and writes nothing", async () => {
    const file = `_format_version: "3.0"
routes:
- name: r
  paths: [/a]
  strip_path: false
  plugins:
  - name: pre-function
    enabled: false
    config: {}
`;
    const out = join(session.dir(), 'never.yaml');
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', file), '-p', '/ns', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/k\.yaml:3:3: route 'r' \(\$\.routes\[0\]\): strip_path is false, .*\(\$\.routes\[0\]\.plugins\[0\]\) is disabled/);
    expect(existsSync(out)).toBe(false);
  });

  it('skips stream, gRPC and expression routes with a warning when no selector is given, and refuses them when selected', async () => {
    const file = `_format_version: "3.0"
services:
- name: s
  url: http://s:80
  routes:
  - name: web
    paths: [/web]
  - name: raw
    protocols: [tcp]
    destinations: [{ port: 9000 }]
  - name: rpc
    protocols: [grpc]
    paths: [/pkg.Svc/Call]
  - name: expr
    expression: http.path ^= "/x"
`;
    const f = session.write('k.yaml', file);
    const r = await runCli(['file', 'namespace', '-s', f, '-p', '/ns']);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].routes.map((rt: { paths?: string[] }) => rt.paths)).toEqual([['/ns/web'], undefined, ['/pkg.Svc/Call'], undefined]);
    expect(r.stderr).toContain("k.yaml:8:5: route 'raw' ($.services[0].routes[1]) left as it is: it serves tcp");
    expect(r.stderr).toContain("route 'rpc' ($.services[0].routes[2]) left as it is: it serves grpc: a path prefix applies to http and https routes only");
    expect(r.stderr).toContain("route 'expr' ($.services[0].routes[3]) left as it is: it matches by `expression`");

    const grpc = await runCli(['file', 'namespace', '-s', f, '-p', '/ns', '--selector', "$..routes[?@.name=='rpc']"]);
    expect(grpc.code).toBe(1);
    expect(grpc.stderr).toContain("route 'rpc' ($.services[0].routes[2]) cannot be namespaced: it serves grpc");
    expect(grpc.stdout).toBe('');

    // hosts do apply to gRPC routes, never to stream ones
    const host = await runCli(['file', 'namespace', '-s', f, '--host', 'rpc.example.com', '--selector', "$..routes[?@.name=='rpc']"]);
    expect(host.code, host.stderr).toBe(0);
    expect(parse(host.stdout).services[0].routes[2].hosts).toEqual(['rpc.example.com']);
    const tcp = await runCli(['file', 'namespace', '-s', f, '--host', 'x.example.com', '--selector', "$..routes[?@.name=='raw']"]);
    expect(tcp.code).toBe(1);
    expect(tcp.stderr).toContain('stream routes match by snis, not hosts');
  });

  it('refuses a path it cannot prefix: a template, or one Kong would refuse', async () => {
    const file = `_format_version: "3.0"
routes:
- name: r
  paths: ['\${{ env "DECK_PATH" }}']
`;
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', file), '-p', '/ns', '--selector', '$.routes[*]']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/k\.yaml:3:3: route 'r' \(\$\.routes\[0\]\) cannot be namespaced: its path '.*' is a template/);
  });

  it('refuses selectors that pick something other than a route, and an empty selection unless allowed', async () => {
    const f = session.write('k.yaml', FILE);
    const svc = await runCli(['file', 'namespace', '-s', f, '-p', '/ns', '--selector', '$.services[*]']);
    expect(svc.code).toBe(1);
    expect(svc.stderr).toContain("--selector '$.services[*]' selects $.services[0] in");
    expect(svc.stderr).toContain('which is not a route');

    const none = await runCli(['file', 'namespace', '-s', f, '-p', '/ns', '--selector', "$.routes[?@.name=='nope']"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('matched the selectors (--allow-empty-selectors writes the file unchanged)');

    const allowed = await runCli(['file', 'namespace', '-s', f, '-p', '/ns', '--selector', "$.routes[?@.name=='nope']", '--allow-empty-selectors']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe(FILE);
    expect(allowed.stderr).toContain('selects nothing');
  });

  it.each([
    ['kong', "must start with '/'"],
    ['/', "must start with '/'"],
    ['//kong', "must start with '/'"],
    ['/a b', 'segments may hold'],
    ['/a//b', 'no empty segment'],
    ['/a/../b', 'non-normalized path'],
    ['/a%20b', 'no percent-encoding'],
  ])('refuses the prefix %j', async (prefix, message) => {
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', FILE), '-p', prefix]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid --path-prefix '${prefix}'`);
    expect(r.stderr).toContain(message);
  });

  it('edits a route reached through an alias on a copy, never the anchored original', async () => {
    const file = `_format_version: "3.0"
services:
- name: a
  url: http://a:80
  routes:
  - &shared
    name: ra
    paths: [/x]
- name: b
  url: http://b:80
  routes:
  - <<: *shared
    name: rb
`;
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', file), '-p', '/ns', '--selector', "$..routes[?@.name=='rb']"]);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout, { merge: true });
    expect(out.services[0].routes[0].paths).toEqual(['/x']);
    expect(out.services[1].routes[0].paths).toEqual(['/ns/x']);
    expect(r.stdout).toContain('- &shared\n    name: ra\n    paths: [/x]');
  });
});

describe('kong-ctl file namespace --host', () => {
  it('adds hosts each route lacks, keeps the others, and with --clear-hosts replaces them', async () => {
    const f = session.write('k.yaml', FILE);
    const add = await runCli(['file', 'namespace', '-s', f, '--host', 'billing.example.com', '--host', '*.billing.example.com']);
    expect(add.code, add.stderr).toBe(0);
    const out = parse(add.stdout);
    expect(out.services[0].routes[2].hosts).toEqual(['billing.example.com', '*.billing.example.com']);
    expect(out.services[0].routes[0].hosts).toEqual(['billing.example.com', '*.billing.example.com']);
    expect(out.services[0].routes[0].paths).toEqual(['/invoices', '~/items/\\d+$', '/']);
    expect(add.stderr).toContain('Changed the hosts of 4 routes.');

    const replace = await runCli(['file', 'namespace', '-s', f, '-c', '--host', 'new.example.com', '--selector', "$..routes[?@.name=='by-host']"]);
    expect(replace.code, replace.stderr).toBe(0);
    expect(parse(replace.stdout).services[0].routes[2].hosts).toEqual(['new.example.com']);

    const clear = await runCli(['file', 'namespace', '-s', f, '--clear-hosts', '--selector', "$..routes[?@.name=='by-host']"]);
    expect(clear.code, clear.stderr).toBe(0);
    expect(parse(clear.stdout).services[0].routes[2]).toEqual({ name: 'by-host' });
  });

  it.each([
    ['*.*.example.com', 'must have at most one wildcard'],
    ['a.*.example.com', 'leftmost or rightmost label'],
    ['bad host', 'invalid value'],
  ])('refuses the host %j', async (host, message) => {
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', FILE), '--host', host]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`invalid --host '${host}': `);
    expect(r.stderr).toContain(message);
  });

  it('needs a namespace to apply', async () => {
    const r = await runCli(['file', 'namespace', '-s', session.write('k.yaml', FILE)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no namespace given');
  });
});

describe('the strip code, run as Kong runs a pre-function', () => {
  it('takes the prefix out after the service path, at the end, or not at all when absent', () => {
    expect(strip(stripPrefixLua('/kong'), ['/kong/list', '/api/kong/list', '/kong', '/api/kong', '/kongress/x', '/other', '/kong/kong/x'])).toEqual([
      '/list',
      '/api/list',
      '/',
      '/api',
      '/kongress/x',
      '/other',
      '/kong/x',
    ]);
    // a prefix written with a trailing slash and several segments
    expect(strip(stripPrefixLua('/a/b.c/'), ['/a/b.c/x', '/a/bxc/x', '/svc/a/b.c'])).toEqual(['/x', '/a/bxc/x', '/svc']);
  });

  it('gives the service the path it saw before, for any path under any prefix (service path without the prefix)', () => {
    const segment = fc.stringMatching(/^[a-z0-9._-]{1,6}$/).filter((s) => s !== '.' && s !== '..');
    const path = fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join('/')}`);
    const cases = fc.sample(
      fc.record({ prefix: fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => `/${s.join('/')}`), service: fc.array(segment, { maxLength: 2 }).map((s) => s.map((x) => `/${x}`).join('')), request: path }),
      150,
    ).filter((c) => !`${c.service}/`.includes(`${c.prefix}/`));
    for (const c of cases) {
      const routed = prefixPath(c.request, c.prefix);
      expect(checkRoutePath(routed)?.severity).not.toBe('error');
      // Kong (strip_path false) sends service path + request path; the request path now carries the prefix.
      const upstream = `${c.service}${routed}`;
      const [seen] = strip(stripPrefixLua(c.prefix), [upstream]);
      const before = `${c.service}${c.request}`;
      expect(seen, JSON.stringify(c)).toBe(before === '' ? '/' : c.request === '/' && c.service !== '' ? c.service : before);
    }
  });
});
