/**
 * go-apiops' own tests of `deck file namespace` (https://github.com/Kong/go-apiops, Apache-2.0),
 * ported: namespace/namespace_test.go at ff120f1348eef7802365065acd8903b077eec838 (the newest
 * stored version; it tests namespace/namespace.go as of 1988dfbe8c4b1c514888aea4970566c53738292e,
 * but for `Apply`'s later `allowEmptySelection` argument) and namespace/namespace_host_test.go at
 * 697032a77b07eb37e5fa95f3195b4bec2d1dc043 (namespace_host.go at
 * a7d522277e26dd9ea77d5a589c5eebd9a3dcf354). Same inputs, same data asserted (parsed: kong-ctl
 * keeps the file's layout, decK rewrites it), through `kong-ctl file namespace` where go-apiops
 * tests what the command does, through the exported function where it tests a library function.
 *
 * Deliberately different (cli/src/file-ops/namespace.ts says why), asserted as kong-ctl does it:
 *  - the pre-function's Lua is kong-ctl's own text (a chunk returning a function, compiled once
 *    by Kong); go-apiops' table of upstream paths for its Lua runs against it under LuaJIT here;
 *  - the pre-function goes on each route that needs it, never on the service, and the service's
 *    `path` is never rewritten to drop the prefix (go-apiops does both when all of a service's
 *    routes in the file need stripping): the service may have routes in other files. Those cases
 *    check that the service still sees, request for request, the path it saw before, which is the
 *    path decK's result gives it.
 * Not ported: `UpdateRoute`'s boolean (whether a route needs stripping) is checked as what it
 * leads to, a pre-function on the route or none; go-apiops' `Apply` of a non-object route (Go's
 * yaml.Node kinds) has no case.
 */
import { describe, expect, it } from 'vitest';
import { prefixPath, stripPrefixLua } from '../../../cli/src/file-ops/namespace';
import { upstreamUriV0 } from '../../harness/uri';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';
import { runPreFunction } from './run-pre-function';

nockSession('kong-ctl-namespace-apiops-');

type Json = Record<string, unknown>;

/** `kong-ctl file namespace ARGS` on a JSON file; the result as data. */
async function namespace(file: Json, args: string[]): Promise<Json> {
  const r = await runCli(['file', 'namespace', ...args], { stdin: JSON.stringify(file) });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

/** The pre-function kong-ctl adds (go-apiops' GetPreFunctionPlugin, with kong-ctl's Lua). */
const preFunction = (ns: string) => ({ name: 'pre-function', config: { access: [stripPrefixLua(ns)] } });

describe('go-apiops namespace: CheckNamespace, through --path-prefix', () => {
  const FILE = { routes: [{ name: 'r', paths: ['/a'] }] };

  it.each([
    ['validates a plain namespace', '/prefix/'],
    ['appends a post-fix /', '/prefix'],
  ])('%s: %s', async (_, prefix) => {
    // strip_path defaults to true, as in go-apiops: the route strips the prefix, no pre-function
    expect(await namespace(FILE, ['--path-prefix', prefix])).toEqual({ routes: [{ name: 'r', paths: ['/prefix/a'] }] });
  });

  it.each([
    ['rejects a namespace without a leading /', 'prefix/'],
    ['rejects a namespace with only a leading /', '/'],
    ['rejects a namespace with empty segment; //', '//'],
  ])('%s: %s', async (_, prefix) => {
    const r = await runCli(['file', 'namespace', '--path-prefix', prefix], { stdin: JSON.stringify(FILE) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`invalid --path-prefix '${prefix}': it must start with '/' and name at least one segment`);
  });
});

describe('go-apiops namespace: UpdateSinglePathString, as prefixPath', () => {
  it.each([
    // plain
    ['/', '/namespace', '/namespace'],
    ['/one', '/namespace', '/namespace/one'],
    ['/one/', '/namespace', '/namespace/one/'],
    // regex
    ['~/$', '/namespace', '~/namespace$'],
    ['~/', '/namespace', '~/namespace'],
    ['~/one$', '/namespace', '~/namespace/one$'],
    ['~/one/$', '/namespace', '~/namespace/one/$'],
    // the namespace with a trailing slash: plain
    ['/', '/namespace/', '/namespace/'],
    ['/one', '/namespace/', '/namespace/one'],
    ['/one/', '/namespace/', '/namespace/one/'],
    // regex
    ['~/$', '/namespace/', '~/namespace/$'],
    ['~/', '/namespace/', '~/namespace/'],
    ['~/one$', '/namespace/', '~/namespace/one$'],
    ['~/one/$', '/namespace/', '~/namespace/one/$'],
  ])('%s under %s is %s', (path, ns, expected) => {
    expect(prefixPath(path, ns)).toBe(expected);
  });
});

describe("go-apiops namespace: the pre-function's Lua, run as Kong runs it", () => {
  it.each([
    // namespace without trailing slash
    ['/namespace', '/namespace', '/'],
    ['/namespace/', '/namespace', '/'],
    ['/namespace/more', '/namespace', '/more'],
    // namespace with trailing slash
    ['/namespace/', '/namespace/', '/'],
    ['/namespace/more', '/namespace/', '/more'],
    // with a service.path, which Kong puts in front of the namespace
    ['/service/namespace', '/namespace', '/service'],
    ['/service/namespace/', '/namespace', '/service/'],
    ['/service/namespace/more', '/namespace', '/service/more'],
    ['/service/namespace/', '/namespace/', '/service/'],
    ['/service/namespace/more', '/namespace/', '/service/more'],
  ])('upstream %s, namespace %s: %s', (upstream, ns, expected) => {
    expect(runPreFunction(stripPrefixLua(ns), [upstream])).toEqual([expected]);
  });
});

describe('go-apiops namespace: UpdateRoute, on a route of its own', () => {
  /** The route after namespacing, with `needsStripping`: whether a pre-function was added. */
  async function updateRoute(route: Json, ns: string) {
    const out = await namespace({ routes: [route] }, ['--path-prefix', ns]);
    const { plugins, ...rest } = (out.routes as Json[])[0];
    if (plugins !== undefined) expect(plugins).toEqual([preFunction(ns)]);
    return { route: rest, needsStripping: plugins !== undefined };
  }

  it.each([
    ['strip_path == true: updates plain paths', { strip_path: true, paths: ['/one', '/two'] }, '/namespace', { strip_path: true, paths: ['/namespace/one', '/namespace/two'] }, false],
    ['strip_path == true: updates route with no paths', { strip_path: true }, '/namespace', { strip_path: true, paths: ['/namespace'] }, false],
    ['strip_path == true: updates route with no paths, namespace trailing /', { strip_path: true }, '/namespace/', { strip_path: true, paths: ['/namespace/'] }, false],
    ['strip_path == false: updates plain paths', { strip_path: false, paths: ['/one', '/two'] }, '/namespace', { strip_path: false, paths: ['/namespace/one', '/namespace/two'] }, true],
    ['strip_path == false: updates route with no paths', { strip_path: false }, '/namespace', { strip_path: false, paths: ['/namespace'] }, true],
    ['strip_path == false: updates route with no paths, namespace trailing /', { strip_path: false }, '/namespace/', { strip_path: false, paths: ['/namespace/'] }, true],
  ])('%s', async (_, route, ns, expected, needsStripping) => {
    expect(await updateRoute(route, ns)).toEqual({ route: expected, needsStripping });
  });
});

describe('go-apiops namespace: Apply', () => {
  const ns = '/my-namespace/';
  const plugin = preFunction(ns);

  it('handles plain and regex', async () => {
    const out = await namespace(
      {
        routes: [
          { name: 'route1', strip_path: false, paths: ['/one', '/two'] },
          { name: 'route2', strip_path: false, paths: ['~/xyz/one$', '~/xyz/two$'] },
        ],
      },
      ['--path-prefix', ns],
    );
    expect(out).toEqual({
      routes: [
        { name: 'route1', strip_path: false, paths: [`${ns}one`, `${ns}two`], plugins: [plugin] },
        { name: 'route2', strip_path: false, paths: [`~${ns}xyz/one$`, `~${ns}xyz/two$`], plugins: [plugin] },
      ],
    });
  });

  it('handles routes without paths, strip=true', async () => {
    const out = await namespace({ routes: [{ name: 'routeA', strip_path: true, hosts: ['acme-corp.com'] }] }, ['--path-prefix', ns]);
    expect(out).toEqual({ routes: [{ name: 'routeA', hosts: ['acme-corp.com'], strip_path: true, paths: [ns] }] });
  });

  it('handles routes without paths, strip=false', async () => {
    const out = await namespace({ routes: [{ name: 'routeA', strip_path: false, hosts: ['acme-corp.com'] }] }, ['--path-prefix', ns]);
    expect(out).toEqual({ routes: [{ name: 'routeA', hosts: ['acme-corp.com'], strip_path: false, paths: [ns], plugins: [plugin] }] });
  });

  const ROUTES = [
    { name: 'route1', strip_path: false, paths: ['/one'] },
    { name: 'route2', strip_path: false, paths: ['~/xyz/two$'] },
  ];
  const NAMESPACED = [
    { name: 'route1', strip_path: false, paths: [`${ns}one`], plugins: [plugin] },
    { name: 'route2', strip_path: false, paths: [`~${ns}xyz/two$`], plugins: [plugin] },
  ];

  it('attaches a plugin to the service, if all routes match: deliberately to each route instead', async () => {
    const out = await namespace({ services: [{ name: 'service1', routes: ROUTES }] }, ['--path-prefix', ns]);
    // go-apiops: the routes without plugins, `plugins: [<pre-function>]` on service1
    expect(out).toEqual({ services: [{ name: 'service1', routes: NAMESPACED }] });
  });

  describe("updates service.path, if the namespace matches: deliberately a pre-function per route, and the service sees what decK's result gives it", () => {
    // Requests as clients sent them before, and what they send under the namespace.
    const REQUESTS = [
      ['/one', '/my-namespace/one'],
      ['/xyz/two', '/my-namespace/xyz/two'],
    ];
    // go-apiops' result: service.path without the namespace, no plugin.
    const DECK_SERVICE_PATH = '/somepath/';
    const upstream = (servicePath: string, request: string) => upstreamUriV0(false, '', request, servicePath);

    it.each([
      ['path-prefix with trailing slash, service.path with trailing slash', ns, '/somepath/my-namespace/'],
      ['path-prefix with trailing slash, service.path without trailing slash', ns, '/somepath/my-namespace'],
      ['path-prefix without trailing slash, service.path with trailing slash', '/my-namespace', '/somepath/my-namespace/'],
      ['path-prefix without trailing slash, service.path without trailing slash', '/my-namespace', '/somepath/my-namespace'],
    ])('%s', async (_, prefix, servicePath) => {
      const out = await namespace({ services: [{ name: 'service1', path: servicePath, routes: ROUTES }] }, ['--path-prefix', prefix]);
      const stripping = preFunction(prefix);
      // go-apiops: `path: "/somepath/"`, the routes without plugins
      expect(out).toEqual({
        services: [{ name: 'service1', path: servicePath, routes: NAMESPACED.map((r) => ({ ...r, plugins: [stripping] })) }],
      });
      for (const [before, after] of REQUESTS) {
        const seenBefore = upstream(servicePath, before);
        const [seen] = runPreFunction(stripping.config.access[0], [upstream(servicePath, after)]);
        expect(seen, after).toBe(seenBefore);
        expect(upstream(DECK_SERVICE_PATH, after), `decK, ${after}`).toBe(seenBefore);
      }
    });
  });

  it('attaches a plugin to routes, if not all routes match', async () => {
    const file = {
      services: [
        {
          name: 'service1',
          routes: [
            { name: 'routeA', strip_path: false, hosts: ['acme-corp.com'] },
            { name: 'route1', strip_path: false, paths: ['/one'] },
          ],
        },
      ],
    };
    const out = await namespace(file, ['--path-prefix', ns, '--selector', '$.services[*].routes[1]']);
    expect(out).toEqual({
      services: [
        {
          name: 'service1',
          routes: [
            { name: 'routeA', strip_path: false, hosts: ['acme-corp.com'] },
            { name: 'route1', strip_path: false, paths: [`${ns}one`], plugins: [plugin] },
          ],
        },
      ],
    });
  });
});

describe('go-apiops namespace: ApplyNamespaceHost, through --host and --clear-hosts', () => {
  it.each([
    ['clear hosts: clears the hosts', { hosts: ['one', 'two'] }, ['--clear-hosts'], { hosts: ['three'] }],
    ['clear hosts: clears the hosts, no hosts', { paths: [] }, ['--clear-hosts'], { paths: [], hosts: ['three'] }],
    ['appends hosts: Route without hosts array', { paths: [] }, [], { paths: [], hosts: ['three'] }],
    ['appends hosts: Route with empty hosts array', { hosts: [] }, [], { hosts: ['three'] }],
    ['appends hosts: adds hosts', { hosts: ['one', 'two'] }, [], { hosts: ['one', 'two', 'three'] }],
  ])('%s', async (_, route, flags, expected) => {
    expect(await namespace({ routes: [route] }, [...flags, '--host', 'three'])).toEqual({ routes: [expected] });
  });

  it("appends hosts: doesn't add duplicate hosts", async () => {
    const out = await namespace({ routes: [{ hosts: ['one', 'two'] }] }, ['--host', 'one', '--host', 'two', '--host', 'three']);
    expect(out).toEqual({ routes: [{ hosts: ['one', 'two', 'three'] }] });
  });
});
