import { describe, expect, it } from 'vitest';
import { prepareDesired, prepareCurrent } from '../../../cli/src/diff/normalize';
import { splitServiceUrl } from '../../../cli/src/diff/service-url';
import { canonicalValue } from '../../../cli/src/diff/canonical';
import type { Kind } from '../../../cli/src/model/entity';
import { entity, exchange, kong342Schemas, live } from './helpers';

const schemas = kong342Schemas();

/** A record without its null-valued keys, at every depth (Kong answers unset fields with null). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)]),
    );
  }
  return v;
}

/** Kong's answer as fields: no server-managed fields, no foreign keys, no nulls. */
function answered(kind: Kind, prefix: string): unknown {
  return withoutNulls(live(kind, exchange(prefix).response.body).fields);
}

function requested(prefix: string): Record<string, unknown> {
  const body = { ...exchange(prefix).request.body };
  for (const fk of ['service', 'route', 'consumer', 'upstream']) delete body[fk];
  return body;
}

/** The prepared desired fields, without the nulls a default of null leaves behind. */
function filled(kind: Kind, fields: Record<string, unknown>): unknown {
  return withoutNulls(prepareDesired(entity(kind, fields), schemas).entity.fields);
}

describe('prepareDesired fills defaults from the live schemas', () => {
  it('a service created from a url equals what Kong 3.4.2 answered (055)', () => {
    expect(filled('service', requested('055'))).toEqual(answered('service', '055'));
  });

  it('a service created from explicit fields equals what Kong answered (056)', () => {
    expect(filled('service', requested('056'))).toEqual(answered('service', '056'));
  });

  it('a route gets its protocols, buffering and redirect defaults (064, 065)', () => {
    expect(filled('route', requested('064'))).toEqual(answered('route', '064'));
    expect(filled('route', requested('065'))).toEqual(answered('route', '065'));
  });

  it('a plugin config gets every default of its plugin schema (085 rate-limiting)', () => {
    expect(filled('plugin', requested('085'))).toEqual(answered('plugin', '085'));
    expect(filled('plugin', requested('089'))).toEqual(answered('plugin', '089'));
  });

  it('required records without a default are created and filled (088 request-transformer)', () => {
    expect(filled('plugin', requested('088'))).toEqual(answered('plugin', '088'));
  });

  it('plugin-specific protocols default overrides the generic plugin one (096 ip-restriction)', () => {
    expect(filled('plugin', requested('096'))).toEqual(answered('plugin', '096'));
  });

  it('an upstream gets the whole healthchecks tree (097)', () => {
    expect(filled('upstream', requested('097'))).toEqual(answered('upstream', '097'));
  });

  it('a target gets weight 100 and its normalised address (098, 099)', () => {
    expect(filled('target', requested('098'))).toEqual(answered('target', '098'));
    expect(filled('target', requested('099'))).toEqual(answered('target', '099'));
  });

  it('fills nothing the schema does not say: an unknown plugin keeps its config as written', () => {
    const f = prepareDesired(entity('plugin', { name: 'not-a-plugin', config: { a: 1 } }), schemas).entity.fields;
    expect(f.config).toEqual({ a: 1 });
    expect(f.enabled).toBe(true); // the generic plugin entity schema still applies
  });

  it('reports absent auto fields (jwt key and secret) as unmanaged', () => {
    const p = prepareDesired(entity('jwt_secret', { algorithm: 'HS256' }, { consumer: 'consumer:alice' }), schemas);
    expect(p.unmanaged.sort()).toEqual(['key', 'secret']);
    expect(p.entity.fields).not.toHaveProperty('secret');
  });

  it('adds the select tags to every desired entity, keeping its own', () => {
    const p = prepareDesired(entity('service', { name: 's', host: 'h', tags: ['own'] }), schemas, ['team-a']);
    expect(p.entity.fields.tags).toEqual(['own', 'team-a']);
    const q = prepareDesired(entity('consumer', { username: 'u' }), schemas, ['team-a']);
    expect(q.entity.fields.tags).toEqual(['team-a']);
  });

  it('removes server-managed fields from both sides', () => {
    const d = prepareDesired(entity('consumer', { username: 'u', created_at: 1, id: 'x' }), schemas).entity;
    expect(d.fields).not.toHaveProperty('created_at');
    expect(d.fields).not.toHaveProperty('id');
    const c = prepareCurrent(live('consumer', exchange('071').response.body), schemas);
    expect(Object.keys(c.fields).sort()).toEqual(['custom_id', 'tags', 'username']);
  });

  it('keeps fields written beside url, as decK does', () => {
    const f = prepareDesired(entity('service', { name: 's', url: 'http://a.example:81/p', port: 8081 }), schemas).entity.fields;
    expect(f).toMatchObject({ protocol: 'http', host: 'a.example', port: 8081, path: '/p' });
    expect(f).not.toHaveProperty('url');
  });

  it('says which paths the file leaves to the node: a whole list, a record, nested config fields', () => {
    const route = prepareDesired(entity('route', { name: 'r', paths: ['/a'], protocols: ['https'] }), schemas);
    expect(route.defaulted).toContain('strip_path');
    expect(route.defaulted).toContain('hosts');
    expect(route.defaulted).not.toContain('protocols');
    expect(route.defaulted).not.toContain('paths');
    expect(prepareDesired(entity('route', { name: 'r', paths: ['/a'] }), schemas).defaulted).toContain('protocols');

    // A plugin without config: its whole config is the schema's; one with part of it: the rest.
    expect(prepareDesired(entity('plugin', { name: 'key-auth' }), schemas).defaulted).toContain('config');
    const ka = prepareDesired(entity('plugin', { name: 'key-auth', config: { key_names: ['k'] } }), schemas).defaulted;
    expect(ka).toContain('config.hide_credentials');
    expect(ka).not.toContain('config');
    expect(ka).not.toContain('config.key_names');

    // Inside a record the file writes in part (upstream healthchecks.active), field by field.
    const up = prepareDesired(entity('upstream', { name: 'u', healthchecks: { active: { http_path: '/h' } } }), schemas).defaulted;
    expect(up).toContain('healthchecks.active.timeout');
    expect(up).toContain('healthchecks.passive');
    expect(up).not.toContain('healthchecks.active.http_path');
    expect(up).not.toContain('healthchecks');
  });

  it('defaulted: not what the file writes through url or select tags; a gRPC route\'s strip_path is', () => {
    const svc = prepareDesired(entity('service', { name: 's', url: 'https://x.example' }), schemas);
    for (const f of ['protocol', 'host', 'port', 'path']) expect(svc.defaulted).not.toContain(f);
    expect(svc.defaulted).toContain('retries');
    expect(svc.defaulted).toContain('tags');
    expect(prepareDesired(entity('service', { name: 's', host: 'h' }), schemas, ['team-a']).defaulted).not.toContain('tags');
    const grpc = prepareDesired(entity('route', { name: 'g', protocols: ['grpc'], paths: ['/x.X'] }), schemas);
    expect(grpc.entity.fields.strip_path).toBe(false);
    expect(grpc.defaulted).toContain('strip_path');
    // Generated fields are unmanaged, never defaulted; server-managed ones are neither.
    const jwt = prepareDesired(entity('jwt_secret', { algorithm: 'HS256' }, { consumer: 'consumer:alice' }), schemas);
    expect(jwt.defaulted).not.toContain('secret');
    expect(jwt.defaulted).not.toContain('id');
  });

  it('moves masked paths with the url split', () => {
    const p = prepareDesired(entity('service', { name: 's', url: 'https://x.example' }, {}, { masked: ['url'] }), schemas);
    expect(p.entity.masked?.sort()).toEqual(['host', 'path', 'port', 'protocol']);
  });
});

describe('splitServiceUrl', () => {
  it('splits like Kong: default ports by scheme, absent path is null', () => {
    expect(splitServiceUrl('http://127.0.0.1:9999/orders')).toEqual({ protocol: 'http', host: '127.0.0.1', port: 9999, path: '/orders' });
    expect(splitServiceUrl('https://api.example')).toEqual({ protocol: 'https', host: 'api.example', port: 443, path: null });
    expect(splitServiceUrl('http://h/a/b?q=1')).toEqual({ protocol: 'http', host: 'h', port: 80, path: '/a/b' });
    expect(splitServiceUrl('grpc://h:50051')).toEqual({ protocol: 'grpc', host: 'h', port: 50051, path: null });
    expect(splitServiceUrl('not a url')).toBeNull();
  });
});

describe('canonicalValue', () => {
  const routeFields = schemas.entities.route!.fields;
  const schemaOf = (name: string) => routeFields.find((f) => name in f)![name];

  it('sorts and de-duplicates sets, keeps arrays in order', () => {
    expect(canonicalValue(['POST', 'GET', 'POST'], schemaOf('methods'))).toEqual(['GET', 'POST']);
    expect(canonicalValue(['/b', '/a'], schemaOf('paths'))).toEqual(['/b', '/a']);
  });

  it('sorts sets of records whatever their key order', () => {
    const a = canonicalValue([{ port: 2, ip: '10.0.0.2' }, { ip: '10.0.0.1', port: 1 }], schemaOf('sources'));
    const b = canonicalValue([{ ip: '10.0.0.1', port: 1 }, { ip: '10.0.0.2', port: 2 }], schemaOf('sources'));
    expect(a).toEqual(b);
  });
});
