/**
 * validateDesired against a node's own schemas (the second pass of diff, apply and
 * validate --online), and the offline baseline's later-version additions. The node here is
 * the recorded Kong 3.4.2: whatever it stored must validate clean against its own schemas,
 * or the online pass would refuse configs Kong accepts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import type { Schemas } from '../../../cli/src/model/schema';
import { PROJECT_PLUGINS } from '../../../plugins/registry';
import { entitySchemas, listData, pluginSchemas, vaultSchemas } from '../kong/fixtures';
import { brief, exchange, sample } from './helpers';

/** The recorded node, serving this project's plugins as their plugin servers declare them. */
function recordedNode(): { version: string; schemas: Schemas } {
  const plugins: Schemas['plugins'] = { ...pluginSchemas() };
  for (const p of PROJECT_PLUGINS) plugins[p.Name] = { fields: [{ config: { type: 'record', fields: p.Schema as never } }] };
  return { version: '3.4.2', schemas: { entities: entitySchemas(), plugins, vaults: vaultSchemas() } };
}

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'kong-ctl-live-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(doc: unknown, kong?: { version: string; schemas: Schemas }): Promise<string[]> {
  const f = join(dir, `f${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, typeof doc === 'string' ? doc : stringify(doc));
  const r = await loadDesired({ files: [f], env: {} });
  return validateDesired(r, kong ? { kong } : {}).map(
    (d) => `${d.baseline ? '[baseline] ' : ''}${d.source?.line}:${d.source?.column} ${d.source?.path}: ${d.message}`,
  );
}

/** A plugin as Kong returned it, as a global decK plugin (its scope and generated fields dropped). */
function asDeck(p: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, created_at: _c, updated_at: _u, service: _s, route: _r, consumer: _co, ...rest } = p;
  return rest;
}

describe('the online pass accepts what Kong accepted', () => {
  const stored = [
    ...['085', '086', '087', '088', '089', '090', '091', '092', '096'].map((n) => exchange(n).response.body as Record<string, unknown>),
    ...listData('107'),
  ];

  it.each(stored.map((p, i) => [`${i}: ${String(p.name)}`, p] as const))(
    'the plugin Kong stored (%s), with every default it filled, validates clean',
    async (_label, plugin) => {
      expect(await check({ _format_version: '3.0', plugins: [asDeck(plugin)] }, recordedNode())).toEqual([]);
    },
  );

  it('the full sample file validates clean against the node', async () => {
    const r = await loadDesired({ files: [sample('kong.yaml')], env: {} });
    expect(validateDesired(r, { kong: recordedNode() }).map(brief)).toEqual([]);
  });
});

describe("the online pass refuses what Kong refused (the recorded 400s)", () => {
  it("095: config.minute and config.policy, with Kong's own messages", async () => {
    const body = exchange('095').request.body as Record<string, unknown>;
    expect(await check({ _format_version: '3.0', plugins: [body] }, recordedNode())).toEqual([
      '5:15 plugins[0]: config.minute: value must be greater than 0',
      '6:15 plugins[0]: config.policy: expected one of: local, cluster, redis',
    ]);
  });

  it('124: rate-limiting without a limit fails its entity check', async () => {
    const body = exchange('124').request.body as Record<string, unknown>;
    const got = await check({ _format_version: '3.0', plugins: [body] }, recordedNode());
    expect(got).toEqual([
      "3:5 plugins[0]: at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
    ]);
  });

  it('094: a plugin the node does not have', async () => {
    expect(await check({ _format_version: '3.0', plugins: [{ name: 'no-such-plugin' }] }, recordedNode())).toEqual([
      "3:11 plugins[0]: name: plugin 'no-such-plugin' is not installed on this Kong 3.4.2: add it to Kong's `plugins` setting or remove it from the file",
    ]);
  });

  it('an entity whose providing plugin the node lacks', async () => {
    const node = recordedNode();
    delete node.schemas.entities.jwt_secret;
    const got = await check({ _format_version: '3.0', consumers: [{ username: 'a', jwt_secrets: [{ key: 'k', secret: 's' }] }] }, node);
    expect(got).toEqual([
      '5:9 consumers[0].jwt_secrets[0]: this Kong 3.4.2 has no jwt_secrets (GET /schemas/jwt_secrets → 404): enable the plugin that provides it',
    ]);
  });
});

describe('offline: the baseline and what later versions added', () => {
  it('accepts what Kong 3.5 to 3.9 added: expression routes, jwt PS256, the redirect plugin', async () => {
    const doc = {
      _format_version: '3.0',
      services: [{ name: 's', host: 'h', routes: [{ name: 'r', expression: 'http.path == "/"', priority: 5 }] }],
      consumers: [{ username: 'c', jwt_secrets: [{ key: 'k', algorithm: 'PS256', rsa_public_key: 'pem' }] }],
      plugins: [{ name: 'redirect', config: { location: 'https://example.org' } }],
    };
    expect(await check(doc)).toEqual([]);
  });

  it('marks only unknown fields, values and plugins as baseline problems', async () => {
    const doc = {
      _format_version: '3.0',
      upstreams: [{ name: 'u', algorithm: 'sticky-sessions', sticky_sessions_cookie: 'c', slots: 'many' }],
      plugins: [{ name: 'acme-audit' }],
    };
    expect(await check(doc)).toEqual([
      '[baseline] 4:16 upstreams[0]: algorithm: expected one of: consistent-hashing, least-connections, round-robin, latency',
      '[baseline] 5:5 upstreams[0]: sticky_sessions_cookie: unknown field',
      '6:12 upstreams[0]: slots: expected an integer',
      "[baseline] 8:11 plugins[0]: name: unknown plugin 'acme-audit': neither bundled with Kong (up to 3.9) nor one of this project's plugins",
    ]);
  });

  it("never marks an unknown key of the file's own layout: no Kong version makes it right", async () => {
    const doc = {
      _format_version: '3.0',
      _info: { select_tag: ['a'], defaults: { servce: { retries: 1 }, service: { retrys: 1 } }, default_lookup_tags: { service: ['b'] } },
      servics: [{ name: 'x' }],
    };
    expect(await check(doc)).toEqual([
      "3:3 : _info.select_tag: unknown field (did you mean 'select_tags'?)",
      "6:5 : _info.defaults.servce: unknown field (did you mean 'service'?)",
      // A field of an entity: a newer Kong may have it.
      "[baseline] 9:7 : _info.defaults.service.retrys: unknown field (did you mean 'retries'?)",
      "11:5 : _info.default_lookup_tags.service: unknown field (did you mean 'services'?)",
      "13:1 : servics: unknown field (did you mean 'services'?)",
    ]);
  });

  it('a plugin scoped to a consumer group is refused whole, not left to a node whose plugins schema has consumer_group', async () => {
    const doc = {
      _format_version: '3.0',
      services: [{ name: 's', host: 'h', plugins: [{ name: 'cors', consumer_group: 'gold' }] }],
    };
    const node = recordedNode();
    // A Kong Enterprise node's plugins schema (3.4 and later) has the foreign key.
    const plugins = node.schemas.entities.plugin!;
    const plugin = { ...plugins, fields: [...plugins.fields, { consumer_group: { type: 'foreign' as const, reference: 'consumer_groups' } }] };
    const enterprise = { ...node, schemas: { ...node.schemas, entities: { ...node.schemas.entities, plugin } } };
    const refused =
      "7:9 services[0].plugins[0]: consumer_group: kong-ctl does not manage plugins scoped to a consumer group (a Kong Enterprise entity): remove this plugin from the file, not just this key, without which it would apply more widely";
    expect(await check(doc)).toEqual([refused]);
    expect(await check(doc, enterprise)).toEqual([refused]);
  });

  it('online, the same problems are the node’s verdict, not baseline ones', async () => {
    const doc = { _format_version: '3.0', upstreams: [{ name: 'u', algorithm: 'sticky-sessions' }] };
    expect(await check(doc, recordedNode())).toEqual([
      '4:16 upstreams[0]: algorithm: expected one of: consistent-hashing, least-connections, round-robin, latency',
    ]);
  });
});

describe("jwt secrets: the key check Kong's conditional runs and /schemas does not show", () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = readFileSync(sample('kong.yaml'), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0].replace(/^\s+/gm, '');
  const secrets = (list: Array<Record<string, unknown>>) => ({ _format_version: '3.0', consumers: [{ username: 'c', jwt_secrets: list }] });
  const invalid = (alg: string) =>
    `rsa_public_key: invalid key when algorithm is "${alg}" (OpenSSL takes a PEM public or private key, not a certificate)`;

  it.each([['offline'], ['online']])('%s: RS* takes a PEM key, public or private; not a certificate, not garbage', async (mode) => {
    const doc = secrets([
      { key: 'spki', algorithm: 'RS256', rsa_public_key: pub },
      { key: 'pkcs1', algorithm: 'RS384', rsa_public_key: pkcs1 },
      { key: 'private', algorithm: 'RS512', rsa_public_key: priv },
      { key: 'cert', algorithm: 'RS256', rsa_public_key: cert },
      { key: 'garbage', algorithm: 'RS256', rsa_public_key: 'not a key' },
      // Kong's conditional leaves HS* alone: so does this check.
      { key: 'hs', algorithm: 'HS256', secret: 's', rsa_public_key: 'not a key' },
    ]);
    const got = await check(doc, mode === 'online' ? recordedNode() : undefined);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(new RegExp(`^\\d+:\\d+ consumers\\[0\\]\\.jwt_secrets\\[3\\]: ${escape(invalid('RS256'))}$`));
    expect(got[1]).toMatch(new RegExp(`^\\d+:\\d+ consumers\\[0\\]\\.jwt_secrets\\[4\\]: ${escape(invalid('RS256'))}$`));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
