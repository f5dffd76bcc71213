/**
 * `kong-ctl file kong2kic`: decK's `deck file kong2kic`. decK's own golden files (test/fixtures/
 * kong2kic, see its README) are converted through the CLI with the target decK's test gives
 * each (KIC v2 or v3, Gateway or Ingress API) and must give decK's manifests. The manifests are
 * compared as data, document by document in order: decK's YAML (sigs.k8s.io/yaml) and kong-ctl's
 * differ in indentation and quoting only. The expected outputs are stored as JSON lists of the
 * documents, since every YAML file of the repository must be a decK file the file commands can
 * rewrite (layout.test.ts) and a multi-document stream is not one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-k2k-');
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kong2kic');

/** decK's test table: input, expected output, target (kong2kic_test.go). */
const GOLDEN: Array<{ input: string; expected: string; args: string[] }> = [
  { input: 'service-input.yaml', expected: 'service-output-expected.json', args: [] },
  { input: 'route-top-level-input.yaml', expected: 'route-gw-v3-output-expected.json', args: [] },
  { input: 'route-input.yaml', expected: 'route-gw-v2-output-expected.json', args: ['--kic-version', '2'] },
  { input: 'route-input.yaml', expected: 'route-ingress-output-expected.json', args: ['--ingress'] },
  { input: 'upstream-input.yaml', expected: 'upstream-v2-output-expected.json', args: ['--kic-version', '2'] },
  { input: 'upstream-input.yaml', expected: 'upstream-v3-output-expected.json', args: [] },
  { input: 'global-plugin-input.yaml', expected: 'global-plugin-output-expected.json', args: [] },
  { input: 'consumer-input.yaml', expected: 'consumer-v3-output-expected.json', args: [] },
  { input: 'consumer-group-input.yaml', expected: 'consumer-group-output-expected.json', args: [] },
  { input: 'certificate-input.yaml', expected: 'certificate-output-expected.json', args: [] },
  { input: 'ca-certificate-input.yaml', expected: 'ca-certificate-output-expected.json', args: [] },
];

function documents(yaml: string): unknown[] {
  return parseAllDocuments(yaml)
    .map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as unknown;
    })
    .filter((d) => d !== null);
}

async function kong2kic(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  return runCli(['file', 'kong2kic', ...args], opts);
}

function expected(name: string): unknown[] {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as unknown[];
}

describe("kong-ctl file kong2kic: decK's golden files", () => {
  for (const g of GOLDEN) {
    it(`${g.input} ${g.args.join(' ') || '(KIC v3, Gateway API)'} gives ${g.expected}`, async () => {
      const r = await kong2kic(['-s', join(FIXTURES, g.input), ...g.args]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.endsWith('---\n')).toBe(true);
      expect(documents(r.stdout)).toEqual(expected(g.expected));
    });
  }

  it('gives the same manifests as JSON objects, one after the other', async () => {
    for (const g of GOLDEN) {
      const r = await kong2kic(['-s', join(FIXTURES, g.input), ...g.args, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const objects = r.stdout
        .trimEnd()
        .split(/\n(?=\{)/)
        .map((o) => JSON.parse(o) as unknown);
      expect(objects, g.expected).toEqual(expected(g.expected));
      expect(r.stdout).toContain('\n    "apiVersion"');
    }
  });

  it('the Ingress API is the same for KIC v2, and --api is decK’s former spelling of --ingress', async () => {
    const input = join(FIXTURES, 'route-input.yaml');
    for (const args of [['--ingress', '--kic-version', '2'], ['--api', 'ingress'], ['--api', 'Ingress', '--kic-version', '2']]) {
      const r = await kong2kic(['-s', input, ...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(documents(r.stdout), args.join(' ')).toEqual(expected('route-ingress-output-expected.json'));
    }
    const r = await kong2kic(['-s', input, '--ingress', '--api', 'gateway']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--ingress and --api gateway/);
  });
});

describe('kong-ctl file kong2kic', () => {
  it('reads stdin by default, with the env templates every decK file may use', async () => {
    const stdin = '_format_version: "3.0"\nservices:\n- name: orders\n  url: https://${{ env "DECK_ORDERS_HOST" }}:8443/v1\n';
    const r = await kong2kic([], { stdin, env: { ...process.env, DECK_ORDERS_HOST: 'orders.internal' } });
    expect(r.code, r.stderr).toBe(0);
    expect(documents(r.stdout)).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'orders', annotations: { 'konghq.com/protocol': 'https', 'konghq.com/path': '/v1' } },
        spec: { type: 'ExternalName', externalName: 'orders.internal', ports: [{ port: 8443, protocol: 'TCP', targetPort: 8443 }] },
      },
    ]);
  });

  it('refuses a broken file with its file:line, and writes nothing', async () => {
    const bad = session.write('bad.yaml', '_format_version: "3.0"\nservices:\n  - name: a\n    port: [1\n');
    const out = join(session.dir(), 'never.yaml');
    const r = await kong2kic(['-s', bad, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: .*invalid YAML/);
    expect(r.stdout).toBe('');
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses a file without _format_version, or with an unset variable, at its line', async () => {
    const noVersion = await kong2kic([], { stdin: 'services:\n- name: a\n  host: a.internal\n' });
    expect(noVersion.code).toBe(1);
    expect(noVersion.stderr).toMatch(/<stdin>:1:1: error: missing _format_version/);
    const unset = await kong2kic([], { stdin: '_format_version: "3.0"\nservices:\n- name: a\n  host: ${{ env "DECK_NOT_SET_K2K" }}\n' });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/<stdin>:4:\d+: error: .*DECK_NOT_SET_K2K/);
  });

  it('refuses a list that is not a list of entities, as decK does, at its line, and writes nothing', async () => {
    const bad = session.write(
      'shape.yaml',
      [
        '_format_version: "3.0"',
        'consumers:',
        '- username: ann',
        '  groups:',
        '  - gold',
        '  mtls_auth_credentials: device@example.com',
        'consumer_groups:',
        '- name: gold',
        '  consumers:',
        '  - ann',
        '- silver',
        'services: orders',
        '',
      ].join('\n'),
    );
    const out = join(session.dir(), 'never-shape.yaml');
    const r = await kong2kic(['-s', bad, '-o', out]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.includes('error:'));
    expect(errors).toEqual([
      expect.stringMatching(/shape\.yaml:12:11: error: services: expected a list of services$/),
      expect.stringMatching(/shape\.yaml:5:5: error: consumers\[0\]\.groups\[0\]: expected a consumer group reference \(a mapping, \{ name: NAME \} or \{ id: ID \}\)$/),
      expect.stringMatching(/shape\.yaml:6:26: error: consumers\[0\]\.mtls_auth_credentials: expected a list of credentials$/),
      expect.stringMatching(/shape\.yaml:10:5: error: consumer_groups\[0\]\.consumers\[0\]: expected a consumer reference \(a mapping, \{ username: NAME \} or \{ id: ID \}\)$/),
      expect.stringMatching(/shape\.yaml:11:3: error: consumer_groups\[1\]: expected a consumer group \(a mapping of its fields\)$/),
    ]);
    expect(r.stderr).toMatch(/5 problems found in .*shape\.yaml; nothing was written/);
    expect(r.stdout).toBe('');
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses the keys of other entities kong-ctl does not manage, at their line, and writes nothing', async () => {
    const out = join(session.dir(), 'never-partials.yaml');
    const partials = await kong2kic(['-o', out], { stdin: '_format_version: "3.0"\nconsumers:\n- username: a\npartials:\n- name: p\n' });
    expect(partials.code).toBe(1);
    expect(partials.stderr).toMatch(/<stdin>:4:1: error: .*does not manage partials/);
    expect(partials.stdout).toBe('');
    expect(() => readFileSync(out)).toThrow();
    const lookup = await kong2kic([], { stdin: '_format_version: "3.0"\n_info:\n  default_lookup_tags:\n    consumer_groups: [gold]\n' });
    expect(lookup.code).toBe(1);
    expect(lookup.stderr).toMatch(/<stdin>:4:5: error: .*does not manage consumer groups/);
  });

  it('writes consumer groups alike for KIC v2 and v3 and both APIs, as decK says they are', async () => {
    for (const args of [['--kic-version', '2'], ['--ingress'], ['--ingress', '--kic-version', '2']]) {
      const r = await kong2kic(['-s', join(FIXTURES, 'consumer-group-input.yaml'), ...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(documents(r.stdout), args.join(' ')).toEqual(expected('consumer-group-output-expected.json'));
    }
  });

  it("takes a consumer's groups and top-level consumer-group plugins too, names groups by their KongConsumerGroup, and says what is not in the file", async () => {
    const file = session.write(
      'groups.yaml',
      [
        '_format_version: "3.0"',
        'consumers:',
        '- username: ann',
        '  groups:',
        '  - name: Gold Users',
        '  - name: nowhere',
        '- username: bob',
        '  id: 8d4a6a4e-0d4f-4bd4-9a8f-2f1c2a3b4c5d',
        'consumer_groups:',
        '- name: silver',
        '  consumers:',
        '  - username: ann',
        '  - username: carol',
        '- name: Gold Users',
        '  id: 5b1b2e4e-6f0e-4a57-9d1c-3f6b8a7c9d0e',
        '  consumers:',
        '  - id: 8d4a6a4e-0d4f-4bd4-9a8f-2f1c2a3b4c5d',
        '  - username: ann',
        '  plugins:',
        '  - name: rate-limiting',
        '    config: { minute: 5 }',
        'plugins:',
        '- name: request-termination',
        '  consumer_group: 5b1b2e4e-6f0e-4a57-9d1c-3f6b8a7c9d0e',
        '  enabled: false',
        '  config: { status_code: 403 }',
        '- name: cors',
        '  consumer_group: bronze',
        '',
      ].join('\n'),
    );
    const r = await kong2kic(['-s', file]);
    expect(r.code, r.stderr).toBe(0);
    const docs = documents(r.stdout) as Array<{ kind: string; metadata: { name: string; annotations?: Record<string, string> }; consumerGroups?: string[]; disabled?: boolean }>;
    const consumer = (name: string) => docs.find((d) => d.kind === 'KongConsumer' && d.metadata.name === name);
    // In the file's order of the groups, each once, by the KongConsumerGroup's name.
    expect(consumer('ann')?.consumerGroups).toEqual(['silver', 'gold-users']);
    expect(consumer('bob')?.consumerGroups).toEqual(['gold-users']);
    const groups = docs.filter((d) => d.kind === 'KongConsumerGroup');
    expect(groups.map((g) => g.metadata.name)).toEqual(['silver', 'gold-users']);
    expect(groups[1].metadata.annotations?.['konghq.com/plugins']).toBe('gold-users-rate-limiting,gold-users-request-termination');
    expect(groups[0].metadata.annotations?.['konghq.com/plugins']).toBeUndefined();
    const termination = docs.find((d) => d.kind === 'KongPlugin' && d.metadata.name === 'gold-users-request-termination');
    expect(termination?.disabled).toBe(true);
    expect(docs.some((d) => d.kind === 'KongClusterPlugin')).toBe(false);
    expect(r.stderr).toMatch(/warning: .*groups\.yaml: consumer_groups\[0\]\.consumers\[1\]: consumer carol is not in the file/);
    expect(r.stderr).toMatch(/warning: .*groups\.yaml: consumers\[0\]\.groups\[1\]: consumer group nowhere is not in the file/);
    expect(r.stderr).toMatch(/warning: .*groups\.yaml: plugins\[1\]: .*consumer group it names is not in the file/);
    expect(r.stderr.match(/warning/g)).toHaveLength(3);
  });

  it('writes the PEM of an mTLS credential’s CA certificate, as decK does, and says when there is none to write', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const file = session.write(
      'mtls.yaml',
      [
        '_format_version: "3.0"',
        'consumers:',
        '- username: device',
        '  mtls_auth_credentials:',
        '  - subject_name: device@example.com',
        '    ca_certificate:',
        '      cert: |-',
        ...pem.split('\n').map((l) => `        ${l}`),
        '- username: other',
        '  mtls_auth_credentials:',
        '  - subject_name: other@example.com',
        '    ca_certificate: { id: 2e5f8ad1-21ca-47f5-8af7-899486e82731 }',
        '',
      ].join('\n'),
    );
    for (const [args, typed] of [[[], { labels: { 'konghq.com/credential': 'mtls-auth' } }], [['--kic-version', '2'], { kongCredType: 'mtls-auth' }]] as const) {
      const r = await kong2kic(['-s', file, ...args]);
      expect(r.code, r.stderr).toBe(0);
      const secrets = (documents(r.stdout) as Array<{ kind: string; metadata: { name: string; labels?: unknown }; stringData: Record<string, string> }>).filter((d) => d.kind === 'Secret');
      expect(secrets.map((s) => s.metadata.name)).toEqual(['mtls-auth-device', 'mtls-auth-other']);
      expect(secrets.map((s) => s.stringData)).toEqual([
        { subject_name: 'device@example.com', ca_certificate: pem, ...('kongCredType' in typed ? typed : {}) },
        { subject_name: 'other@example.com', ...('kongCredType' in typed ? typed : {}) },
      ]);
      if ('labels' in typed) expect(secrets[0].metadata.labels).toEqual(typed.labels);
      expect(r.stderr).toMatch(/warning: .*mtls\.yaml: consumers\[1\]\.mtls_auth_credentials\[0\]: its ca_certificate has no cert/);
      expect(r.stderr.match(/warning/g)).toHaveLength(1);
    }
  });

  it('writes KIC v2 credentials with their type in the Secret (kongCredType), as decK does', async () => {
    const r = await kong2kic(['-s', join(FIXTURES, 'consumer-input.yaml'), '--kic-version', '2']);
    expect(r.code, r.stderr).toBe(0);
    // KIC v3's output, but for where the Secrets say their credential type.
    const v3 = expected('consumer-v3-output-expected.json') as Array<{ kind: string; metadata: { labels?: Record<string, string> }; stringData?: Record<string, string> }>;
    const v2 = v3.map((m) => {
      if (m.kind !== 'Secret') return m;
      const { labels, ...meta } = m.metadata;
      return { ...m, metadata: meta, stringData: { ...m.stringData, kongCredType: labels?.['konghq.com/credential'] } };
    });
    expect(documents(r.stdout)).toEqual(v2);
  });

  it("gives a consumer's second credential of a type its own Secret (decK names both alike, and Kubernetes keeps one)", async () => {
    const file = session.write(
      'two-acls.yaml',
      '_format_version: "3.0"\nconsumers:\n- username: ann\n  acls:\n  - group: gold\n  - group: beta\n  - group: ops\n  keyauth_credentials:\n  - key: k1\n  - key: k2\n',
    );
    const r = await kong2kic(['-s', file]);
    expect(r.code, r.stderr).toBe(0);
    const docs = documents(r.stdout) as Array<{ kind: string; metadata: { name: string }; stringData?: Record<string, string>; credentials?: string[] }>;
    const secrets = docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, d.stringData?.group ?? d.stringData?.key]);
    expect(secrets).toEqual([
      ['key-auth-ann', 'k1'],
      ['key-auth-ann-2', 'k2'],
      ['acl-ann', 'gold'],
      ['acl-ann-2', 'beta'],
      ['acl-ann-3', 'ops'],
    ]);
    expect(docs.find((d) => d.kind === 'KongConsumer')?.credentials).toEqual(['key-auth-ann', 'key-auth-ann-2', 'acl-ann', 'acl-ann-2', 'acl-ann-3']);
  });

  describe('a plugin scoped to a consumer (or consumer group) and a service (or route): one KongPlugin both name, which KIC combines', () => {
    type Doc = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: { rules?: Array<{ filters?: unknown[] }> }; plugin?: string; config?: unknown };
    const pluginsOf = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)?.metadata.annotations?.['konghq.com/plugins'];
    const filtersOf = (docs: Doc[], name: string) =>
      docs.find((d) => d.kind === 'HTTPRoute' && d.metadata.name === name)?.spec?.rules?.map((r) => (r.filters ?? []).map((f) => (f as { extensionRef: { name: string } }).extensionRef.name));
    const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning:'));

    it("a service's plugins for two consumers: a KongPlugin each, named by the service and by its consumer", async () => {
      const file = session.write(
        'combined.yaml',
        '_format_version: "3.0"\nservices:\n- name: orders\n  host: a.internal\n  plugins:\n  - name: cors\n  - name: rate-limiting\n    consumer: ann\n    config: { minute: 5 }\n' +
          '  - name: rate-limiting\n    consumer: { username: bob }\n    config: { minute: 50 }\n' +
          'consumers:\n- username: ann\n  plugins:\n  - name: request-termination\n    service: orders\n    config: { status_code: 403 }\n- username: bob\n',
      );
      const r = await kong2kic(['-s', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      const docs = documents(r.stdout) as Doc[];
      expect(docs.filter((d) => d.kind === 'KongPlugin').map((d) => [d.metadata.name, d.plugin, d.config])).toEqual([
        ['orders-cors', 'cors', undefined],
        ['orders-ann-rate-limiting', 'rate-limiting', { minute: 5 }],
        ['orders-bob-rate-limiting', 'rate-limiting', { minute: 50 }],
        ['ann-orders-request-termination', 'request-termination', { status_code: 403 }],
      ]);
      expect(pluginsOf(docs, 'Service', 'orders')).toBe('orders-cors,orders-ann-rate-limiting,orders-bob-rate-limiting,ann-orders-request-termination');
      expect(pluginsOf(docs, 'KongConsumer', 'ann')).toBe('ann-orders-request-termination,orders-ann-rate-limiting');
      expect(pluginsOf(docs, 'KongConsumer', 'bob')).toBe('orders-bob-rate-limiting');
    });

    it('a route and a consumer: the HTTPRoute filters on every rule (Gateway API) or the Ingress annotation, and the KongConsumer', async () => {
      const text =
        '_format_version: "3.0"\nservices:\n- name: orders\n  host: a.internal\n  routes:\n  - name: list\n    paths: [/a, /b]\n' +
        'consumers:\n- username: ann\nplugins:\n- name: rate-limiting\n  route: list\n  consumer: ann\n  config: { minute: 5 }\n';
      const file = session.write('route-consumer.yaml', text);
      const gw = await kong2kic(['-s', file]);
      expect(gw.code, gw.stderr).toBe(0);
      expect(warnings(gw.stderr)).toEqual([]);
      const gwDocs = documents(gw.stdout) as Doc[];
      expect(filtersOf(gwDocs, 'orders-list')).toEqual([['orders-list-ann-rate-limiting'], ['orders-list-ann-rate-limiting']]);
      expect(pluginsOf(gwDocs, 'KongConsumer', 'ann')).toBe('orders-list-ann-rate-limiting');
      const ing = await kong2kic(['-s', file, '--ingress']);
      expect(ing.code, ing.stderr).toBe(0);
      const ingDocs = documents(ing.stdout) as Doc[];
      expect(pluginsOf(ingDocs, 'Ingress', 'orders-list')).toBe('orders-list-ann-rate-limiting');
      expect(pluginsOf(ingDocs, 'KongConsumer', 'ann')).toBe('orders-list-ann-rate-limiting');
    });

    it('a top-level plugin naming its consumer as `{ username }`, as decK reads it, goes to that consumer', async () => {
      const file = session.write('username-ref.yaml', '_format_version: "3.0"\nconsumers:\n- username: ann\nplugins:\n- name: cors\n  consumer: { username: ann }\n');
      const r = await kong2kic(['-s', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      expect(pluginsOf(documents(r.stdout) as Doc[], 'KongConsumer', 'ann')).toBe('ann-cors');
    });

    it('a consumer group and a service', async () => {
      const file = session.write(
        'group-service.yaml',
        '_format_version: "3.0"\nservices:\n- name: orders\n  host: a.internal\nconsumer_groups:\n- name: gold\nplugins:\n- name: rate-limiting\n  service: orders\n  consumer_group: gold\n  config: { minute: 500 }\n',
      );
      const r = await kong2kic(['-s', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      const docs = documents(r.stdout) as Doc[];
      expect(pluginsOf(docs, 'Service', 'orders')).toBe('orders-gold-rate-limiting');
      expect(pluginsOf(docs, 'KongConsumerGroup', 'gold')).toBe('orders-gold-rate-limiting');
    });

    it("a route and its own service: the route's alone, as Kong runs it (decK puts it on the whole service)", async () => {
      const file = session.write(
        'route-service.yaml',
        '_format_version: "3.0"\nservices:\n- name: orders\n  host: a.internal\n  routes:\n  - name: list\n    paths: [/a]\n  - name: other\n    paths: [/o]\n' +
          'plugins:\n- name: cors\n  service: orders\n  route: list\n',
      );
      const r = await kong2kic(['-s', file, '--ingress']);
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([]);
      const docs = documents(r.stdout) as Doc[];
      expect(pluginsOf(docs, 'Ingress', 'orders-list')).toBe('orders-list-cors');
      expect(pluginsOf(docs, 'Ingress', 'orders-other')).toBeUndefined();
      expect(pluginsOf(docs, 'Service', 'orders')).toBeUndefined();
    });

    it('says what KIC cannot combine, or a partner not in the file, and keeps the plugin on its owner alone', async () => {
      const file = session.write(
        'uncombinable.yaml',
        '_format_version: "3.0"\nservices:\n- name: orders\n  host: a.internal\n  plugins:\n  - name: acl\n    consumer: ann\n    consumer_group: gold\n    config: { allow: [x] }\n' +
          '  - name: rate-limiting\n    consumer: nobody\n    config: { minute: 5 }\n- name: billing\n  host: b.internal\n  routes:\n  - name: pay\n    paths: [/p]\n' +
          'consumers:\n- username: ann\n  plugins:\n  - name: cors\n    consumer_group: gold\nconsumer_groups:\n- name: gold\nplugins:\n- name: key-auth\n  service: orders\n  route: pay\n',
      );
      const r = await kong2kic(['-s', file, '--ingress']);
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([
        expect.stringMatching(/service orders: plugin acl is also scoped to a consumer and a consumer group, which KIC cannot combine with a service: the KongPlugin acts on all of the service's traffic/),
        expect.stringMatching(/service orders: plugin rate-limiting is also scoped to consumer nobody, which is not in the file with a name: the KongPlugin acts on all of the service's traffic/),
        expect.stringMatching(/route pay: plugin key-auth is also scoped to a service, which KIC cannot combine with a route: the KongPlugin acts on all of the route's traffic/),
        expect.stringMatching(/consumer ann: plugin cors is also scoped to a consumer group, which KIC cannot combine with a consumer: the KongPlugin acts on all of the consumer's traffic/),
      ]);
      const docs = documents(r.stdout) as Doc[];
      expect(pluginsOf(docs, 'Service', 'orders')).toBe('orders-acl,orders-rate-limiting');
      expect(pluginsOf(docs, 'KongConsumer', 'ann')).toBe('ann-cors');
      expect(pluginsOf(docs, 'KongConsumerGroup', 'gold')).toBeUndefined();
    });
  });

  it('refuses entities whose manifests would share a name, naming it, and writes nothing', async () => {
    const file = session.write(
      'clash.yaml',
      '_format_version: "3.0"\nservices:\n- name: Orders\n  host: a.internal\n- name: orders\n  host: b.internal\nconsumers:\n- username: ann\n  acls: [{ group: a }, { group: b }]\n- username: ann-2\n  acls: [{ group: c }]\n',
    );
    const out = join(session.dir(), 'clash-out.yaml');
    const r = await kong2kic(['-s', file, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("two different Services would both be named 'orders'");
    expect(r.stderr).toContain("two different Secrets would both be named 'acl-ann-2'");
    expect(() => readFileSync(out)).toThrow();
  });

  it('writes to -o FILE, with a word on stderr', async () => {
    const out = join(session.dir(), 'kic.yaml');
    const r = await kong2kic(['-s', join(FIXTURES, 'global-plugin-input.yaml'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Converted .*global-plugin-input\.yaml to 1 manifest for KIC v3 \(Gateway API\)\. Wrote .*kic\.yaml/);
    expect(documents(readFileSync(out, 'utf8'))).toEqual(expected('global-plugin-output-expected.json'));
  });

  it('names the class with --class-name, and says what it cannot convert', async () => {
    const file = session.write(
      'class.yaml',
      [
        '_format_version: "3.0"',
        'services:',
        '- name: orders',
        '  port: 80',
        '  routes:',
        '  - name: list',
        '    paths: [/orders]',
        'plugins:',
        '- name: key-auth',
        '  route: nowhere',
        '',
      ].join('\n'),
    );
    const r = await kong2kic(['-s', file, '--class-name', 'internal']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*class\.yaml: plugins\[0\]: .* not converted/);
    const route = documents(r.stdout).find((d) => (d as { kind: string }).kind === 'HTTPRoute') as { spec: { parentRefs: unknown } };
    expect(route.spec.parentRefs).toEqual([{ name: 'internal' }]);
    const ingress = await kong2kic(['-s', file, '--class-name', 'internal', '--ingress']);
    expect(ingress.stdout).toContain('ingressClassName: internal');
  });

  it('refuses a KIC version other than 2 or 3, and a format other than yaml or json', async () => {
    const v = await kong2kic(['--kic-version', '1'], { stdin: '_format_version: "3.0"\n' });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/--kic-version/);
    const f = await kong2kic(['-f', 'toml'], { stdin: '_format_version: "3.0"\n' });
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/--format must be yaml or json/);
  });
});

