/**
 * Keys and names spelled like Object.prototype's members (`__proto__`, `constructor`, `toString`,
 * `hasOwnProperty`, `valueOf`, `prototype`) are ordinary to Kong: a Lua table keeps them, its JSON
 * answers carry them. kong-ctl must too, end to end against the simulator: in a plugin's free-keyed
 * maps (http-log `headers`, `custom_fields_by_lua`) and as entity names. Before, `__proto__` was
 * dropped on the way (apply created the plugin without it, then diff said "No changes"),
 * `constructor` never reached Kong and then showed as a change that no apply could make.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { sim, addr, write, path, expectApplyWritesNothing } = simSession('kong-ctl-prototype-keys-');

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/** An http-log plugin whose `headers` and `custom_fields_by_lua` have every name in NAMES (values suffixed by `tag`). */
function httpLog(tag: string, extra = ''): string {
  const headers = NAMES.map((n) => `        ${n}: h-${n}-${tag}`).join('\n');
  const fields = NAMES.map((n) => `        ${n}: return "${n}"`).join('\n');
  return `_format_version: "3.0"
${extra}services:
- name: s1
  url: http://example.com
  plugins:
  - name: http-log
    config:
      http_endpoint: http://log.example.com/x
      headers:
${headers}
        x-other: def
      custom_fields_by_lua:
${fields}
`;
}

type Obj = Record<string, unknown>;

/** The plugin's config as Kong stores it. */
function storedConfig(): Obj {
  const [plugin] = sim().store.all('plugins');
  return plugin.config as Obj;
}

/** The bodies of the writes to /plugins, parsed as Kong's JSON decoder does (own keys). */
function pluginWrites(): Obj[] {
  return sim()
    .log.filter((r) => r.path.startsWith('/plugins') && r.body)
    .map((r) => JSON.parse(r.body!) as Obj);
}

const own = (o: unknown) => Object.keys(o as Obj).sort();

describe('map keys named like Object.prototype members (http-log headers)', () => {
  it('validates, reaches Kong in the request body, and then diffs as no change', async () => {
    const file = write('kong.yaml', httpLog('a'));
    const v = await runCli(['validate', '-f', file]);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    const r = await runCli(['apply', '-f', file, ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The plan shows every key it will write.
    for (const n of NAMES) expect(r.stdout).toContain(`config.headers.${n}: "h-${n}-a"`);
    const [body] = pluginWrites();
    const sent = body.config as Obj;
    expect(own(sent.headers)).toEqual([...NAMES, 'x-other'].sort());
    expect(own(sent.custom_fields_by_lua)).toEqual([...NAMES].sort());
    const stored = storedConfig();
    expect(Object.getOwnPropertyDescriptor(stored.headers, '__proto__')?.value).toBe('h-__proto__-a');
    expect(Object.getOwnPropertyDescriptor(stored.headers, 'constructor')?.value).toBe('h-constructor-a');
    expect(own(stored.custom_fields_by_lua)).toEqual([...NAMES].sort());

    await expectApplyWritesNothing(file);
  });

  it('plans a changed or removed value under such a key, and applies it', async () => {
    const file = write('kong.yaml', httpLog('a'));
    expect((await runCli(['apply', '-f', file, ...addr()])).code).toBe(0);

    const changed = write('changed.yaml', httpLog('b'));
    const d = await runCli(['diff', '-f', changed, ...addr()]);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    for (const n of NAMES) expect(d.stdout).toContain(`config.headers.${n}: "h-${n}-a" → "h-${n}-b"`);

    const a = await runCli(['apply', '-f', changed, ...addr()]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(Object.getOwnPropertyDescriptor(storedConfig().headers, '__proto__')?.value).toBe('h-__proto__-b');
    await expectApplyWritesNothing(changed);

    // Removing the keys is a change too (Kong's map replaced by one without them).
    const removed = write(
      'removed.yaml',
      `_format_version: "3.0"
services:
- name: s1
  url: http://example.com
  plugins:
  - name: http-log
    config:
      http_endpoint: http://log.example.com/x
      headers:
        x-other: def
`,
    );
    const gone = await runCli(['diff', '-f', removed, ...addr()]);
    expect(gone.code, gone.stdout + gone.stderr).toBe(2);
    expect(gone.stdout).toContain('config.headers.__proto__: "h-__proto__-b" → null');
    expect(gone.stdout).toContain('config.headers.constructor: "h-constructor-b" → null');
  });

  it('a live key the file lacks is a change, even when it is named constructor', async () => {
    const file = write('kong.yaml', httpLog('a'));
    expect((await runCli(['apply', '-f', file, ...addr()])).code).toBe(0);
    // Only `constructor` differs: it is null in the file, set in Kong.
    const lacking = write('lacking.yaml', httpLog('a').replace('        constructor: h-constructor-a\n', ''));
    const d = await runCli(['diff', '-f', lacking, ...addr()]);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    expect(d.stdout).toContain('config.headers.constructor: "h-constructor-a" → null');
    expect(d.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);
  });

  it('dump writes the keys back, and the dump diffs as no change', async () => {
    expect((await runCli(['apply', '-f', write('kong.yaml', httpLog('a')), ...addr()])).code).toBe(0);
    const out = path('dump.yaml');
    const r = await runCli(['dump', ...addr(), '-o', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const dumped = parse(readFileSync(out, 'utf8')) as { services: Array<{ plugins: Array<{ config: Obj }> }> };
    const config = dumped.services[0].plugins[0].config;
    expect(own(config.headers)).toEqual([...NAMES, 'x-other'].sort());
    expect(own(config.custom_fields_by_lua)).toEqual([...NAMES].sort());
    await expectApplyWritesNothing(out);
  });

  it('diff -o json shows the keys, also when the plan masks environment values', async () => {
    const env = { DECK_ENDPOINT_TOKEN: 'sekrit-token' };
    const file = write('kong.yaml', httpLog('a').replace('x-other: def', 'x-other: ${{ env "DECK_ENDPOINT_TOKEN" }}'));
    const r = await runCli(['diff', '-f', file, ...addr(), '-o', 'json'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const plan = JSON.parse(r.stdout) as { changes: Array<{ kind: string; fields?: { config: Obj } }> };
    const headers = plan.changes.find((c) => c.kind === 'plugin')!.fields!.config.headers as Obj;
    expect(own(headers)).toEqual([...NAMES, 'x-other'].sort());
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('h-__proto__-a');
    expect(headers['x-other']).toBe('[masked]');
  });

  it('_plugin_configs: a shared map key fills the plugin, and an own key named constructor is kept', async () => {
    const shared = `_plugin_configs:
  logs:
    http_endpoint: http://log.example.com/x
    headers:
      __proto__: shared-proto
      constructor: shared-constructor
      x-shared: s
`;
    const file = write(
      'kong.yaml',
      `_format_version: "3.0"
${shared}services:
- name: s1
  url: http://example.com
  plugins:
  - name: http-log
    _config: logs
    config:
      headers:
        constructor: mine
`,
    );
    const r = await runCli(['apply', '-f', file, ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const headers = storedConfig().headers as Obj;
    expect(own(headers)).toEqual(['__proto__', 'constructor', 'x-shared']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('shared-proto');
    expect(headers.constructor).toBe('mine');
    await expectApplyWritesNothing(file);
  });
});

describe('entity names spelled like Object.prototype members', () => {
  const named = (names: string[], host = 'example.com') => `_format_version: "3.0"
services:
${names.map((n) => `- name: ${n}\n  url: http://${host}\n  routes:\n  - name: r-${n}\n    paths: [/p-${n}]`).join('\n')}
consumers:
${names.map((n) => `- username: ${n}`).join('\n')}
upstreams:
${names.map((n) => `- name: ${n}\n  targets:\n  - target: 10.0.0.1:80`).join('\n')}
`;
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

  it('applies, diffs as no change, updates, dumps and deletes them', async () => {
    const file = write('kong.yaml', named(names));
    const v = await runCli(['validate', '-f', file]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const r = await runCli(['apply', '-f', file, ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 20 to add, 0 to change, 0 to destroy\./);
    expect(sim().store.all('services').map((s) => s.name).sort()).toEqual([...names].sort());
    await expectApplyWritesNothing(file);

    // One field changed on each: an update of each, not a create or delete.
    const moved = write('moved.yaml', named(names, 'other.example.com'));
    const d = await runCli(['diff', '-f', moved, ...addr()]);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    expect(d.stdout).toMatch(/Plan: 0 to add, 4 to change, 0 to destroy\./);
    for (const n of names) expect(d.stdout).toContain(`~ service ${n}`);

    const out = path('dump.yaml');
    expect((await runCli(['dump', ...addr(), '-o', out])).code).toBe(0);
    const dumped = parse(readFileSync(out, 'utf8')) as { services: Obj[]; consumers: Obj[]; upstreams: Obj[] };
    expect(dumped.services.map((s) => s.name).sort()).toEqual([...names].sort());
    expect(dumped.consumers.map((c) => c.username).sort()).toEqual([...names].sort());
    expect(dumped.upstreams.map((u) => u.name).sort()).toEqual([...names].sort());
    await expectApplyWritesNothing(out);

    // Only `toString` stays: the others are deleted, with their routes and targets.
    const fewer = write('fewer.yaml', named(['toString']));
    const del = await runCli(['apply', '-f', fewer, ...addr()]);
    expect(del.code, del.stdout + del.stderr).toBe(0);
    expect(del.stdout).toMatch(/Plan: 0 to add, 0 to change, 15 to destroy\./);
    expect(sim().store.all('services').map((s) => s.name)).toEqual(['toString']);
    expect(sim().store.all('consumers').map((s) => s.username)).toEqual(['toString']);
    await expectApplyWritesNothing(fewer);
  });
});

describe('plugins and vaults named like Object.prototype members', () => {
  const FILE = (n: string) => `_format_version: "3.0"\nplugins:\n- name: ${n}\n  config: {}\nvaults:\n- name: ${n}\n  prefix: v1\n`;

  it('are unknown offline and not installed online, never a crash', async () => {
    for (const n of ['constructor', '__proto__', 'toString']) {
      const file = write('kong.yaml', FILE(n));
      const offline = await runCli(['validate', '-f', file]);
      expect(offline.code, offline.stderr).toBe(1);
      expect(offline.stderr + offline.stdout).toContain(`plugins[0]: name: unknown plugin '${n}'`);
      expect(offline.stderr + offline.stdout).toContain(`vaults[0]: name: unknown vault '${n}'`);
      const online = await runCli(['validate', '--online', '-f', file, ...addr()]);
      expect(online.code, online.stderr).toBe(1);
      expect(online.stderr + online.stdout).toContain(`plugins[0]: name: plugin '${n}' is not installed on this Kong`);
      expect(online.stderr + online.stdout).toContain(`vaults[0]: name: vault '${n}' is not installed on this Kong`);
    }
  });
});

describe('values and keys spelled like Object.prototype members, offline', () => {
  it('an entity key named constructor, __proto__ or toString is an unknown field, said plainly', async () => {
    const file = write(
      'kong.yaml',
      `_format_version: "3.0"
services:
- name: s1
  url: http://example.com
  constructor: x
  __proto__: y
  toString: z
`,
    );
    const r = await runCli(['validate', '-f', file]);
    expect(r.code).toBe(1);
    for (const k of ['constructor', '__proto__', 'toString']) expect(r.stderr + r.stdout).toContain(`services[0]: ${k}: unknown field`);
    expect(r.stderr + r.stdout).not.toContain('native code');
  });

  it('_info.defaults with a field named constructor or __proto__ is an unknown field, not a crash', async () => {
    const file = write(
      'kong.yaml',
      `_format_version: "3.0"\n_info:\n  defaults:\n    service:\n      constructor: 5\n      __proto__: {a: 1}\nservices:\n- name: s\n  url: http://x\n`,
    );
    const r = await runCli(['validate', '-f', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr + r.stdout).toContain('_info.defaults.service.constructor: unknown field');
    expect(r.stderr + r.stdout).toContain('_info.defaults.service.__proto__: unknown field');
  });

  it('a route protocol named constructor is refused, not a crash', async () => {
    for (const p of ['constructor', '__proto__', 'toString']) {
      const file = write('kong.yaml', `_format_version: "3.0"\nroutes:\n- name: r\n  paths: [/x]\n  protocols: [${p}]\n`);
      const r = await runCli(['validate', '-f', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr + r.stdout).toContain('routes[0]: protocols[0]: expected one of:');
    }
  });

  it('toBool of an environment value named constructor is no boolean', async () => {
    const file = write('kong.yaml', `_format_version: "3.0"\nservices:\n- name: s\n  url: http://x\n  enabled: \${{ env "DECK_B" | toBool }}\n`);
    const r = await runCli(['validate', '-f', file], { env: { DECK_B: 'constructor' } });
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(`toBool(env "DECK_B"): 'constructor' is not a boolean`);
  });

  it('convert --to 3.14 passes over a custom plugin named constructor', async () => {
    const file = write('kong.yaml', `_format_version: "3.0"\nplugins:\n- name: constructor\n  config: {}\n`);
    const r = await runCli(['convert', '-f', file, '--to', '3.14']);
    expect(r.stderr).not.toContain('not iterable');
    expect(r.stderr + r.stdout).toContain('nothing to pin');
  });
});
