/**
 * fast-check generators of whole, referentially consistent states: services, routes,
 * consumers, basic-auth credentials, upstreams with targets and plugins at every scope, with
 * random optional fields, explicit nulls, sets in random order and (optionally) the write-only
 * shapes a file may use (`url`, targets without a port). Names come from small pools so two
 * independently generated states overlap: some entities match, some differ, some are new.
 */
import fc from 'fast-check';
import type { Entity, Kind, State } from '../../../cli/src/model/entity';
import { entity } from './helpers';

const NAMES = ['a', 'b', 'c', 'd'];
const TAGS = ['t1', 't2', 't3'];
const tags = fc.shuffledSubarray(TAGS);
const name = fc.constantFrom(...NAMES);
const ref = fc.option(name, { nil: null });

function serviceFields(fileShapes: boolean): fc.Arbitrary<Record<string, unknown>> {
  const plain = fc.record(
    {
      host: fc.constantFrom('h1.internal', 'h2.internal'),
      port: fc.constantFrom(80, 443, 8080),
      protocol: fc.constantFrom('http', 'https'),
      path: fc.constantFrom('/x', '/y/z', null),
      retries: fc.integer({ min: 0, max: 10 }),
      connect_timeout: fc.constantFrom(1000, 60000),
      enabled: fc.boolean(),
      tags,
    },
    { requiredKeys: ['host'] },
  );
  if (!fileShapes) return plain;
  const withUrl = fc.record(
    { url: fc.constantFrom('http://h1.internal:8080/x', 'https://h2.internal', 'http://h1.internal'), retries: fc.integer({ min: 0, max: 10 }), tags },
    { requiredKeys: ['url'] },
  );
  return fc.oneof(plain, withUrl);
}

const routeFields = fc.record(
  {
    paths: fc.shuffledSubarray(['/a', '/b', '~/c$'], { minLength: 1 }),
    methods: fc.shuffledSubarray(['GET', 'POST', 'PUT']),
    protocols: fc.shuffledSubarray(['http', 'https'], { minLength: 1 }),
    hosts: fc.option(fc.shuffledSubarray(['x.example', 'y.example']), { nil: null }),
    strip_path: fc.boolean(),
    regex_priority: fc.integer({ min: 0, max: 5 }),
    tags,
  },
  { requiredKeys: ['paths'] },
);

const consumerFields = fc.record({ custom_id: fc.constantFrom('c1', 'c2', null), tags }, { requiredKeys: [] });

const pluginFields: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({
    name: fc.constant('rate-limiting'),
    config: fc.record(
      { minute: fc.integer({ min: 1, max: 1000 }), hour: fc.integer({ min: 1000, max: 5000 }), policy: fc.constantFrom('local', 'cluster'), hide_client_headers: fc.boolean() },
      { requiredKeys: ['minute'] },
    ),
  }),
  fc.record(
    {
      name: fc.constant('key-auth'),
      config: fc.record({ key_names: fc.shuffledSubarray(['apikey', 'x-key'], { minLength: 1 }), hide_credentials: fc.boolean() }, { requiredKeys: [] }),
      enabled: fc.boolean(),
    },
    { requiredKeys: ['name'] },
  ),
  fc.record(
    {
      name: fc.constant('jwt'),
      config: fc.record({ claims_to_verify: fc.shuffledSubarray(['exp', 'nbf']), header_names: fc.shuffledSubarray(['authorization', 'x-jwt'], { minLength: 1 }) }, { requiredKeys: [] }),
      protocols: fc.shuffledSubarray(['grpc', 'grpcs', 'http', 'https'], { minLength: 1 }),
    },
    { requiredKeys: ['name'] },
  ),
  fc.record(
    {
      name: fc.constant('request-transformer'),
      config: fc.record({ add: fc.record({ headers: fc.shuffledSubarray(['x-a:1', 'x-b:2']) }, { requiredKeys: [] }), http_method: fc.constantFrom('GET', 'POST') }, { requiredKeys: [] }),
    },
    { requiredKeys: ['name'] },
  ),
);

interface Raw {
  services: Array<{ name: string; fields: Record<string, unknown>; id: number | null }>;
  routes: Array<{ name: string; fields: Record<string, unknown>; service: string | null; id: number | null }>;
  consumers: Array<{ name: string; fields: Record<string, unknown>; id: number | null }>;
  basicAuths: Array<{ username: string; password: string; consumer: string; id: number | null }>;
  upstreams: Array<{ name: string; id: number | null }>;
  targets: Array<{ target: string; weight: number | null; upstream: string; id: number | null }>;
  plugins: Array<{ fields: Record<string, unknown>; service: string | null; route: string | null; consumer: string | null; tags: string[]; id: number | null }>;
}

/** An optional Kong id from a pool of five per kind, so that desired ids can meet live ones. */
const idSlot = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null });

function raw(fileShapes: boolean): fc.Arbitrary<Raw> {
  return fc.record({
    services: fc.uniqueArray(fc.record({ name, fields: serviceFields(fileShapes), id: idSlot }), { selector: (s) => s.name, maxLength: 4 }),
    routes: fc.uniqueArray(fc.record({ name, fields: routeFields, service: ref, id: idSlot }), { selector: (r) => r.name, maxLength: 4 }),
    consumers: fc.uniqueArray(fc.record({ name, fields: consumerFields, id: idSlot }), { selector: (c) => c.name, maxLength: 3 }),
    basicAuths: fc.uniqueArray(
      fc.record({ username: fc.constantFrom('u1', 'u2', 'u3'), password: fc.constantFrom('p1', 'p2'), consumer: name, id: idSlot }),
      { selector: (b) => b.username, maxLength: 3 },
    ),
    upstreams: fc.uniqueArray(fc.record({ name, id: idSlot }), { selector: (u) => u.name, maxLength: 2 }),
    targets: fc.array(
      fc.record({
        target: fileShapes ? fc.constantFrom('10.0.0.1', '10.0.0.1:8000', '[::1]:8080', 'h.internal:9000') : fc.constantFrom('10.0.0.1:8000', '[0000:0000:0000:0000:0000:0000:0000:0001]:8080', 'h.internal:9000'),
        weight: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
        upstream: name,
        id: idSlot,
      }),
      { maxLength: 4 },
    ),
    plugins: fc.array(fc.record({ fields: pluginFields, service: ref, route: ref, consumer: ref, tags, id: idSlot }), { maxLength: 6 }),
  });
}

/**
 * A consistent state. `ids`: 'all' gives every entity a Kong id (a live state), 'some' keeps
 * the generated optional ids (a file that names a few), 'none' drops them.
 */
export function stateArb(opts: { ids: 'all' | 'some' | 'none'; fileShapes: boolean }): fc.Arbitrary<State> {
  return raw(opts.fileShapes).map((r) => build(r, opts.ids));
}

function build(r: Raw, ids: 'all' | 'some' | 'none'): State {
  const entities: Entity[] = [];
  const usedIds = new Set<string>();
  const keys = new Set<string>();
  let seq = 0;
  // Live states and files draw ids from the same per-kind pool, so a file's id can name a live entity.
  const pickId = (kind: Kind, slot: number | null): string | undefined => {
    if (ids === 'none') return undefined;
    if (slot !== null && !usedIds.has(`${kind}-id-${slot}`)) return `${kind}-id-${slot}`;
    return ids === 'all' ? `${kind}-live-${seq++}` : undefined;
  };
  const add = (kind: Kind, fields: Record<string, unknown>, refs: Record<string, string | null>, slot: number | null): void => {
    const probe = entity(kind, fields, refs);
    if (keys.has(probe.key)) return;
    const id = pickId(kind, slot);
    if (id) usedIds.add(id);
    keys.add(probe.key);
    entities.push(entity(kind, fields, refs, id ? { id } : {}));
  };
  const has = (kind: Kind, n: string | null): string | null => (n !== null && keys.has(`${kind}:${n}`) ? `${kind}:${n}` : null);

  for (const s of r.services) add('service', { name: s.name, ...s.fields }, {}, s.id);
  for (const c of r.consumers) add('consumer', { username: c.name, ...c.fields }, {}, c.id);
  for (const u of r.upstreams) add('upstream', { name: u.name }, {}, u.id);
  for (const rt of r.routes) add('route', { name: rt.name, ...rt.fields }, { service: has('service', rt.service) }, rt.id);
  for (const b of r.basicAuths) {
    const consumer = has('consumer', b.consumer);
    if (consumer) add('basicauth_credential', { username: b.username, password: b.password }, { consumer }, b.id);
  }
  for (const t of r.targets) {
    const upstream = has('upstream', t.upstream);
    const fields: Record<string, unknown> = { target: t.target };
    if (t.weight !== null) fields.weight = t.weight;
    if (upstream) add('target', fields, { upstream }, t.id);
  }
  for (const p of r.plugins) {
    const refs = { service: has('service', p.service), route: has('route', p.route), consumer: has('consumer', p.consumer) };
    add('plugin', { ...p.fields, tags: p.tags }, refs, p.id);
  }
  return { entities };
}
