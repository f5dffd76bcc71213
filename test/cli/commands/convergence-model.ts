/**
 * Arbitrary valid decK files over most kinds kong-ctl manages, for the convergence properties:
 * a small model (names from small pools, so two files overlap: updates, renames, moves of a
 * route between services, of a plugin between scopes, of a credential between consumers,
 * deletes), its decK document, and the check that a simulator's store holds exactly it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { loadSimFixtures } from '../../../bench/ctl/sim-fixtures';
import type { SimStore } from '../../../bench/ctl/sim-store';
import { STAND_IN_CA_SUBJECT } from '../../../cli/src/apply/stand-ins';
import { normalizeTarget } from '../../../cli/src/kinds/target';

type Obj = Record<string, unknown>;

// ---- pools -------------------------------------------------------------------------------

export const SERVICES = ['svc-a', 'svc-b', 'svc-c'] as const;
export const ROUTES = ['rt-1', 'rt-2', 'rt-3', 'rt-4'] as const;
export const CONSUMERS = ['alice', 'bob', 'carol'] as const;
export const UPSTREAMS = ['up-a', 'up-b'] as const;
const TAGS = ['t1', 't2', 't3'];
const HOSTS = ['a.internal', 'b.internal', 'up-a'];
const PATHS = ['/a', '/b', '/c/d', '/e/', '~/items/\\d+$'];
const ROUTE_HOSTS = ['shop.example.com', '*.example.org', 'api.example.net'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const TARGETS = ['10.0.0.1:80', '10.0.0.2', 'host.internal:8080', '[::1]:9000'];
/** Two ids per target (renamed() changes the next-to-last digit): see PLUGIN_IDS. */
const TARGET_IDS = Object.fromEntries(TARGETS.map((t, i) => [t, [0, 1].map((j) => `1b0e0000-0000-4000-8000-${i.toString(16).padStart(10, '0')}0${j}`)]));
const SNIS = ['a.example.com', 'b.example.com', '*.c.example.com'];
/**
 * Ids any SNI may have (one per name at most, so hand-overs can give each name its own): an SNI
 * under another name or certificate, or two swapping names, which no order of updates can make
 * (diff/replacements.ts).
 */
const SNI_IDS = ['3d0e0000-0000-4000-8000-00000000000a', '3d0e0000-0000-4000-8000-00000000000b', '3d0e0000-0000-4000-8000-00000000000c'];
const KEYS = ['key-1', 'key-2', 'key-3'];
const BASIC_USERS = ['basic-1', 'basic-2'];
const JWT_KEYS = ['iss-1', 'iss-2'];
const HMAC_USERS = ['hmac-1', 'hmac-2'];
const GROUPS = ['gold', 'silver', 'bronze'];
/** Two ids per ACL group (renamed() changes the next-to-last digit): see PLUGIN_IDS. */
const ACL_IDS = Object.fromEntries(GROUPS.map((g, i) => [g, [0, 1].map((j) => `2c0e0000-0000-4000-8000-${i.toString(16).padStart(10, '0')}0${j}`)]));
const VAULTS = ['env-a', 'env-b'];
/** Ids either vault may have: a vault under another prefix, or two swapping prefixes (set aside for a moment). */
const VAULT_IDS = ['5d0e0000-0000-4000-8000-00000000000a', '5d0e0000-0000-4000-8000-00000000000b'];
const OAUTH_CLIENTS = ['client-1', 'client-2'];
const KEY_SETS = ['ks-1', 'ks-2'];
/** Names either key may have (a key's name is unique): two keys may swap them. */
const KEY_NAMES = ['jwk-1', 'jwk-2'];
/**
 * Ids either key may have: the same key under another kid (its kid and JWK updated), or two keys
 * swapping kids, which no order of updates can make (diff/replacements.ts).
 */
const KEY_IDS = ['9b0e0000-0000-4000-8000-00000000000a', '9b0e0000-0000-4000-8000-00000000000b'];
/** JWKs of test/fixtures/files/kong.yaml. */
const JWKS = [
  { kid: 'signing-1', jwk: '{"kty":"EC","crv":"P-256","kid":"signing-1","x":"ULv5ef1DaFwfFpGPBCfNMF388eopGSTQd9lNyX4MrvY","y":"34yr7-14DykTnh50aZkfDbvv5h1EnkDY3A4ZAulqA9g"}' },
  { kid: 'loose-1', jwk: '{"kty":"OKP","crv":"Ed25519","kid":"loose-1","x":"CsyTNEusLUQxTwQo14c_T3EpgpPN6DB3hhK3GW2_flU"}' },
];
/** Fixed ids for the CA certificates, so services can name them in `ca_certificates`. */
/** Ids a file may give services: the same id under another name is a rename. */
const SERVICE_IDS = ['5a0e0000-0000-4000-8000-00000000000a', '5a0e0000-0000-4000-8000-00000000000b', '5a0e0000-0000-4000-8000-00000000000c'];
/** The same for routes, consumers, key sets, upstreams and key-auth credentials (one pool per kind). */
const ROUTE_IDS = ['7a0e0000-0000-4000-8000-00000000000a', '7a0e0000-0000-4000-8000-00000000000b', '7a0e0000-0000-4000-8000-00000000000c', '7a0e0000-0000-4000-8000-00000000000d'];
const CONSUMER_IDS = ['8a0e0000-0000-4000-8000-00000000000a', '8a0e0000-0000-4000-8000-00000000000b', '8a0e0000-0000-4000-8000-00000000000c'];
const KEY_SET_IDS = ['9a0e0000-0000-4000-8000-00000000000a', '9a0e0000-0000-4000-8000-00000000000b'];
const UPSTREAM_IDS = ['6b0e0000-0000-4000-8000-00000000000a', '6b0e0000-0000-4000-8000-00000000000b'];
const KEYAUTH_IDS = ['4a0e0000-0000-4000-8000-00000000000a', '4a0e0000-0000-4000-8000-00000000000b', '4a0e0000-0000-4000-8000-00000000000c'];
const CA_IDS = ['6f1e2d3c-4b5a-4968-8776-a5b4c3d2e101', '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e102'];
/** The id CA certificate `i` (an index into CA_CERTS) has in `m`. */
const caIdOf = (m: Model, i: number) => CA_IDS[m.caSwapped ? 1 - i : i];

const PAIRS_DIR = join(__dirname, '..', '..', 'fixtures', 'cert-pairs');
const pem = (f: string) => readFileSync(join(PAIRS_DIR, f), 'utf8');
export const CERT_PAIRS = {
  rsa: { cert: pem('rsa.crt'), key: pem('rsa.key'), id: '0b3c4c6e-1f0a-4d8e-9a51-5a2c1e7f0001' },
  ec: { cert: pem('ec.crt'), key: pem('ec.key'), id: '0b3c4c6e-1f0a-4d8e-9a51-5a2c1e7f0002' },
  leaf: { cert: pem('leaf.crt'), key: pem('leaf.key'), id: '0b3c4c6e-1f0a-4d8e-9a51-5a2c1e7f0003' },
} as const;
type PairName = keyof typeof CERT_PAIRS;
const PAIR_NAMES = Object.keys(CERT_PAIRS) as PairName[];
/** CA certificates (CA:TRUE): the RSA pair's, and the one of test/fixtures/files/kong.yaml. */
const KONG_YAML = readFileSync(join(__dirname, '..', '..', 'fixtures', 'files', 'kong.yaml'), 'utf8');
const CA_FROM_SAMPLE = (() => {
  const i = KONG_YAML.indexOf('ca_certificates:');
  const block = KONG_YAML.slice(i).split('\n').slice(2);
  const lines: string[] = [];
  for (const l of block) {
    lines.push(l.trim());
    if (l.includes('END CERTIFICATE')) break;
  }
  return lines.join('\n') + '\n';
})();
export const CA_CERTS = [pem('rsa.crt'), CA_FROM_SAMPLE];

// ---- model -------------------------------------------------------------------------------

export interface Service {
  name: string;
  id?: string;
  url?: string;
  fields: Obj; // host/port/protocol/path when no url, plus retries, timeouts, tags, enabled
  clientCert?: PairName;
  /** Indexes into CA_CERTS: the service's `ca_certificates`, by id. */
  caCerts?: number[];
}
export interface Route {
  name: string;
  id?: string;
  service: string;
  nested: boolean;
  fields: Obj;
}
export type Scope = { service?: string; route?: string; consumer?: string };
export interface Plugin {
  name: string;
  /** One of its name's two (PLUGIN_IDS), or one any name may take. */
  id?: string;
  scope: Scope;
  nested: boolean;
  fields: Obj; // config, enabled, tags, protocols
}
export interface Consumer {
  username: string;
  id?: string;
  fields: Obj; // custom_id, tags
}
export interface Cred {
  kind: 'keyauth_credentials' | 'basicauth_credentials' | 'jwt_secrets' | 'hmacauth_credentials' | 'acls' | 'oauth2_credentials';
  consumer: string;
  /**
   * key-auth: a kept id under another key is a change of key; acls: one of its group's two
   * (ACL_IDS), the same group at another consumer (a move) or another in its place.
   */
  id?: string;
  fields: Obj;
}
export interface Target {
  target: string;
  /** One of its target's two (TARGET_IDS): the same target, or another in its place. */
  id?: string;
  weight?: number;
}
export interface Upstream {
  name: string;
  id?: string;
  fields: Obj;
  targets: Target[];
}
export interface Certificate {
  pair: PairName;
  withId: boolean;
  /** With withId: an id of its own instead of the pair's (another team's files: `renamed`). */
  id?: string;
  snis: Sni[];
  tags?: string[];
}
export interface Sni {
  name: string;
  /** One of SNI_IDS. */
  id?: string;
}
export interface KeySet {
  name: string;
  id?: string;
  tags?: string[];
}
export interface Key {
  kid: string;
  /** One of KEY_IDS. */
  id?: string;
  jwk: string;
  name?: string;
  set?: string;
  /** Under its set in the file, or at the top naming it. */
  nested: boolean;
}
export interface Vault {
  prefix: string;
  /** One of VAULT_IDS. */
  id?: string;
  fields: Obj;
}
export interface Model {
  services: Service[];
  routes: Route[];
  plugins: Plugin[];
  consumers: Consumer[];
  creds: Cred[];
  upstreams: Upstream[];
  certificates: Certificate[];
  caCertificates: number[];
  /** CA certificates written with their id (CA_IDS, caIdOf). */
  caWithId: boolean[];
  /**
   * Each CA certificate under the other's id (`caIdOf`): a pair whose two files differ here has
   * the two contents, which Kong keeps unique by digest, swap under their ids (set aside for a
   * moment, apply/temporary-release.ts), or one content move to the other id.
   */
  caSwapped: boolean;
  vaults: Vault[];
  keySets: KeySet[];
  keys: Key[];
}

// ---- arbitraries -------------------------------------------------------------------------

/** Target ids are unique across upstreams: a later target drawing a taken one goes without. */
function withUniqueTargetIds(ups: Upstream[]): Upstream[] {
  uniqueIds(ups.flatMap((u) => u.targets));
  return ups;
}

/** Ids are unique per kind: a later entity drawing a taken one goes without. */
function uniqueIds<T extends { id?: string }>(xs: T[]): T[] {
  const ids = new Set<string>();
  for (const x of xs) {
    if (x.id === undefined) continue;
    if (ids.has(x.id)) delete x.id;
    else ids.add(x.id);
  }
  return xs;
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const subset = <T>(xs: readonly T[], min = 0) => fc.subarray([...xs], { minLength: min });
const tags = opt(subset(TAGS, 1));
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const serviceArb = (name: string) =>
  fc.record({
    form: fc.constantFrom('url', 'fields'),
    protocol: fc.constantFrom('http', 'https'),
    host: fc.constantFrom(...HOSTS),
    port: opt(fc.constantFrom(80, 443, 8080, 9000)),
    path: opt(fc.constantFrom('/v1', '/v1/x', '/')),
    retries: opt(fc.integer({ min: 0, max: 10 })),
    connect_timeout: opt(fc.integer({ min: 1, max: 120000 })),
    read_timeout: opt(fc.integer({ min: 1, max: 120000 })),
    enabled: opt(fc.boolean()),
    tags,
    clientCert: opt(fc.constantFrom(...PAIR_NAMES)),
    caCerts: opt(subset([0, 1], 1)),
    tls_verify: opt(fc.boolean()),
    id: opt(fc.constantFrom(...SERVICE_IDS)),
  }).map((s): Service => {
    const extra = defined({ retries: s.retries, connect_timeout: s.connect_timeout, read_timeout: s.read_timeout, enabled: s.enabled, tags: s.tags });
    const clientCert = s.protocol === 'https' ? s.clientCert : undefined;
    const caCerts = s.protocol === 'https' ? s.caCerts : undefined;
    if (s.protocol === 'https' && s.tls_verify !== undefined) extra.tls_verify = s.tls_verify;
    if (s.form === 'url') {
      const url = `${s.protocol}://${s.host}${s.port !== undefined ? `:${s.port}` : ''}${s.path ?? ''}`;
      return { name, id: s.id, url, fields: extra, clientCert, caCerts };
    }
    return { name, id: s.id, fields: defined({ protocol: s.protocol, host: s.host, port: s.port, path: s.path, ...extra }), clientCert, caCerts };
  });

const routeArb = (name: string) =>
  fc.record({
    service: fc.constantFrom(...SERVICES),
    nested: fc.boolean(),
    paths: opt(subset(PATHS, 1)),
    hosts: opt(subset(ROUTE_HOSTS, 1)),
    methods: opt(subset(METHODS, 1)),
    headers: opt(fc.constantFrom({ 'x-team': ['a'] }, { 'x-team': ['a', 'b'], 'x-env': ['prod'] })),
    strip_path: opt(fc.boolean()),
    preserve_host: opt(fc.boolean()),
    regex_priority: opt(fc.integer({ min: 0, max: 100 })),
    https_redirect_status_code: opt(fc.constantFrom(426, 301, 302, 307, 308)),
    path_handling: opt(fc.constantFrom('v0', 'v1')),
    protocols: opt(fc.constantFrom(['http', 'https'], ['https'], ['http'])),
    tags,
    id: opt(fc.constantFrom(...ROUTE_IDS)),
  }).map(({ service, nested, id, ...f }): Route => {
    // An http route needs one of paths, hosts, methods or headers.
    const fields = defined(f);
    if (!fields.paths && !fields.hosts && !fields.methods && !fields.headers) fields.paths = ['/' + name];
    return defined({ name, id, service, nested, fields }) as unknown as Route;
  });

/** Configs Kong 3.4 takes for each plugin, and the scopes it allows (`consumer = typedefs.no_consumer`). */
const PLUGINS: Record<string, { config: fc.Arbitrary<Obj>; consumer: boolean }> = {
  'key-auth': {
    consumer: false,
    config: fc.record({ key_names: opt(subset(['apikey', 'x-api-key'], 1)), hide_credentials: opt(fc.boolean()) }).map(defined),
  },
  'rate-limiting': {
    consumer: true,
    config: fc
      .record({ which: fc.constantFrom('second', 'minute', 'hour'), n: fc.integer({ min: 1, max: 1000 }), fault_tolerant: opt(fc.boolean()) })
      .map(({ which, n, fault_tolerant }) => defined({ [which]: n, policy: 'local', fault_tolerant })),
  },
  cors: {
    consumer: false,
    config: fc.record({ origins: opt(subset(['https://a.example', 'https://b.example'], 1)), credentials: opt(fc.boolean()), max_age: opt(fc.integer({ min: 1, max: 3600 })) }).map(defined),
  },
  'request-transformer': {
    consumer: true,
    config: fc.record({ add: opt(fc.record({ headers: subset(['x-a:1', 'x-b:2'], 1) })), remove: opt(fc.record({ querystring: subset(['debug', 'trace'], 1) })) }).map(defined),
  },
  'http-log': {
    consumer: true,
    config: fc.record({ http_endpoint: fc.constantFrom('http://log.example.com/a', 'https://log.example.com/b'), method: opt(fc.constantFrom('POST', 'PUT', 'PATCH')), timeout: opt(fc.integer({ min: 1, max: 20000 })) }).map(defined),
  },
  acl: {
    consumer: false,
    config: fc.record({ list: subset(GROUPS, 1), deny: fc.boolean(), hide_groups_header: opt(fc.boolean()) }).map(({ list, deny, hide_groups_header }) => defined({ [deny ? 'deny' : 'allow']: list, hide_groups_header })),
  },
};
const PLUGIN_NAMES = Object.keys(PLUGINS);
/**
 * Two ids per plugin name: the same plugin at another scope (an update of its scope), or another
 * id at the same scope (a replacement: delete, then create, which --no-deletes cannot do). And
 * one any name may take: a live plugin given another name under its id (Kong's PUT replaces it).
 * The name's index comes before the last two digits, which renamed() changes (`0j` → `fj`).
 */
const SHARED_PLUGIN_ID = '3a0e0000-0000-4000-8000-ffffffffff0a';
const PLUGIN_IDS = Object.fromEntries(PLUGIN_NAMES.map((n, i) => [n, [0, 1].map((j) => `3a0e0000-0000-4000-8000-${i.toString(16).padStart(10, '0')}0${j}`)]));

const scopeArb: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant({}),
  fc.constantFrom(...SERVICES).map((service) => ({ service })),
  fc.constantFrom(...ROUTES).map((route) => ({ route })),
  fc.constantFrom(...CONSUMERS).map((consumer) => ({ consumer })),
  fc.record({ service: fc.constantFrom(...SERVICES), route: fc.constantFrom(...ROUTES) }),
  fc.record({ route: fc.constantFrom(...ROUTES), consumer: fc.constantFrom(...CONSUMERS) }),
  fc.record({ service: fc.constantFrom(...SERVICES), consumer: fc.constantFrom(...CONSUMERS) }),
);

const pluginArb: fc.Arbitrary<Plugin> = fc
  .constantFrom(...PLUGIN_NAMES)
  .chain((name) =>
    fc.record({
      name: fc.constant(name),
      scope: scopeArb,
      nested: fc.boolean(),
      config: PLUGINS[name].config,
      enabled: opt(fc.boolean()),
      tags,
      id: opt(fc.constantFrom(...PLUGIN_IDS[name], SHARED_PLUGIN_ID)),
    }),
  )
  .map(({ name, scope, nested, config, enabled, tags, id }) => defined({ name, id, scope, nested, fields: defined({ config, enabled, tags }) }) as unknown as Plugin);

const consumerArb = (username: string) =>
  fc
    .record({ custom_id: opt(fc.constantFrom('cid-1', 'cid-2', 'cid-3')), tags, id: opt(fc.constantFrom(...CONSUMER_IDS)) })
    .map(({ id, ...f }): Consumer => defined({ username, id, fields: defined(f) }) as unknown as Consumer);

/** Each credential value of a pool owned by at most one consumer: unique, and movable between consumers. */
function credsArb(): fc.Arbitrary<Cred[]> {
  const owner = opt(fc.constantFrom(...CONSUMERS));
  const keyauth = fc.tuple(
    ...KEYS.map((k) =>
      fc
        .record({ owner, tags, id: opt(fc.constantFrom(...KEYAUTH_IDS)) })
        .map(({ owner, tags, id }) => owner && (defined({ kind: 'keyauth_credentials' as const, consumer: owner, id, fields: defined({ key: k, tags }) }) as unknown as Cred)),
    ),
  );
  const basic = fc.tuple(
    ...BASIC_USERS.map((u) =>
      fc.record({ owner, password: fc.constantFrom('pw-1', 'pw-2') }).map(({ owner, password }) => owner && ({ kind: 'basicauth_credentials' as const, consumer: owner, fields: { username: u, password } })),
    ),
  );
  const jwt = fc.tuple(
    ...JWT_KEYS.map((k) =>
      fc.record({ owner, secret: fc.constantFrom('s-1', 's-2'), algorithm: opt(fc.constantFrom('HS256', 'HS384')) }).map(
        ({ owner, secret, algorithm }) => owner && ({ kind: 'jwt_secrets' as const, consumer: owner, fields: defined({ key: k, secret, algorithm }) }),
      ),
    ),
  );
  const hmac = fc.tuple(
    ...HMAC_USERS.map((u) => fc.record({ owner, secret: fc.constantFrom('h-1', 'h-2') }).map(({ owner, secret }) => owner && ({ kind: 'hmacauth_credentials' as const, consumer: owner, fields: { username: u, secret } }))),
  );
  const acls = fc.tuple(
    ...CONSUMERS.map((c) =>
      subset(GROUPS).chain((gs) =>
        fc.tuple(...gs.map((group) => opt(fc.constantFrom(...ACL_IDS[group])).map((id) => defined({ kind: 'acls' as const, consumer: c, id, fields: { group } }) as unknown as Cred))),
      ),
    ),
  );
  const oauth2 = fc.tuple(
    ...OAUTH_CLIENTS.map((id) =>
      fc
        .record({ owner, name: fc.constantFrom('app-1', 'app-2'), secret: fc.constantFrom('cs-1', 'cs-2'), hash: opt(fc.boolean()), uris: subset(['https://a.example/cb', 'https://b.example/cb'], 1) })
        .map(({ owner, name, secret, hash, uris }) => owner && ({ kind: 'oauth2_credentials' as const, consumer: owner, fields: defined({ name, client_id: id, client_secret: secret, hash_secret: hash, redirect_uris: uris }) })),
    ),
  );
  return fc
    .tuple(keyauth, basic, jwt, hmac, acls, oauth2)
    .map(([a, b, c, d, e, f]) => ([...a, ...b, ...c, ...d, ...e.flat(), ...f] as Array<Cred | undefined>).filter((x): x is Cred => Boolean(x)));
}

const upstreamArb = (name: string) =>
  fc.record({
    algorithm: opt(fc.constantFrom('round-robin', 'consistent-hashing', 'least-connections')),
    slots: opt(fc.integer({ min: 10, max: 65536 })),
    healthchecks: opt(
      fc.record({ active: fc.record({ http_path: opt(fc.constantFrom('/health', '/ready')), https_sni: opt(fc.constantFrom('a.example.com')), healthy: opt(fc.record({ interval: fc.integer({ min: 0, max: 60 }) })) }).map(defined) }),
    ),
    tags,
    id: opt(fc.constantFrom(...UPSTREAM_IDS)),
    targets: subset(TARGETS).chain((ts) =>
      fc.tuple(...ts.map((target) => fc.record({ weight: opt(fc.integer({ min: 0, max: 1000 })), id: opt(fc.constantFrom(...TARGET_IDS[target])) }).map((t) => defined({ target, ...t }) as unknown as Target))),
    ),
  }).map(({ targets, id, ...f }): Upstream => defined({ name, id, fields: defined(f), targets }) as unknown as Upstream);

const vaultArb = (prefix: string) =>
  fc
    .record({ id: opt(fc.constantFrom(...VAULT_IDS)), description: opt(fc.constantFrom('one', 'two')), config: fc.record({ prefix: fc.constantFrom('APP_', 'SECRET_') }), tags })
    .map(({ id, ...f }): Vault => defined({ prefix, id, fields: defined(f) }) as unknown as Vault);

export const modelArb: fc.Arbitrary<Model> = fc
  .record({
    services: fc.tuple(...SERVICES.map((n) => opt(serviceArb(n)))),
    routes: fc.tuple(...ROUTES.map((n) => opt(routeArb(n)))),
    plugins: fc.array(pluginArb, { maxLength: 6 }),
    consumers: fc.tuple(...CONSUMERS.map((n) => opt(consumerArb(n)))),
    creds: credsArb(),
    upstreams: fc.tuple(...UPSTREAMS.map((n) => opt(upstreamArb(n)))),
    certs: fc.tuple(...PAIR_NAMES.map((p) => opt(fc.record({ withId: fc.boolean(), tags }).map(({ withId, tags }) => defined({ pair: p, withId, tags }) as unknown as Certificate)))),
    sniOwners: fc.tuple(...SNIS.map(() => opt(fc.constantFrom(...PAIR_NAMES)))),
    sniIds: fc.tuple(...SNIS.map(() => opt(fc.constantFrom(...SNI_IDS)))),
    caCertificates: subset([0, 1]),
    caWithId: fc.tuple(fc.boolean(), fc.boolean()),
    caSwapped: fc.boolean(),
    vaults: fc.tuple(...VAULTS.map((p) => opt(vaultArb(p)))),
    keySets: fc.tuple(...KEY_SETS.map((name) => opt(fc.record({ name: fc.constant(name), tags, id: opt(fc.constantFrom(...KEY_SET_IDS)) }).map((k) => defined(k) as unknown as KeySet)))),
    keys: fc.tuple(
      ...JWKS.map((j) =>
        opt(
          fc
            .record({ set: opt(fc.constantFrom(...KEY_SETS)), name: opt(fc.constantFrom(`${j.kid}-a`, ...KEY_NAMES)), nested: fc.boolean(), id: opt(fc.constantFrom(...KEY_IDS)) })
            .map((k) => defined({ ...j, ...k }) as unknown as Key),
        ),
      ),
    ),
  })
  .map((r): Model => {
    const services = r.services.filter((s): s is Service => Boolean(s));
    // Ids are unique: a later service drawing a taken one goes without.
    const ids = new Set<string>();
    for (const s of services) {
      if (!s.id) delete s.id;
      else if (ids.has(s.id)) delete s.id;
      else ids.add(s.id);
    }
    const svcNames = new Set(services.map((s) => s.name));
    const routes = uniqueIds(r.routes.filter((x): x is Route => Boolean(x) && svcNames.has(x!.service)));
    const routeNames = new Set(routes.map((x) => x.name));
    const consumers = uniqueIds(r.consumers.filter((c): c is Consumer => Boolean(c)));
    // custom_id is unique in Kong: a later consumer drawing a taken one goes without.
    const customIds = new Set<unknown>();
    for (const c of consumers) {
      if (c.fields.custom_id === undefined) continue;
      if (customIds.has(c.fields.custom_id)) delete c.fields.custom_id;
      else customIds.add(c.fields.custom_id);
    }
    const consumerNames = new Set(consumers.map((c) => c.username));
    const certificates = r.certs
      .filter((c): c is Certificate => Boolean(c))
      .map((c) => ({ ...c, snis: SNIS.flatMap((name, i) => (r.sniOwners[i] === c.pair ? [defined({ name, id: r.sniIds[i] }) as unknown as Sni] : [])) }));
    uniqueIds(certificates.flatMap((c) => c.snis));
    const certByPair = new Map(certificates.map((c) => [c.pair, c]));
    const caWithId = [...r.caWithId];
    for (const s of services) {
      // A client certificate is named by id (decK has no other name for a certificate).
      if (s.clientCert && certByPair.has(s.clientCert)) certByPair.get(s.clientCert)!.withId = true;
      else delete s.clientCert;
      // So are CA certificates, in a service's `ca_certificates`.
      const cas = (s.caCerts ?? []).filter((i) => r.caCertificates.includes(i));
      for (const i of cas) caWithId[i] = true;
      if (cas.length) s.caCerts = cas;
      else delete s.caCerts;
    }
    const keySets = uniqueIds(r.keySets.filter((k): k is KeySet => Boolean(k)));
    const setNames = new Set(keySets.map((k) => k.name));
    const keyNames = new Set<string>();
    const keys = uniqueIds(r.keys.filter((k): k is Key => Boolean(k)))
      .map((k) => (k.set && !setNames.has(k.set) ? { ...k, set: undefined, nested: false } : k.set ? k : { ...k, nested: false }))
      .map((k) => {
        // A name is unique: a later key drawing a taken one goes without.
        if (k.name === undefined || !keyNames.has(k.name)) return k.name === undefined ? k : (keyNames.add(k.name), k);
        const { name: _taken, ...rest } = k;
        return rest;
      });
    const seen = new Set<string>();
    const plugins = r.plugins.filter((p) => {
      if (p.scope.service && !svcNames.has(p.scope.service)) return false;
      if (p.scope.route && !routeNames.has(p.scope.route)) return false;
      if (p.scope.consumer && (!consumerNames.has(p.scope.consumer) || !PLUGINS[p.name].consumer)) return false;
      const k = `${p.name}|${p.scope.service ?? ''}|${p.scope.route ?? ''}|${p.scope.consumer ?? ''}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return {
      services,
      routes,
      plugins: uniqueIds(plugins),
      consumers,
      creds: uniqueIds(r.creds.filter((c) => consumerNames.has(c.consumer))),
      upstreams: withUniqueTargetIds(uniqueIds(r.upstreams.filter((u): u is Upstream => Boolean(u)))),
      certificates,
      caCertificates: r.caCertificates,
      caWithId,
      caSwapped: r.caSwapped,
      vaults: uniqueIds(r.vaults.filter((v): v is Vault => Boolean(v))),
      keySets,
      keys,
    };
  });

// ---- the decK document -------------------------------------------------------------------

const scopeRef = (s: Scope): Obj => defined({ service: s.service, route: s.route, consumer: s.consumer });

/**
 * The model's decK document. An entity whose parent the model lacks (a partial file, applied
 * with --no-deletes over a live parent) is written at the top, naming its parent.
 */
export function toDeck(m: Model): Obj {
  const doc: Obj = { _format_version: '3.0' };
  const has = {
    service: new Set(m.services.map((s) => s.name)),
    route: new Set(m.routes.map((r) => r.name)),
    consumer: new Set(m.consumers.map((c) => c.username)),
  };
  const underParent = (p: Plugin) => p.nested && Object.keys(p.scope).length === 1 && (Object.keys(p.scope) as Array<keyof Scope>).every((k) => has[k].has(p.scope[k]!));
  const plugin = (p: Plugin, omit: keyof Scope | null): Obj => {
    const ref = scopeRef(p.scope);
    if (omit) delete ref[omit];
    return { ...(p.id ? { id: p.id } : {}), name: p.name, ...ref, ...p.fields };
  };
  const nestedPlugins = (where: keyof Scope, name: string) => m.plugins.filter((p) => p.nested && p.scope[where] === name && Object.keys(p.scope).length === 1).map((p) => plugin(p, where));
  const routeDoc = (r: Route, nested: boolean): Obj => {
    const plugins = nestedPlugins('route', r.name);
    return { ...(r.id ? { id: r.id } : {}), name: r.name, ...(nested ? {} : { service: r.service }), ...r.fields, ...(plugins.length ? { plugins } : {}) };
  };
  if (m.services.length) {
    doc.services = m.services.map((s) => {
      const routes = m.routes.filter((r) => r.nested && r.service === s.name).map((r) => routeDoc(r, true));
      const plugins = nestedPlugins('service', s.name);
      return {
        ...(s.id ? { id: s.id } : {}),
        name: s.name,
        ...(s.url ? { url: s.url } : {}),
        ...s.fields,
        ...(s.clientCert ? { client_certificate: certIdOf(m, s.clientCert) } : {}),
        ...(s.caCerts ? { ca_certificates: s.caCerts.map((i) => caIdOf(m, i)) } : {}),
        ...(routes.length ? { routes } : {}),
        ...(plugins.length ? { plugins } : {}),
      };
    });
  }
  const topRoutes = m.routes.filter((r) => !r.nested || !has.service.has(r.service));
  if (topRoutes.length) doc.routes = topRoutes.map((r) => routeDoc(r, false));
  if (m.consumers.length) {
    doc.consumers = m.consumers.map((c) => {
      const out: Obj = { ...(c.id ? { id: c.id } : {}), username: c.username, ...c.fields };
      for (const kind of ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'hmacauth_credentials', 'acls', 'oauth2_credentials'] as const) {
        const list = m.creds.filter((x) => x.kind === kind && x.consumer === c.username).map((x) => (x.id ? { id: x.id, ...x.fields } : x.fields));
        if (list.length) out[kind] = list;
      }
      const plugins = nestedPlugins('consumer', c.username);
      if (plugins.length) out.plugins = plugins;
      return out;
    });
  }
  const topPlugins = m.plugins.filter((p) => !underParent(p));
  for (const kind of ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'hmacauth_credentials', 'acls', 'oauth2_credentials'] as const) {
    const orphans = m.creds.filter((x) => x.kind === kind && !has.consumer.has(x.consumer));
    if (orphans.length) doc[kind] = orphans.map((x) => ({ ...(x.id ? { id: x.id } : {}), consumer: x.consumer, ...x.fields }));
  }
  if (topPlugins.length) doc.plugins = topPlugins.map((p) => plugin(p, null));
  if (m.upstreams.length) doc.upstreams = m.upstreams.map((u) => ({ ...(u.id ? { id: u.id } : {}), name: u.name, ...u.fields, ...(u.targets.length ? { targets: u.targets } : {}) }));
  if (m.certificates.length) {
    doc.certificates = m.certificates.map((c) => ({
      ...(c.withId ? { id: c.id ?? CERT_PAIRS[c.pair].id } : {}),
      cert: CERT_PAIRS[c.pair].cert,
      key: CERT_PAIRS[c.pair].key,
      ...(c.tags ? { tags: c.tags } : {}),
      ...(c.snis.length ? { snis: c.snis.map((x) => defined({ name: x.name, id: x.id })) } : {}),
    }));
  }
  if (m.caCertificates.length) doc.ca_certificates = m.caCertificates.map((i) => ({ ...(m.caWithId[i] ? { id: caIdOf(m, i) } : {}), cert: CA_CERTS[i] }));
  if (m.vaults.length) doc.vaults = m.vaults.map((v) => ({ ...(v.id ? { id: v.id } : {}), name: 'env', prefix: v.prefix, ...v.fields }));
  const keyDoc = (k: Key, withSet: boolean) => defined({ id: k.id, kid: k.kid, name: k.name, jwk: k.jwk, set: withSet ? k.set : undefined });
  if (m.keySets.length) {
    doc.key_sets = m.keySets.map((ks) => {
      const keys = m.keys.filter((k) => k.nested && k.set === ks.name).map((k) => keyDoc(k, false));
      return defined({ id: ks.id, name: ks.name, tags: ks.tags, keys: keys.length ? keys : undefined });
    });
  }
  const topKeys = m.keys.filter((k) => !k.nested || !m.keySets.some((ks) => ks.name === k.set));
  if (topKeys.length) doc.keys = topKeys.map((k) => keyDoc(k, true));
  return doc;
}

export const deckYaml = (m: Model): string => stringify(toDeck(m), { lineWidth: 0 });

/** Entities the model makes Kong hold, counted as the Admin API counts them. */
export function entityCount(m: Model): number {
  const snis = m.certificates.reduce((n, c) => n + c.snis.length, 0);
  const targets = m.upstreams.reduce((n, u) => n + u.targets.length, 0);
  return (
    m.services.length + m.routes.length + m.plugins.length + m.consumers.length + m.creds.length + m.upstreams.length + targets + m.certificates.length + snis + m.caCertificates.length + m.vaults.length + m.keySets.length + m.keys.length
  );
}

// ---- the store holds exactly the model ---------------------------------------------------

const fx = loadSimFixtures();
type FieldSchema = { type?: string; default?: unknown; fields?: Array<Record<string, FieldSchema>> };
function schemaFields(path: string): Map<string, FieldSchema> {
  const s = fx.schemas.get(path) as { fields: Array<Record<string, FieldSchema>> } | undefined;
  if (!s) throw new Error(`no schema ${path}`);
  return new Map(s.fields.map((f) => Object.entries(f)[0]));
}

/** Sets (tags, methods, protocols…) compare unordered. */
function canon(v: unknown, fs?: FieldSchema): unknown {
  if (Array.isArray(v) && fs?.type === 'set') return [...v].map(String).sort();
  return v ?? null;
}

/**
 * Every field `set` sets has its value in `row`; every other field of `checked` has its schema
 * default (records: field by field, recursively).
 */
function expectFields(what: string, row: Obj, set: Obj, schema: Map<string, FieldSchema>, checked: string[]): void {
  for (const [k, v] of Object.entries(set)) {
    const fs = schema.get(k);
    if (fs?.type === 'record' && v && typeof v === 'object' && !Array.isArray(v)) {
      const sub = new Map((fs.fields ?? []).map((f) => Object.entries(f)[0]));
      expectFields(`${what}.${k}`, (row[k] ?? {}) as Obj, v as Obj, sub, [...sub.keys()]);
    } else expect(canon(row[k], fs), `${what}.${k}`).toEqual(canon(v, fs));
  }
  for (const k of checked) {
    if (k in set) continue;
    const fs = schema.get(k);
    if (!fs || !('default' in fs)) continue;
    if (fs.type === 'record') continue;
    expect(canon(row[k], fs), `${what}.${k} (default)`).toEqual(canon(fs.default, fs));
  }
}

function expandUrl(url: string): Obj {
  const u = new URL(url);
  const protocol = u.protocol.replace(/:$/, '');
  return { protocol, host: u.hostname, port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80, path: u.pathname === '/' && !url.endsWith('/') ? null : u.pathname };
}

export function expectStoreHolds(store: SimStore, m: Model): void {
  const one = (table: string, pred: (o: Obj) => boolean, what: string): Obj => {
    const rows = store.all(table).filter(pred);
    expect(rows.length, `${what}: ${rows.length} in Kong`).toBe(1);
    return rows[0];
  };
  const idOf = (table: string, field: string, value: string) => String(one(table, (o) => o[field] === value, `${table} ${value}`).id);
  const refId = (o: Obj, f: string) => ((o[f] as Obj | null)?.id as string | undefined) ?? null;

  const svcSchema = schemaFields('/schemas/services');
  expect(store.count('services'), 'services').toBe(m.services.length);
  for (const s of m.services) {
    const row = one('services', (o) => o.name === s.name, `service ${s.name}`);
    if (s.id) expect(row.id, `service ${s.name}.id`).toBe(s.id);
    const set = { ...(s.url ? expandUrl(s.url) : {}), ...s.fields };
    if (!s.url && set.port === undefined) set.port = 80;
    expectFields(`service ${s.name}`, row, set, svcSchema, ['retries', 'connect_timeout', 'read_timeout', 'write_timeout', 'enabled', 'protocol']);
    if (!s.url && !('path' in s.fields)) expect(row.path, `service ${s.name}.path`).toBeNull();
    expect(refId(row, 'client_certificate'), `service ${s.name}.client_certificate`).toBe(s.clientCert ? certIdOf(m, s.clientCert) : null);
    expect(row.ca_certificates ?? null, `service ${s.name}.ca_certificates`).toEqual(s.caCerts ? s.caCerts.map((i) => caIdOf(m, i)) : null);
  }

  const routeSchema = schemaFields('/schemas/routes');
  expect(store.count('routes'), 'routes').toBe(m.routes.length);
  for (const r of m.routes) {
    const row = one('routes', (o) => o.name === r.name, `route ${r.name}`);
    if (r.id) expect(row.id, `route ${r.name}.id`).toBe(r.id);
    expectFields(`route ${r.name}`, row, r.fields, routeSchema, ['strip_path', 'preserve_host', 'regex_priority', 'https_redirect_status_code', 'path_handling', 'protocols']);
    expect(refId(row, 'service'), `route ${r.name}.service`).toBe(idOf('services', 'name', r.service));
  }

  expect(store.count('plugins'), 'plugins').toBe(m.plugins.length);
  for (const p of m.plugins) {
    const want = {
      service: p.scope.service ? idOf('services', 'name', p.scope.service) : null,
      route: p.scope.route ? idOf('routes', 'name', p.scope.route) : null,
      consumer: p.scope.consumer ? idOf('consumers', 'username', p.scope.consumer) : null,
    };
    const what = `plugin ${p.name} ${JSON.stringify(p.scope)}`;
    const row = one('plugins', (o) => o.name === p.name && refId(o, 'service') === want.service && refId(o, 'route') === want.route && refId(o, 'consumer') === want.consumer, what);
    if (p.id) expect(row.id, `${what}.id`).toBe(p.id);
    const schema = new Map([...schemaFields('/schemas/plugins'), ...schemaFields(`/schemas/plugins/${p.name}`)]);
    expectFields(what, row, { ...p.fields, config: p.fields.config ?? {} }, schema, ['enabled']);
  }

  const consumerSchema = schemaFields('/schemas/consumers');
  expect(store.count('consumers'), 'consumers').toBe(m.consumers.length);
  for (const c of m.consumers) {
    const row = one('consumers', (o) => o.username === c.username, `consumer ${c.username}`);
    if (c.id) expect(row.id, `consumer ${c.username}.id`).toBe(c.id);
    expectFields(`consumer ${c.username}`, row, c.fields, consumerSchema, []);
    if (!('custom_id' in c.fields)) expect(row.custom_id ?? null, `consumer ${c.username}.custom_id`).toBeNull();
  }

  for (const kind of ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'hmacauth_credentials', 'acls', 'oauth2_credentials'] as const) {
    const mine = m.creds.filter((c) => c.kind === kind);
    expect(store.count(kind), kind).toBe(mine.length);
    const schema = schemaFields(`/schemas/${kind}`);
    for (const c of mine) {
      const consumerId = idOf('consumers', 'username', c.consumer);
      const [field, value] =
        kind === 'acls' ? ['group', c.fields.group] : kind === 'oauth2_credentials' ? ['client_id', c.fields.client_id] : kind === 'keyauth_credentials' || kind === 'jwt_secrets' ? ['key', c.fields.key] : ['username', c.fields.username];
      const what = `${kind} ${String(value)} of ${c.consumer}`;
      const row = one(kind, (o) => o[field] === value && (kind !== 'acls' || refId(o, 'consumer') === consumerId), what);
      expect(refId(row, 'consumer'), `${what}.consumer`).toBe(consumerId);
      if (c.id) expect(row.id, `${what}.id`).toBe(c.id);
      const set = { ...c.fields };
      if (kind === 'basicauth_credentials') set.password = createHash('sha1').update(`${String(c.fields.password)}${consumerId}`).digest('hex');
      if (kind === 'oauth2_credentials' && c.fields.hash_secret === true) {
        // Stored hashed (PBKDF2 in PHC form): only its shape can be checked.
        expect(String(row.client_secret), `${what}.client_secret`).toMatch(/^\$pbkdf2-sha512\$/);
        delete set.client_secret;
      }
      expectFields(what, row, set, schema, kind === 'jwt_secrets' ? ['algorithm'] : []);
    }
  }

  const upSchema = schemaFields('/schemas/upstreams');
  const targetSchema = schemaFields('/schemas/targets');
  expect(store.count('upstreams'), 'upstreams').toBe(m.upstreams.length);
  expect(store.count('targets'), 'targets').toBe(m.upstreams.reduce((n, u) => n + u.targets.length, 0));
  for (const u of m.upstreams) {
    const row = one('upstreams', (o) => o.name === u.name, `upstream ${u.name}`);
    if (u.id) expect(row.id, `upstream ${u.name}.id`).toBe(u.id);
    expectFields(`upstream ${u.name}`, row, u.fields, upSchema, ['algorithm', 'slots', 'hash_on']);
    for (const t of u.targets) {
      const tr = one('targets', (o) => refId(o, 'upstream') === row.id && o.target === normalizeTarget(t.target), `target ${t.target} of ${u.name}`);
      if (t.id) expect(tr.id, `target ${t.target} of ${u.name}.id`).toBe(t.id);
      expectFields(`target ${t.target}`, tr, t.weight === undefined ? {} : { weight: t.weight }, targetSchema, ['weight']);
    }
  }

  expect(store.count('certificates'), 'certificates').toBe(m.certificates.length);
  expect(store.count('snis'), 'snis').toBe(m.certificates.reduce((n, c) => n + c.snis.length, 0));
  for (const c of m.certificates) {
    const row = one('certificates', (o) => o.cert === CERT_PAIRS[c.pair].cert, `certificate ${c.pair}`);
    if (c.withId) expect(row.id, `certificate ${c.pair}.id`).toBe(c.id ?? CERT_PAIRS[c.pair].id);
    expect(canon(row.tags, { type: 'set' }), `certificate ${c.pair}.tags`).toEqual(canon(c.tags, { type: 'set' }));
    for (const sni of c.snis) {
      const s = one('snis', (o) => o.name === sni.name, `sni ${sni.name}`);
      expect(refId(s, 'certificate'), `sni ${sni.name}.certificate`).toBe(row.id);
      if (sni.id) expect(s.id, `sni ${sni.name}.id`).toBe(sni.id);
    }
  }

  expect(store.count('ca_certificates'), 'ca_certificates').toBe(m.caCertificates.length);
  for (const i of m.caCertificates) one('ca_certificates', (o) => o.cert === CA_CERTS[i], `ca_certificate ${i}`);

  for (const i of m.caCertificates) if (m.caWithId[i]) expect(one('ca_certificates', (o) => o.cert === CA_CERTS[i], `ca_certificate ${i}`).id, `ca_certificate ${i}.id`).toBe(caIdOf(m, i));

  expect(store.count('key_sets'), 'key_sets').toBe(m.keySets.length);
  for (const ks of m.keySets) {
    const row = one('key_sets', (o) => o.name === ks.name, `key set ${ks.name}`);
    if (ks.id) expect(row.id, `key set ${ks.name}.id`).toBe(ks.id);
    expect(canon(row.tags, { type: 'set' }), `key set ${ks.name}.tags`).toEqual(canon(ks.tags, { type: 'set' }));
  }
  expect(store.count('keys'), 'keys').toBe(m.keys.length);
  for (const k of m.keys) {
    const row = one('keys', (o) => o.kid === k.kid, `key ${k.kid}`);
    if (k.id) expect(row.id, `key ${k.kid}.id`).toBe(k.id);
    expect(row.jwk, `key ${k.kid}.jwk`).toBe(k.jwk);
    expect(row.name ?? null, `key ${k.kid}.name`).toBe(k.name ?? null);
    expect(refId(row, 'set'), `key ${k.kid}.set`).toBe(k.set ? idOf('key_sets', 'name', k.set) : null);
  }

  const vaultSchema = schemaFields('/schemas/vaults');
  expect(store.count('vaults'), 'vaults').toBe(m.vaults.length);
  for (const v of m.vaults) {
    const row = one('vaults', (o) => o.prefix === v.prefix, `vault ${v.prefix}`);
    if (v.id) expect(row.id, `vault ${v.prefix}.id`).toBe(v.id);
    expectFields(`vault ${v.prefix}`, row, { name: 'env', ...v.fields }, vaultSchema, []);
  }
}

/** The id a service's client certificate (a pair the model holds, with its id) has. */
function certIdOf(m: Model, pair: PairName): string {
  return m.certificates.find((c) => c.pair === pair)?.id ?? CERT_PAIRS[pair].id;
}

/**
 * The same model with every name Kong keeps unique renamed (`svc-a` → `xsvc-a`), references
 * included, and ids and kids of its own: a second team's file that shares with the first's only
 * what cannot be told apart (a CA certificate, a global plugin).
 */
export function renamed(m: Model, p: string): Model {
  const n = (s: string) => (s.startsWith('*.') ? `*.${p}${s.slice(2)}` : `${p}${s}`);
  const scope = (s: Scope): Scope => defined({ service: s.service && n(s.service), route: s.route && n(s.route), consumer: s.consumer && n(s.consumer) }) as Scope;
  const credField: Record<Cred['kind'], string | null> = { keyauth_credentials: 'key', basicauth_credentials: 'username', jwt_secrets: 'key', hmacauth_credentials: 'username', acls: null, oauth2_credentials: 'client_id' };
  // Ids of their own too: `…0a` → `…fa`.
  const id = (i: string | undefined) => i && `${i.slice(0, -2)}f${i.slice(-1)}`;
  return {
    services: m.services.map((s) => defined({ ...s, name: n(s.name), id: id(s.id) }) as unknown as Service),
    routes: m.routes.map((r) => defined({ ...r, name: n(r.name), service: n(r.service), id: id(r.id) }) as unknown as Route),
    plugins: m.plugins.map((x) => defined({ ...x, id: id(x.id), scope: scope(x.scope) }) as unknown as Plugin),
    consumers: m.consumers.map((c) => defined({ id: id(c.id), username: n(c.username), fields: defined({ ...c.fields, custom_id: typeof c.fields.custom_id === 'string' ? n(c.fields.custom_id) : undefined }) }) as unknown as Consumer),
    creds: m.creds.map((c) => {
      const f = credField[c.kind];
      return defined({ ...c, id: id(c.id), consumer: n(c.consumer), fields: f ? { ...c.fields, [f]: n(String(c.fields[f])) } : c.fields }) as unknown as Cred;
    }),
    upstreams: m.upstreams.map((u) => defined({ ...u, id: id(u.id), name: n(u.name), targets: u.targets.map((t) => defined({ ...t, id: id(t.id) }) as unknown as Target) }) as unknown as Upstream),
    certificates: m.certificates.map((c) => defined({ ...c, id: c.withId ? id(CERT_PAIRS[c.pair].id) : undefined, snis: c.snis.map((x) => defined({ name: n(x.name), id: id(x.id) }) as unknown as Sni) }) as unknown as Certificate),
    caCertificates: m.caCertificates,
    caWithId: m.caWithId,
    caSwapped: m.caSwapped,
    vaults: m.vaults.map((v) => defined({ ...v, prefix: n(v.prefix), id: id(v.id) }) as unknown as Vault),
    keySets: m.keySets.map((k) => defined({ ...k, name: n(k.name), id: id(k.id) }) as unknown as KeySet),
    // A kid of their own, in the JWK too (Kong wants the two equal).
    keys: m.keys.map((k) => defined({ ...k, id: id(k.id), kid: n(k.kid), jwk: k.jwk.replace(`"kid":"${k.kid}"`, `"kid":"${n(k.kid)}"`), name: k.name && n(k.name), set: k.set && n(k.set) }) as unknown as Key),
  };
}

/**
 * Whether a write's body is a set-aside's (apply/temporary-release.ts): a name with its suffix, or
 * a CA certificate made to stand in for one's content (apply/stand-ins.ts).
 */
export function isSetAside(body: string | undefined): boolean {
  if (!body) return false;
  if (/-kong-ctl-[0-9a-f]{8}"/.test(body)) return true;
  const cert = (JSON.parse(body) as { cert?: unknown }).cert;
  return typeof cert === 'string' && cert.includes('BEGIN CERTIFICATE') && new X509Certificate(cert).subject === `CN=${STAND_IN_CA_SUBJECT}`;
}

/**
 * The writes an apply made, counted as its plan counts changes: a create is a PUT or a POST, an
 * update a PATCH (but the set-asides of a cycle of hand-overs, apply/temporary-release.ts), or a
 * PUT to an entity the plan updates (a plugin given another name under its id is replaced
 * whole), a delete a DELETE.
 */
export function countWrites(writes: Array<{ method: string; path: string; body?: string }>, plan: { changes: Array<{ op: string; id?: string }> }) {
  const updated = new Set(plan.changes.filter((c) => c.op === 'update' && c.id).map((c) => c.id!));
  const replaces = (w: { method: string; path: string }) => w.method === 'PUT' && updated.has(w.path.split('/').pop()!);
  const setAsides = writes.filter((w) => w.method === 'PATCH' && isSetAside(w.body)).length;
  const count = (...ms: string[]) => writes.filter((w) => ms.includes(w.method) && !replaces(w)).length;
  return { setAsides, seen: { add: count('PUT', 'POST'), change: count('PATCH') - setAsides + writes.filter(replaces).length, destroy: count('DELETE') } };
}

// ---- hand-overs of unique values ------------------------------------------------------------

/**
 * The kinds whose unique values the file may hand from one live entity to another: the entity is
 * the same (the file keeps its id) while its name, username or key changes to one another live
 * entity holds. `match` finds a file entity's live counterpart as diff/match.ts does: by id when
 * the file gives one, else by name (unless a file entity with an id took it), else (consumers) by
 * custom_id.
 */
type Handed = { id?: string; kid?: string };
interface HandOverKind<T extends Handed> {
  kind: string;
  list(m: Model): T[];
  /** The values Kong keeps unique, the first of them the entity's name in the file. */
  values: Array<(t: T) => string | undefined>;
  /** For a kind found by what it holds (a key, by its kid in its set): what makes a file entity without an id the live one. */
  same?: (live: T, mine: T) => boolean;
}
const HAND_OVER_KINDS = {
  service: { kind: 'service', list: (m: Model) => m.services, values: [(s: Service) => s.name] } as HandOverKind<Service>,
  route: { kind: 'route', list: (m: Model) => m.routes, values: [(r: Route) => r.name] } as HandOverKind<Route>,
  consumer: {
    kind: 'consumer',
    list: (m: Model) => m.consumers,
    values: [(c: Consumer) => c.username, (c: Consumer) => (typeof c.fields.custom_id === 'string' ? c.fields.custom_id : undefined)],
  } as HandOverKind<Consumer>,
  key_set: { kind: 'key_set', list: (m: Model) => m.keySets, values: [(k: KeySet) => k.name] } as HandOverKind<KeySet>,
  upstream: { kind: 'upstream', list: (m: Model) => m.upstreams, values: [(u: Upstream) => u.name] } as HandOverKind<Upstream>,
  keyauth: { kind: 'keyauth', list: (m: Model) => m.creds.filter((c) => c.kind === 'keyauth_credentials'), values: [(c: Cred) => String(c.fields.key)] } as HandOverKind<Cred>,
  // A key is its kid in its set (set names as written: a set renamed under a kept id is missed).
  key: { kind: 'key', list: (m: Model) => m.keys, values: [(k: Key) => k.name], same: (l: Key, k: Key) => l.kid === k.kid && l.set === k.set } as HandOverKind<Key>,
  sni: { kind: 'sni', list: (m: Model) => m.certificates.flatMap((c) => c.snis), values: [(x: Sni) => x.name] } as HandOverKind<Sni>,
  vault: { kind: 'vault', list: (m: Model) => m.vaults, values: [(v: Vault) => v.prefix] } as HandOverKind<Vault>,
};
type HandOverKindName = keyof typeof HAND_OVER_KINDS;
const HAND_OVER_KIND_NAMES = Object.keys(HAND_OVER_KINDS) as HandOverKindName[];

/** For each entity of `b` of the kind, its live counterpart in `a` (undefined: a create). */
function matchOf<T extends Handed>(k: HandOverKind<T>, a: Model, b: Model): Map<T, T | undefined> {
  const live = k.list(a);
  const want = k.list(b);
  const out = new Map<T, T | undefined>();
  const taken = new Set<T>();
  // Ids first, as diff/match.ts: a file id no live entity has is a create.
  for (const e of want) {
    if (!e.id) continue;
    const x = live.find((l) => l.id === e.id);
    out.set(e, x);
    if (x) taken.add(x);
  }
  if (k.same) {
    for (const e of want) {
      if (e.id) continue;
      const x = live.find((l) => !taken.has(l) && k.same!(l, e));
      out.set(e, x);
      if (x) taken.add(x);
    }
    return out;
  }
  for (const [i, value] of k.values.entries()) {
    for (const e of want) {
      if (e.id || out.get(e)) continue;
      const v = value(e);
      const x = v === undefined ? undefined : live.find((l) => value(l) === v && !taken.has(l));
      // Only by name, or (consumers) by custom_id when the name is new.
      if (i > 0 && live.some((l) => k.values[0](l) === k.values[0](e))) continue;
      if (x) {
        out.set(e, x);
        taken.add(x);
      }
    }
  }
  for (const e of want) if (!out.has(e)) out.set(e, undefined);
  return out;
}

/**
 * The hand-overs from `a` to `b`: per kind, the file entities that take a unique value another
 * live entity holds, that entity staying (matched by another file entity), so that the value
 * changes hands between two entities Kong keeps (`handed`, by their names in `b`); `swapped`,
 * those of them on a cycle (two services swapping names, three usernames rotated), which no
 * order of the plan's writes hands over without a set-aside. And `newRefs`: entities of `b`
 * whose reference to a swapped entity is new (the referring entity is new, or referred to another
 * live entity before).
 */
export function handOvers(a: Model, b: Model): { handed: Map<HandOverKindName, Set<string>>; swapped: Map<HandOverKindName, Set<string>>; newRefs: Set<string> } {
  const handed = new Map<HandOverKindName, Set<string>>();
  const swapped = new Map<HandOverKindName, Set<string>>();
  const matches = new Map<HandOverKindName, Map<Handed, Handed | undefined>>();
  const add = (m: Map<HandOverKindName, Set<string>>, kind: HandOverKindName, names: string[]) => {
    const set = m.get(kind) ?? new Set<string>();
    for (const n of names) set.add(n);
    m.set(kind, set);
  };
  for (const name of HAND_OVER_KIND_NAMES) {
    const k = HAND_OVER_KINDS[name] as unknown as HandOverKind<Handed>;
    const match = matchOf(k, a, b);
    matches.set(name, match);
    const staying = new Map<Handed, Handed>();
    for (const [e, x] of match) if (x) staying.set(x, e);
    for (const value of k.values) {
      // live entity → the live entity whose value its file counterpart takes.
      const takes = new Map<Handed, Handed>();
      for (const [e, x] of match) {
        const v = value(e);
        if (v === undefined) continue;
        const holder = k.list(a).find((l) => value(l) === v);
        if (!holder || holder === x || !staying.has(holder)) continue;
        add(handed, name, [k.values[0](e)!, k.values[0](staying.get(holder)!)!]);
        if (x) takes.set(x, holder);
      }
      for (const start of takes.keys()) {
        const path = [start];
        for (let y = takes.get(start); y !== undefined && !path.includes(y); y = takes.get(y)) path.push(y);
        if (takes.get(path[path.length - 1]) === start) add(swapped, name, path.map((x) => k.values[0](staying.get(x)!)!));
      }
    }
  }
  // The live entity a name of `b` stands for (null: a new one), and the one a name of `a` does.
  const inB = (kind: HandOverKindName, name: string | undefined) => {
    const k = HAND_OVER_KINDS[kind] as unknown as HandOverKind<Handed>;
    const e = k.list(b).find((t) => k.values[0](t) === name);
    return e ? (matches.get(kind)!.get(e) ?? null) : null;
  };
  const inA = (kind: HandOverKindName, name: string | undefined) => {
    const k = HAND_OVER_KINDS[kind] as unknown as HandOverKind<Handed>;
    return k.list(a).find((t) => k.values[0](t) === name) ?? null;
  };
  const newRefs = new Set<string>();
  const check = (what: string, kind: HandOverKindName, refB: string | undefined, before: { ref: string | undefined } | undefined) => {
    if (refB === undefined || !swapped.get(kind)?.has(refB)) return;
    const target = inB(kind, refB);
    if (!before || target === null || inA(kind, before.ref) !== target) newRefs.add(`${what}→${kind}`);
  };
  for (const r of b.routes) check('route', 'service', r.service, a.routes.find((x) => x.name === r.name) && { ref: a.routes.find((x) => x.name === r.name)!.service });
  for (const p of b.plugins) {
    const before = a.plugins.find((x) => x.name === p.name && JSON.stringify(scopeRef(x.scope)) === JSON.stringify(scopeRef(p.scope)));
    check('plugin', 'service', p.scope.service, before && { ref: before.scope.service });
    check('plugin', 'route', p.scope.route, before && { ref: before.scope.route });
    check('plugin', 'consumer', p.scope.consumer, before && { ref: before.scope.consumer });
  }
  for (const c of b.creds) {
    const before = a.creds.find((x) => x.kind === c.kind && JSON.stringify(x.fields) === JSON.stringify(c.fields));
    check(c.kind, 'consumer', c.consumer, before && { ref: before.consumer });
  }
  for (const k of b.keys) {
    const before = a.keys.find((x) => (k.id ? x.id === k.id : x.kid === k.kid && x.set === k.set));
    check('key', 'key_set', k.set, before && { ref: before.set });
  }
  return { handed, swapped, newRefs };
}

/** Labels for fast-check's statistics: which kinds hand a value over, and whether a new reference meets one. */
export function handOverLabel(a: Model, b: Model): string {
  const { handed, swapped, newRefs } = handOvers(a, b);
  if (swapped.size) return `cycle of hand-overs${newRefs.size ? ' + new reference' : ''}`;
  return handed.size ? 'chain of hand-overs' : 'no hand-over';
}

/**
 * Whether going from `a` to `b` may need a cycle of unique-value hand-overs, which no order of
 * the plan's own writes can make without Kong's 409 (convergence-examples.test.ts): a custom_id
 * handed to another consumer (its holder staying, or deleted), or an id kept under a name,
 * username or key another live entity holds. Only then may apply add a write that sets a value aside
 * (apply/temporary-release.ts).
 */
export function knownUnorderable(a: Model, b: Model): boolean {
  const bUsers = new Set(b.consumers.map((c) => c.username));
  for (const c of b.consumers) {
    const holder = a.consumers.find((x) => x.fields.custom_id !== undefined && x.fields.custom_id === c.fields.custom_id);
    if (holder && holder.username !== c.username && bUsers.has(holder.username)) return true;
  }
  for (const s of b.services) {
    const before = s.id && a.services.find((x) => x.id === s.id);
    if (before && before.name !== s.name && a.services.some((x) => x.name === s.name)) return true;
  }
  // A CA certificate's content (unique by digest) under another id than it lives under, while the
  // live one stays (the two swap) or goes only once services stop naming it.
  if (a.caSwapped !== b.caSwapped && b.caCertificates.some((i) => b.caWithId[i] && a.caCertificates.includes(i) && a.caWithId[i])) return true;
  // A custom_id taken from a live consumer that goes (deleted, as the file gives its taker another
  // id): the delete may wait for credentials moving to the taker, which waits for the value.
  const consumers = matchOf(HAND_OVER_KINDS.consumer, a, b);
  for (const [c, x] of consumers) {
    const holder = a.consumers.find((h) => h.fields.custom_id !== undefined && h.fields.custom_id === c.fields.custom_id);
    if (holder && holder !== x) return true;
  }
  return handOvers(a, b).handed.size > 0;
}

/**
 * A partial file for --no-deletes: `b` with some of its services, consumers and key sets left
 * out, the entities under them naming them (a route, a plugin, a credential, a key added to a
 * live parent). So that leaving a parent out changes nothing, `full` is `b` with each of them
 * exactly as `a` has it (only those `a` has, that hand nothing over and clash with nothing in
 * `b`). Undefined when there is none.
 */
export function partialOf(a: Model, b: Model, kinds: Array<'service' | 'consumer' | 'key_set'>, pick: number): { full: Model; partial: Model; references: number } | undefined {
  const full = structuredClone(b);
  const handed = handOvers(a, b).handed;
  const left: { service: string[]; consumer: string[]; key_set: string[] } = { service: [], consumer: [], key_set: [] };
  const referenced = {
    service: new Set([...b.routes.map((r) => r.service), ...b.plugins.map((p) => p.scope.service)]),
    consumer: new Set([...b.creds.map((c) => c.consumer), ...b.plugins.map((p) => p.scope.consumer)]),
    key_set: new Set(b.keys.map((k) => k.set)),
  };
  const choose = <T extends { id?: string }>(kind: 'service' | 'consumer' | 'key_set', live: T[], mine: T[], nameOf: (t: T) => string, fits: (t: T) => boolean) => {
    if (!kinds.includes(kind)) return;
    const fitting = live.filter((t) => {
      const n = nameOf(t);
      const same = mine.find((x) => nameOf(x) === n);
      if (handed.get(kind)?.has(n)) return false;
      if (same && same.id !== t.id && same.id !== undefined) return false;
      if (t.id && mine.some((x) => x.id === t.id && nameOf(x) !== n)) return false;
      return fits(t);
    });
    if (!fitting.length) return;
    // Those the file names from below first: what a partial file is for.
    const named = fitting.filter((t) => referenced[kind].has(nameOf(t)));
    const from = named.length ? named : fitting;
    const t = from[pick % from.length];
    const i = mine.findIndex((x) => nameOf(x) === nameOf(t));
    if (i >= 0) mine[i] = structuredClone(t);
    else mine.push(structuredClone(t));
    left[kind].push(nameOf(t));
  };
  choose('service', a.services, full.services, (s) => s.name, (s) => !s.clientCert && !s.caCerts);
  choose('consumer', a.consumers, full.consumers, (c) => c.username, (c) => c.fields.custom_id === undefined || !full.consumers.some((x) => x.username !== c.username && x.fields.custom_id === c.fields.custom_id));
  choose('key_set', a.keySets, full.keySets, (k) => k.name, () => true);
  if (!left.service.length && !left.consumer.length && !left.key_set.length) return undefined;
  const partial = structuredClone(full);
  partial.services = partial.services.filter((s) => !left.service.includes(s.name));
  partial.consumers = partial.consumers.filter((c) => !left.consumer.includes(c.username));
  partial.keySets = partial.keySets.filter((k) => !left.key_set.includes(k.name));
  // How many of its entities name a parent it leaves out.
  const references =
    partial.routes.filter((r) => left.service.includes(r.service)).length +
    partial.plugins.filter((p) => left.service.includes(p.scope.service ?? '') || left.consumer.includes(p.scope.consumer ?? '')).length +
    partial.creds.filter((c) => left.consumer.includes(c.consumer)).length +
    partial.keys.filter((k) => left.key_set.includes(k.set ?? '')).length;
  return { full, partial, references };
}

/**
 * `b` without the ids that would make it replace a live entity of `a` (the same name under
 * another id, or an id where `a`'s file gave none, so Kong chose one): each takes the id `a`
 * gave its namesake, if any. What --no-deletes cannot apply (the live entity would have to go
 * first) becomes what it can. Certificates and CA certificates keep `a`'s choice of an id (and
 * which one), and a
 * service naming one by an id it will not have leaves it out; a key stays in its live set (and
 * takes the id of the live key it then is); and a custom_id or key name that a live entity the
 * file does not name holds is left out.
 */
export function withoutReplacements(a: Model, b0: Model): Model {
  const b = structuredClone(b0);
  /**
   * `asLive`: for an entity under a parent the file renamed under its id, its name with the
   * parent's live name (an ACL group of a consumer renamed under its id is the live one's), for
   * those no live entity has the name of.
   */
  const align = <T extends { id?: string }>(live: T[], mine: T[], nameOf: (t: T) => string, asLive?: (t: T) => string) => {
    const own = new Set<T>();
    for (const t of mine) {
      const namesake = live.find((l) => nameOf(l) === nameOf(t));
      if (!namesake) continue;
      own.add(t);
      if (namesake.id) t.id = namesake.id;
      else delete t.id;
    }
    for (const t of asLive ? mine : []) {
      const namesake = own.has(t) ? undefined : live.find((l) => nameOf(l) === asLive!(t));
      if (!namesake) continue;
      if (namesake.id && !mine.some((x) => x !== t && x.id === namesake.id)) t.id = namesake.id;
      else delete t.id;
    }
    // An id now on two: the one that is not its live holder's namesake goes without.
    for (const t of mine) {
      if (t.id && mine.some((x) => x !== t && x.id === t.id) && !live.some((l) => l.id === t.id && nameOf(l) === nameOf(t))) delete t.id;
    }
  };
  align(a.services, b.services, (s) => s.name);
  align(a.routes, b.routes, (r) => r.name);
  align(a.consumers, b.consumers, (c) => c.username);
  align(a.keySets, b.keySets, (k) => k.name);
  // A parent's name in the file → the live parent's, where the file renamed it under its id.
  const liveName = <T extends { id?: string }>(live: T[], mine: T[], nameOf: (t: T) => string) => (name: string | undefined) => {
    const m = name === undefined ? undefined : mine.find((t) => nameOf(t) === name);
    const byId = m?.id === undefined ? undefined : live.find((l) => l.id === m.id);
    return byId ? nameOf(byId) : name;
  };
  const service = liveName(a.services, b.services, (s) => s.name);
  const route = liveName(a.routes, b.routes, (r) => r.name);
  const consumer = liveName(a.consumers, b.consumers, (c) => c.username);
  const at = (p: Plugin, sc: Scope) => `${p.name} ${JSON.stringify(scopeRef(sc))}`;
  align(a.plugins, b.plugins, (p) => at(p, p.scope), (p) => at(p, { service: service(p.scope.service), route: route(p.scope.route), consumer: consumer(p.scope.consumer) }));
  // An upstream keeps its live namesake's id, or none: renamed under its id, its live targets
  // would be its own under another name, which the targets' alignment by name cannot follow.
  align(a.upstreams, b.upstreams, (u) => u.name);
  for (const u of b.upstreams) if (u.id && a.upstreams.some((x) => x.id === u.id && x.name !== u.name)) delete u.id;
  const upOf = new Map<Target, string>();
  for (const m of [a, b]) for (const u of m.upstreams) for (const t of u.targets) upOf.set(t, u.name);
  align(a.upstreams.flatMap((u) => u.targets), b.upstreams.flatMap((u) => u.targets), (t) => `${upOf.get(t)} ${normalizeTarget(t.target)}`);
  align(
    a.creds.filter((c) => c.kind === 'keyauth_credentials'),
    b.creds.filter((c) => c.kind === 'keyauth_credentials'),
    (c) => String(c.fields.key),
  );
  align(
    a.creds.filter((c) => c.kind === 'acls'),
    b.creds.filter((c) => c.kind === 'acls'),
    (c) => `${c.consumer} ${String(c.fields.group)}`,
    (c) => `${consumer(c.consumer)} ${String(c.fields.group)}`,
  );
  // A custom_id or a key's name taken from a live entity the file does not name (that stays).
  for (const c of b.consumers) {
    const v = c.fields.custom_id;
    const holder = v === undefined ? undefined : a.consumers.find((x) => x.fields.custom_id === v);
    if (!holder || holder.username === c.username || (c.id !== undefined && c.id === holder.id)) continue;
    const named = b.consumers.some((x) => x !== c && ((x.id !== undefined && x.id === holder.id) || x.username === holder.username));
    // A file consumer with a new username and no id is the holder, found by its custom_id.
    const isHolder = c.id === undefined && !a.consumers.some((x) => x.username === c.username);
    if (!named && !isHolder) delete c.fields.custom_id;
  }
  for (const k of b.keys) {
    const holder = k.name === undefined ? undefined : a.keys.find((x) => x.name === k.name && x.kid !== k.kid);
    if (holder && !b.keys.some((x) => x.kid === holder.kid)) delete k.name;
  }
  // A key is its kid in its set: one moved to another set is a new key, which would meet its
  // live self's name. It stays in its live set when the file has that set, else goes without
  // that name.
  for (const k of b.keys) {
    const live = a.keys.find((x) => x.kid === k.kid);
    if (!live || live.set === k.set) continue;
    if (live.set === undefined || b.keySets.some((ks) => ks.name === live.set)) {
      k.set = live.set;
      if (!k.set) k.nested = false;
    } else if (live.name !== undefined && k.name === live.name) delete k.name;
  }
  // Then, as any entity, the id of the live key it is (its kid in its set), or none.
  align(a.keys, b.keys, (k) => `${k.set ?? ''} ${k.kid}`);
  align(a.certificates.flatMap((c) => c.snis), b.certificates.flatMap((c) => c.snis), (x) => x.name);
  align(a.vaults, b.vaults, (v) => v.prefix);
  for (const c of b.certificates) {
    const live = a.certificates.find((x) => x.pair === c.pair);
    if (live) c.withId = live.withId;
  }
  for (const i of b.caCertificates) if (a.caCertificates.includes(i)) b.caWithId[i] = a.caWithId[i];
  // And the ids `a` gave them, unless both swap contents under their ids (an update each, one
  // set aside first): one content alone under the other id is a create that needs its old id gone.
  const sharedCas = b.caCertificates.filter((i) => a.caCertificates.includes(i) && a.caWithId[i] && b.caWithId[i]);
  if (sharedCas.length < 2) b.caSwapped = a.caSwapped;
  for (const s of b.services) {
    if (s.clientCert && !b.certificates.find((c) => c.pair === s.clientCert)?.withId) delete s.clientCert;
    if (s.caCerts) {
      const cas = s.caCerts.filter((i) => b.caWithId[i]);
      if (cas.length) s.caCerts = cas;
      else delete s.caCerts;
    }
  }
  return b;
}

// ---- pairs of models ---------------------------------------------------------------------

/**
 * What `withHandOvers` adds to a pair: for each kind, the live entities of that kind (two at
 * least, added when `a` lacks them) keep their ids in `b` under one another's names, rotated;
 * with `newRefs`, `b` also refers anew to one of them (a route and a plugin on a service that
 * took another's name, a plugin on such a route, a key-auth credential and a plugin under such a
 * consumer, a key in such a key set).
 */
export interface HandOverPlan {
  kinds: HandOverKindName[];
  newRefs: boolean;
  /** Which of the rotated entities new references go to, and whether they are nested. */
  pick: number;
  nested: boolean;
}

const handOverPlanArb: fc.Arbitrary<HandOverPlan> = fc.record({
  kinds: fc.subarray(HAND_OVER_KIND_NAMES, { minLength: 1, maxLength: 3 }),
  newRefs: fc.boolean(),
  pick: fc.nat(5),
  nested: fc.boolean(),
});

const POOLS: Record<HandOverKindName, { names: readonly string[]; ids: readonly string[] }> = {
  service: { names: SERVICES, ids: SERVICE_IDS },
  route: { names: ROUTES, ids: ROUTE_IDS },
  consumer: { names: CONSUMERS, ids: CONSUMER_IDS },
  key_set: { names: KEY_SETS, ids: KEY_SET_IDS },
  upstream: { names: UPSTREAMS, ids: UPSTREAM_IDS },
  keyauth: { names: KEYS, ids: KEYAUTH_IDS },
  key: { names: KEY_NAMES, ids: [] },
  sni: { names: SNIS, ids: SNI_IDS },
  vault: { names: VAULTS, ids: VAULT_IDS },
};

export function withHandOvers(a0: Model, b0: Model, plan: HandOverPlan): [Model, Model] {
  const a = structuredClone(a0);
  const b = structuredClone(b0);
  const rotated = new Map<HandOverKindName, string[]>();
  const minimal: Record<HandOverKindName, (m: Model, name: string) => boolean> = {
    service: (m, name) => (m.services.push({ name, fields: { host: 'a.internal' } }), true),
    route: (m, name) => (m.services.length ? (m.routes.push({ name, service: m.services[0].name, nested: false, fields: { paths: [`/${name}`] } }), true) : false),
    consumer: (m, name) => (m.consumers.push({ username: name, fields: {} }), true),
    key_set: (m, name) => (m.keySets.push({ name }), true),
    upstream: (m, name) => (m.upstreams.push({ name, fields: {}, targets: [] }), true),
    keyauth: (m, name) => (m.consumers.length ? (m.creds.push({ kind: 'keyauth_credentials', consumer: m.consumers[0].username, fields: { key: name } }), true) : false),
    key: () => false,
    sni: (m, name) => (m.certificates.length ? (m.certificates[0].snis.push({ name }), true) : false),
    vault: (m, prefix) => (m.vaults.push({ prefix, fields: {} }), true),
  };
  for (const kind of HAND_OVER_KIND_NAMES) {
    if (!plan.kinds.includes(kind)) continue;
    if (kind === 'key') {
      // Both keys, outside any set and without ids (so each is its kid), swap names.
      for (const m of [a, b]) {
        for (const j of JWKS) if (!m.keys.some((k) => k.kid === j.kid)) m.keys.push({ ...j, nested: false });
        for (const k of m.keys) Object.assign(k, { set: undefined, nested: false, id: undefined });
        m.keys = m.keys.map((k) => defined({ ...k }) as unknown as Key);
      }
      a.keys.forEach((k) => (k.name = KEY_NAMES[JWKS.findIndex((j) => j.kid === k.kid)]));
      b.keys.forEach((k) => (k.name = KEY_NAMES[(JWKS.findIndex((j) => j.kid === k.kid) + 1) % KEY_NAMES.length]));
      continue;
    }
    const k = HAND_OVER_KINDS[kind] as unknown as HandOverKind<Handed>;
    const { names, ids } = POOLS[kind];
    const nameOf = (t: Handed) => k.values[0](t)!;
    // Two at least on each side.
    for (const n of names) if (k.list(a).length < 2 && !k.list(a).some((t) => nameOf(t) === n)) minimal[kind](a, n);
    const parts = k.list(a).map(nameOf);
    if (parts.length < 2) continue;
    for (const n of parts) if (!k.list(b).some((t) => nameOf(t) === n) && !minimal[kind](b, n)) break;
    if (!parts.every((n) => k.list(b).some((t) => nameOf(t) === n))) continue;
    const idOf = (n: string) => ids[names.indexOf(n)];
    for (const t of k.list(a)) t.id = idOf(nameOf(t));
    for (const t of k.list(b)) {
      const i = parts.indexOf(nameOf(t));
      if (i < 0) delete t.id;
      else t.id = idOf(parts[(i + 1) % parts.length]);
    }
    rotated.set(kind, parts);
  }
  if (plan.newRefs) {
    const pickOf = (kind: HandOverKindName) => {
      const parts = rotated.get(kind);
      return parts && parts[plan.pick % parts.length];
    };
    const addPlugin = (p: Plugin) => {
      if (!b.plugins.some((x) => x.name === p.name && JSON.stringify(scopeRef(x.scope)) === JSON.stringify(scopeRef(p.scope)))) b.plugins.push(p);
    };
    const s = pickOf('service');
    if (s) {
      const fresh = ROUTES.find((r) => !a.routes.some((x) => x.name === r) && !rotated.get('route')?.includes(r)) ?? ROUTES.find((r) => !rotated.get('route')?.includes(r));
      if (fresh) {
        const r = b.routes.find((x) => x.name === fresh);
        if (r) r.service = s;
        else b.routes.push({ name: fresh, service: s, nested: plan.nested, fields: { paths: [`/${fresh}`] } });
      }
      addPlugin({ name: 'cors', scope: { service: s }, nested: plan.nested, fields: { config: {} } });
    }
    const r = pickOf('route');
    if (r) addPlugin({ name: 'request-transformer', scope: { route: r }, nested: plan.nested, fields: { config: {} } });
    const c = pickOf('consumer');
    if (c) {
      const key = KEYS.find((x) => !a.creds.some((y) => y.kind === 'keyauth_credentials' && y.fields.key === x)) ?? KEYS[plan.pick % KEYS.length];
      const cred = b.creds.find((y) => y.kind === 'keyauth_credentials' && y.fields.key === key);
      if (cred) cred.consumer = c;
      else b.creds.push({ kind: 'keyauth_credentials', consumer: c, fields: { key } });
      addPlugin({ name: 'rate-limiting', scope: { consumer: c }, nested: plan.nested, fields: { config: { minute: 10, policy: 'local' } } });
    }
    const ks = pickOf('key_set');
    if (ks) {
      const j = JWKS.find((x) => !a.keys.some((y) => y.kid === x.kid)) ?? JWKS[plan.pick % JWKS.length];
      const key = b.keys.find((y) => y.kid === j.kid);
      if (key) key.set = ks;
      else b.keys.push({ ...j, set: ks, nested: plan.nested });
    }
  }
  return [a, b];
}

/**
 * `b` with `a`'s plugins where `b` has their scope (a global cors plugin added to `a` when none
 * is), each (by `picks`) under its live id, its name's other id (a replacement: Kong keeps one
 * plugin per name and scope, so the live one must go first), or none (found by its scope);
 * independent draws rarely put one plugin at one scope. Nothing else in `b` replaces a live
 * entity, so what --no-deletes makes of a plugin's replacement is not hidden behind another.
 */
export function withLivePlugins(a0: Model, b0: Model, picks: number[]): [Model, Model] {
  const a = structuredClone(a0);
  const b = withoutReplacements(a, b0);
  const has = { service: new Set(b.services.map((s) => s.name)), route: new Set(b.routes.map((r) => r.name)), consumer: new Set(b.consumers.map((c) => c.username)) };
  const placeable = (p: Plugin) => (Object.keys(p.scope) as Array<keyof Scope>).every((k) => has[k].has(p.scope[k]!));
  const at = (p: Plugin) => `${p.name} ${JSON.stringify(scopeRef(p.scope))}`;
  if (!a.plugins.some(placeable)) {
    const cors: Plugin = { name: 'cors', scope: {}, nested: false, fields: { config: {} }, id: picks[0] === 2 ? undefined : PLUGIN_IDS.cors[0] };
    a.plugins = [...a.plugins.filter((p) => at(p) !== at(cors) && p.id !== cors.id), defined({ ...cors }) as unknown as Plugin];
  }
  a.plugins.forEach((p, i) => {
    if (!placeable(p)) return;
    const pick = picks[i % picks.length] ?? 0;
    const id = pick === 0 ? p.id : pick === 1 ? PLUGIN_IDS[p.name].find((x) => x !== p.id) : undefined;
    b.plugins = b.plugins.filter((x) => at(x) !== at(p) && (id === undefined || x.id !== id));
    b.plugins.push(defined({ ...structuredClone(p), id }) as unknown as Plugin);
  });
  return [a, b];
}

/** Kinds whose entities a file may make swap, under their ids, what Kong keeps unique for them. */
const ID_SWAP_KINDS = ['plugin', 'target', 'upstream', 'acl', 'key', 'ca_certificate'] as const;
export type IdSwapKind = (typeof ID_SWAP_KINDS)[number];

/**
 * `b` (its parents kept as `withoutReplacements` keeps them) where two live entities keep their
 * ids and swap what Kong keeps unique for them: two cors plugins their scopes (the gateway and a
 * service both files hold), one target its two upstreams, one ACL group its two consumers, two
 * keys their kids. Each update claims what the other holds until it has moved, so the plan must
 * delete one and create it again with its id (diff/replacements.ts). Or two upstreams swap names
 * under their ids, each target keeping its id under its name: a name set aside for the moment,
 * and the targets, which move to the other upstream, a cycle again. Or the two CA certificates
 * swap contents under their ids, the services naming them following their contents: a content
 * set aside for the moment (a CA certificate made for it). Independent draws rarely make such a
 * swap.
 */
export function withIdSwap(a0: Model, b0: Model, kind: IdSwapKind): [Model, Model] {
  const a = structuredClone(a0);
  const b = withoutReplacements(a, b0);
  /** `n` names both files hold (one entity: withoutReplacements gave it one id), added where missing. */
  const inBoth = <T extends object & { id?: string }>(list: (m: Model) => T[], nameOf: (t: T) => string, minimal: (name: string, id?: string) => T, names: readonly string[], n: number) => {
    const out = names.filter((x) => list(a).some((t) => nameOf(t) === x) && list(b).some((t) => nameOf(t) === x));
    for (const x of names) {
      if (out.length >= n) break;
      if (out.includes(x)) continue;
      const inA = list(a).find((t) => nameOf(t) === x);
      const inB = list(b).find((t) => nameOf(t) === x);
      const id = inA ? inA.id : inB?.id;
      if (id !== undefined && [...list(a), ...list(b)].some((t) => t.id === id && nameOf(t) !== x)) continue;
      if (!inA) list(a).push(minimal(x, id));
      if (!inB) list(b).push(minimal(x, id));
      out.push(x);
    }
    return out.slice(0, n);
  };
  if (kind === 'plugin') {
    const [svc] = inBoth((m) => m.services, (x) => x.name, (name, id) => defined({ name, id, fields: { host: 'a.internal' } }) as unknown as Service, SERVICES, 1);
    if (!svc) return [a, b];
    const [C0, C1] = PLUGIN_IDS.cors;
    const at = (p: Plugin, sc: Scope) => JSON.stringify(scopeRef(p.scope)) === JSON.stringify(scopeRef(sc));
    for (const m of [a, b]) m.plugins = m.plugins.filter((p) => !(p.name === 'cors' && (at(p, {}) || at(p, { service: svc }))) && p.id !== C0 && p.id !== C1);
    const cors = (id: string, scope: Scope, max_age: number): Plugin => ({ name: 'cors', id, scope, nested: Boolean(scope.service), fields: { config: { max_age } } });
    a.plugins.push(cors(C0, {}, 1), cors(C1, { service: svc }, 2));
    b.plugins.push(cors(C1, {}, 2), cors(C0, { service: svc }, 1));
  } else if (kind === 'target' || kind === 'upstream') {
    const ups = inBoth((m) => m.upstreams, (u) => u.name, (name, id) => defined({ name, id, fields: {}, targets: [] }) as unknown as Upstream, UPSTREAMS, 2);
    if (ups.length < 2) return [a, b];
    const t = TARGETS[0];
    const [T0, T1] = TARGET_IDS[t];
    for (const m of [a, b]) for (const u of m.upstreams) u.targets = u.targets.filter((x) => !(ups.includes(u.name) && normalizeTarget(x.target) === normalizeTarget(t)) && x.id !== T0 && x.id !== T1);
    const put = (m: Model, up: string, id: string, weight: number) => m.upstreams.find((u) => u.name === up)!.targets.push({ target: t, id, weight });
    put(a, ups[0], T0, 10);
    put(a, ups[1], T1, 20);
    if (kind === 'target') {
      put(b, ups[0], T1, 20);
      put(b, ups[1], T0, 10);
    } else {
      put(b, ups[0], T0, 10);
      put(b, ups[1], T1, 20);
      // The upstreams' ids swap names (no other upstream or service may hold those ids).
      const [U0, U1] = UPSTREAM_IDS;
      for (const m of [a, b]) for (const u of m.upstreams) if (!ups.includes(u.name) && (u.id === U0 || u.id === U1)) delete u.id;
      const by = (m: Model, name: string) => m.upstreams.find((u) => u.name === name)!;
      Object.assign(by(a, ups[0]), { id: U0 });
      Object.assign(by(a, ups[1]), { id: U1 });
      Object.assign(by(b, ups[0]), { id: U1 });
      Object.assign(by(b, ups[1]), { id: U0 });
    }
  } else if (kind === 'acl') {
    const cs = inBoth((m) => m.consumers, (c) => c.username, (username, id) => defined({ username, id, fields: {} }) as unknown as Consumer, CONSUMERS, 2);
    if (cs.length < 2) return [a, b];
    const g = GROUPS[0];
    const [G0, G1] = ACL_IDS[g];
    for (const m of [a, b]) m.creds = m.creds.filter((c) => !(c.kind === 'acls' && ((cs.includes(c.consumer) && c.fields.group === g) || c.id === G0 || c.id === G1)));
    const acl = (consumer: string, id: string, tags: string[]): Cred => ({ kind: 'acls', consumer, id, fields: { group: g, tags } });
    a.creds.push(acl(cs[0], G0, ['t1']), acl(cs[1], G1, ['t2']));
    b.creds.push(acl(cs[0], G1, ['t2']), acl(cs[1], G0, ['t1']));
  } else if (kind === 'ca_certificate') {
    for (const m of [a, b]) Object.assign(m, { caCertificates: [0, 1], caWithId: [true, true] });
    a.caSwapped = false;
    b.caSwapped = true;
  } else {
    // Both keys outside any set, so each is its kid.
    for (const m of [a, b]) {
      for (const j of JWKS) if (!m.keys.some((k) => k.kid === j.kid)) m.keys.push({ ...j, nested: false });
      m.keys = m.keys.map((k) => defined({ ...k, set: undefined, nested: false }) as unknown as Key);
    }
    const idOf = (k: Key, shift: number) => KEY_IDS[(JWKS.findIndex((j) => j.kid === k.kid) + shift) % KEY_IDS.length];
    a.keys.forEach((k) => (k.id = idOf(k, 0)));
    b.keys.forEach((k) => (k.id = idOf(k, 1)));
  }
  return [a, b];
}

/**
 * Two models: a live state and the file applied over it. Most are drawn independently; the rest
 * hand unique values over between entities Kong keeps, often with new references to them, hold
 * the live plugins again, or swap under their ids what Kong keeps unique for two entities, which
 * independent draws rarely do.
 */
export const pairArb: fc.Arbitrary<[Model, Model]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(modelArb, modelArb) },
  { weight: 2, arbitrary: fc.tuple(modelArb, modelArb, handOverPlanArb).map(([a, b, plan]) => withHandOvers(a, b, plan)) },
  { weight: 2, arbitrary: fc.tuple(modelArb, modelArb, fc.array(fc.constantFrom(0, 1, 1, 2), { minLength: 1, maxLength: 6 })).map(([a, b, picks]) => withLivePlugins(a, b, picks)) },
  { weight: 1, arbitrary: fc.tuple(modelArb, modelArb, fc.constantFrom(...ID_SWAP_KINDS)).map(([a, b, kind]) => withIdSwap(a, b, kind)) },
);
