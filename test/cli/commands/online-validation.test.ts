/**
 * The second validation pass: diff, apply and `validate --online` judge the files by the node's
 * own `GET /schemas/…` (its version's fields, its plugins, their configs) before anything is
 * planned or written. Kong's answers are the recorded 3.4.2 ones, edited where a test plays a
 * newer node; nock refuses any request a test did not expect, so "no write" is enforced.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entitySchemas, pluginSchemas } from '../kong/fixtures';
import { ADMIN, recordedNode as node } from './recorded-node';
import { runCli } from './run-cli';


let dir: string;
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** `apply` of `text` against the recorded node: it must exit 1 (nock refuses any write); its stderr and file. */
async function applyRefused(name: string, text: string): Promise<{ stderr: string; f: string }> {
  node();
  const f = file(name, text);
  const r = await runCli(['apply', '-f', f, '--kong-addr', ADMIN]);
  expect(r.code).toBe(1);
  return { stderr: r.stderr, f };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kong-ctl-online-'));
  nock.disableNetConnect();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const CUSTOM_PLUGIN = `_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  plugins:
  - name: acme-audit
    config:
      sink: http://audit.internal
`;

const ACME_AUDIT = {
  fields: [
    { protocols: { type: 'set', required: true, default: ['grpc', 'grpcs', 'http', 'https'], elements: { type: 'string', one_of: ['grpc', 'grpcs', 'http', 'https'] } } },
    { config: { type: 'record', required: true, fields: [{ sink: { type: 'string', required: true } }, { batch: { type: 'integer', default: 10, between: [1, 100] } }] } },
  ],
  entity_checks: [],
};

describe('a plugin installed on the node but unknown offline', () => {
  it('offline validate refuses it and points at --online', async () => {
    const f = file('custom.yaml', CUSTOM_PLUGIN);
    const r = await runCli(['validate', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:6:11: error: services[0].plugins[0]: name: unknown plugin 'acme-audit'`);
    expect(r.stderr).toContain('`kong-ctl validate --online` checks the files against its own schemas');
  });

  it('validate --online accepts it when the node has its schema', async () => {
    const scope = node({ plugins: { 'acme-audit': ACME_AUDIT } });
    const f = file('custom.yaml', CUSTOM_PLUGIN);
    const r = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`checked against Kong 3.4.2 at ${ADMIN}.`);
    expect(scope.isDone()).toBe(true);
  });

  it("its config is checked against the node's schema, with file:line", async () => {
    node({ plugins: { 'acme-audit': ACME_AUDIT } });
    const f = file('custom-bad.yaml', CUSTOM_PLUGIN.replace('sink: http://audit.internal', 'snk: http://audit.internal\n      batch: 500'));
    const r = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:8:7: error: services[0].plugins[0]: config.snk: unknown field (did you mean 'sink'?)`);
    expect(r.stderr).toContain(`${f}:9:14: error: services[0].plugins[0]: config.batch: value should be between 1 and 100`);
    expect(r.stderr).toContain('services[0].plugins[0]: config.sink: required field missing');
    expect(r.stderr).toContain(`(checked against Kong 3.4.2 at ${ADMIN}); nothing was sent to Kong.`);
  });

  it('diff refuses a plugin the node does not have, at its file:line, before reading live state', async () => {
    node(); // no list endpoint: reading live state would fail the test
    const f = file('custom.yaml', CUSTOM_PLUGIN);
    const r = await runCli(['diff', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${f}:6:11: error: services[0].plugins[0]: name: plugin 'acme-audit' is not installed on this Kong 3.4.2: add it to Kong's \`plugins\` setting or remove it from the file`,
    );
  });
});

describe("bundled plugins are checked against the node's schemas before any write", () => {
  it('a typo in a rate-limiting config stops apply with file:line', async () => {
    const { stderr, f } = await applyRefused(
      'rl.yaml',
      `_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  plugins:
  - name: rate-limiting
    config:
      minuet: 5
`,
    );
    expect(stderr).toContain(`${f}:8:7: error: services[0].plugins[0]: config.minuet: unknown field (did you mean 'minute'?)`);
  });

  it("rate-limiting without any limit fails Kong's entity check", async () => {
    const { stderr } = await applyRefused(
      'rl-empty.yaml',
      `_format_version: "3.0"
plugins:
- name: rate-limiting
  config:
    policy: local
`,
    );
    expect(stderr).toContain(
      "plugins[0]: at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
    );
  });

  it('key-auth on a consumer is refused: Kong declares it no_consumer', async () => {
    const { stderr } = await applyRefused(
      'ka.yaml',
      `_format_version: "3.0"
consumers:
- username: alice
  plugins:
  - name: key-auth
`,
    );
    expect(stderr).toContain("consumers[0].plugins[0]: consumer: plugin 'key-auth' cannot be applied to a consumer");
  });

  it("a protocol the plugin's schema does not list is refused", async () => {
    const { stderr, f } = await applyRefused(
      'proto.yaml',
      `_format_version: "3.0"
plugins:
- name: rate-limiting
  protocols: [http, tcp]
  config:
    minute: 5
`,
    );
    expect(stderr).toContain(`${f}:4:21: error: plugins[0]: protocols[1]: expected one of: grpc, grpcs, http, https`);
  });
});

describe('a node newer than the offline baseline', () => {
  /** A route schema as an expressions-flavoured node publishes it: two fields 3.4.2's lacks. */
  function newerRoutes(): Record<string, unknown> {
    const routes = structuredClone(entitySchemas().route);
    routes.fields.push({ expression: { type: 'string' } }, { priority: { type: 'integer', default: 0, between: [0, 70368744177663] } });
    return routes;
  }
  const EXPRESSION = `_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  routes:
  - name: orders-api
    expression: 'http.path ^= "/orders"'
    priority: 10
    shiny_new_thing: true
`;

  it("its fields are accepted, and what it does not know either is still refused", async () => {
    node({ version: '3.9.1', entities: { route: newerRoutes() } });
    const f = file('expr.yaml', EXPRESSION);
    const r = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/expression|priority/);
    expect(r.stderr).toContain(`${f}:9:5: error: services[0].routes[0]: shiny_new_thing: unknown field`);
    expect(r.stderr).toContain('(checked against Kong 3.9.1');
  });

  it('diff plans them once the file is valid for that node', async () => {
    node({ version: '3.9.1', entities: { route: newerRoutes() }, lists: true });
    const f = file('expr-ok.yaml', EXPRESSION.replace('    shiny_new_thing: true\n', ''));
    const r = await runCli(['diff', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain('+ route orders-api');
    expect(r.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
  });

  it("a bundled plugin's newer config: offline only warnings, and diff lets the node's schema decide", async () => {
    // opentelemetry as Kong >= 3.8 publishes it: traces_endpoint, and endpoint no longer required.
    const otel = structuredClone(pluginSchemas().opentelemetry);
    for (const f of otel.fields) {
      if (!f.config) continue;
      for (const x of f.config.fields) if (x.endpoint) x.endpoint.required = false;
      f.config.fields.push({ traces_endpoint: { type: 'string', referenceable: true } });
    }
    const f = file('otel.yaml', '_format_version: "3.0"\nplugins:\n- name: opentelemetry\n  config:\n    traces_endpoint: http://collector:4318/v1/traces\n');
    const offline = await runCli(['validate', '-f', f]);
    expect(offline.code, offline.stderr).toBe(0);
    const newer = "in Kong 3.4's opentelemetry plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)";
    expect(offline.stderr).toContain(`${f}:5:5: warning: plugins[0]: config.endpoint: required field missing ${newer}`);
    expect(offline.stderr).toContain(`${f}:5:5: warning: plugins[0]: config.traces_endpoint: unknown field ${newer}`);

    node({ version: '3.9.1', plugins: { opentelemetry: otel }, lists: true });
    const r = await runCli(['diff', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('an older node refuses a field it does not have, even when kong-ctl knows it offline', async () => {
    node({ version: '3.4.2' });
    const f = file('expr-ok.yaml', EXPRESSION.replace('    shiny_new_thing: true\n', ''));
    const r = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:7:5: error: services[0].routes[0]: expression: unknown field`);
    expect(r.stderr).toContain(`${f}:8:5: error: services[0].routes[0]: priority: unknown field`);
  });
});

describe("a node's deprecated aliases", () => {
  /** rate-limiting as Kong ≥ 3.6 publishes it: a `redis` record, the old `redis_*` names as shorthand_fields. */
  function rateLimiting36(): Record<string, unknown> {
    const rl = structuredClone(pluginSchemas()['rate-limiting']);
    for (const f of rl.fields) {
      if (!f.config) continue;
      const old = f.config.fields.filter((x: object) => Object.keys(x)[0].startsWith('redis_'));
      f.config.fields = f.config.fields.filter((x: object) => !Object.keys(x)[0].startsWith('redis_'));
      f.config.fields.push({ redis: { type: 'record', required: true, fields: [{ host: { type: 'string' } }, { port: { type: 'integer', default: 6379 } }] } });
      f.config.shorthand_fields = old.map((x: Record<string, { type: string }>) => {
        const [name, s] = Object.entries(x)[0];
        return { [name]: { type: s.type } };
      });
    }
    // 3.6 rewrote these checks for the redis record; the aliases are translated in Lua.
    rl.entity_checks = rl.entity_checks.filter((c: Record<string, unknown>) => !JSON.stringify(c).includes('redis_'));
    return rl;
  }

  it('are accepted and type-checked', async () => {
    node({ version: '3.6.1', plugins: { 'rate-limiting': rateLimiting36() } });
    const ok = file('alias.yaml', `_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  config:\n    minute: 5\n    policy: redis\n    redis_host: redis.internal\n`);
    expect((await runCli(['validate', '-f', ok, '--online', '--kong-addr', ADMIN])).code).toBe(0);

    node({ version: '3.6.1', plugins: { 'rate-limiting': rateLimiting36() } });
    const bad = file('alias-bad.yaml', `_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  config:\n    minute: 5\n    redis_port: six\n`);
    const r = await runCli(['validate', '-f', bad, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:6:17: error: plugins[0]: config.redis_port: expected an integer`);
  });
});

describe('vaults: the name picks the config schema, the node says which vaults it has', () => {
  // A Kong Enterprise node's HashiCorp Vault, cut down to what the test needs.
  const HCV = {
    fields: [
      {
        config: {
          type: 'record',
          required: true,
          fields: [
            { protocol: { type: 'string', default: 'http', one_of: ['http', 'https'] } },
            { host: { type: 'string', default: '127.0.0.1' } },
            { token: { type: 'string', referenceable: true } },
          ],
        },
      },
    ],
    entity_checks: [],
  };
  const VAULTS = `_format_version: "3.0"\nvaults:\n- name: hcv\n  prefix: hashi\n  config:\n    protocol: https\n    token: s.abc\n`;

  it('offline validate leaves an Enterprise vault to the node and points at --online', async () => {
    const f = file('hcv-offline.yaml', VAULTS);
    const r = await runCli(['validate', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:3:9: error: vaults[0]: name: unknown vault 'hcv': Kong OSS bundles only 'env' (Kong Enterprise adds others)`);
    expect(r.stderr).toContain('One of these problems (unknown field, value, plugin or vault) may be fine on your Kong');
  });

  it('validate --online accepts it on a node that has it, and checks its config there', async () => {
    node({ vaults: { hcv: HCV } });
    const ok = await runCli(['validate', '-f', file('hcv-ok.yaml', VAULTS), '--online', '--kong-addr', ADMIN]);
    expect(ok.code, ok.stderr).toBe(0);

    node({ vaults: { hcv: HCV } });
    const f = file('hcv-bad.yaml', VAULTS.replace('protocol: https', 'protocol: ftp'));
    const bad = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${f}:6:15: error: vaults[0]: config.protocol: expected one of: http, https`);
  });

  it('apply refuses it on a node without it, at its file:line, before any write', async () => {
    const { stderr, f } = await applyRefused('hcv-missing.yaml', VAULTS);
    expect(stderr).toContain(
      `${f}:3:9: error: vaults[0]: name: vault 'hcv' is not installed on this Kong 3.4.2: add it to Kong's \`vaults\` setting or remove it from the file`,
    );
  });
});

describe('a node older than a kind the files use', () => {
  it('Kong 3.0 has no keys: said at the file:line, with the version that brought them', async () => {
    node({ version: '3.0.2', entities: { key: undefined, key_set: undefined } });
    const f = file('keys-on-3.0.yaml', `_format_version: "3.0"\nkey_sets:\n- name: signing\n`);
    const r = await runCli(['validate', '-f', f, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:3:3: error: key_sets[0]: this Kong 3.0.2 has no key_sets (GET /schemas/key_sets → 404): key_sets came with Kong 3.1`);
  });
});
