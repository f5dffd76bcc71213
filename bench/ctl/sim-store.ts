/**
 * The simulator's data: Kong's tables in memory with the behaviour kong-ctl relies on, imitated
 * from the recorded 3.4.2 exchanges — defaults filled from the real schemas, `url` expanded,
 * targets normalised, basic-auth passwords and hash_secret oauth2 secrets hashed, unique fields and plugin/target/acl cache keys
 * enforced (409), foreign keys checked (400), routes blocking their service's delete (400),
 * cascades, paging by id with opaque offsets, tag filters. No HTTP here; simulator.ts serves it.
 */
import { X509Certificate, createHash, pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import type { Kind } from '../../cli/src/model/entity';
import type { EntitySchema, FieldList, FieldSchema } from '../../cli/src/model/schema';
import { fieldEntries } from '../../cli/src/model/schema';
import { KIND_DEFS } from '../../cli/src/kinds';
import { normalizeTarget } from '../../cli/src/kinds/target';
import { getOwn, setOwn } from '../../cli/src/model/own';
import type { SimFixtures } from './sim-fixtures';

export type Obj = Record<string, unknown>;

/** An Admin API answer: status and JSON body (undefined for 204/304). */
export interface SimAnswer {
  status: number;
  body?: unknown;
}

export class SimError extends Error {
  constructor(readonly answer: SimAnswer) {
    super(`simulated ${answer.status}`);
  }
}

interface TableMeta {
  table: string;
  kind: Kind;
  schema: EntitySchema;
  /** Field the URL may name an entity by instead of its id. */
  endpointKey?: string;
  unique: string[];
  cacheKey?: string[];
  /** field → referenced table */
  foreign: Record<string, string>;
  /** Millisecond timestamps (targets). */
  msTimestamps: boolean;
}

const ENDPOINT_KEYS: Partial<Record<string, string>> = {
  services: 'name',
  routes: 'name',
  upstreams: 'name',
  snis: 'name',
  consumers: 'username',
  plugins: 'instance_name',
  keyauth_credentials: 'key',
  jwt_secrets: 'key',
  basicauth_credentials: 'username',
  hmacauth_credentials: 'username',
  oauth2_credentials: 'client_id',
  vaults: 'prefix',
  keys: 'name',
  key_sets: 'name',
  targets: 'target',
};

const CACHE_KEYS: Partial<Record<string, string[]>> = {
  plugins: ['name', 'route', 'service', 'consumer'],
  targets: ['upstream', 'target'],
  acls: ['consumer', 'group'],
  keys: ['kid', 'set'],
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID_RE.test(s);

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function luaValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') {
    const o = v as Obj;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${k}=${luaValue(o[k])}`)
      .join(',')}}`;
  }
  return typeof v === 'string' ? `"${v}"` : String(v);
}

function schemaViolation(flatFields: Obj): SimError {
  // `config.minute` → { config: { minute } }, as Kong nests field errors.
  const fields: Obj = {};
  for (const [k, v] of Object.entries(flatFields)) {
    const parts = k.split('.');
    let o = fields;
    // Own keys: Kong names an unknown `config.__proto__` like any other field.
    for (const p of parts.slice(0, -1)) {
      if (getOwn(o, p) === undefined) setOwn(o, p, {});
      o = o[p] as Obj;
    }
    setOwn(o, parts[parts.length - 1], v);
  }
  const flat: string[] = [];
  const walk = (o: unknown, prefix: string) => {
    if (o && typeof o === 'object') for (const [k, v] of Object.entries(o as Obj)) walk(v, prefix ? `${prefix}.${k}` : k);
    else flat.push(`${prefix}: ${String(o)}`);
  };
  walk(fields, '');
  flat.sort();
  const message =
    flat.length === 1 ? `schema violation (${flat[0]})` : `${flat.length} schema violations (${flat.join('; ')})`;
  return new SimError({ status: 400, body: { message, fields, code: 2, name: 'schema violation' } });
}

/**
 * A CA certificate as Kong checks it on write (typedefs.certificate, then the entity check of
 * ca_certificates.lua: one certificate, not expired, the CA basic constraint): its SHA-256 over the
 * DER in hex, as `openssl_x509.new(cert):digest("sha256")` gives it.
 */
function caCertificateDigest(pem: string, nowSeconds: number): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw schemaViolation({ cert: `invalid certificate: x509.new: ${e instanceof Error ? e.message : String(e)}` });
  }
  const refuse = (message: string) =>
    new SimError({ status: 400, body: { message: `schema violation (${message})`, fields: { '@entity': [message] }, code: 2, name: 'schema violation' } });
  if ((pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length > 1) throw refuse('please submit only one certificate at a time');
  if (Date.parse(cert.validTo) / 1000 < nowSeconds) throw refuse('certificate expired, "Not After" time is in the past');
  if (!cert.ca) throw refuse('certificate does not appear to be a CA because it is missing the "CA" basic constraint');
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** Kong's `url` shorthand for services. */
function expandUrl(body: Obj): Obj {
  if (typeof body.url !== 'string') return body;
  const out = { ...body };
  delete out.url;
  const u = new URL(body.url);
  out.protocol = u.protocol.replace(/:$/, '');
  out.host = u.hostname;
  out.port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  out.path = u.pathname && u.pathname !== '/' ? u.pathname : body.url.endsWith('/') ? '/' : null;
  return out;
}

export class SimStore {
  private readonly metas = new Map<string, TableMeta>();
  private readonly rows = new Map<string, Map<string, Obj>>();
  /** Ids in ascending order per table (Postgres pages by primary key). */
  private readonly order = new Map<string, string[]>();
  /** table → "field\0value" → id, for unique fields, cache keys and endpoint keys. */
  private readonly index = new Map<string, Map<string, string>>();
  /**
   * Seconds of the simulated Kong's clock. Kong stamps `updated_at` with the time of each write:
   * a write moves the clock one second on, so that an update made after a create shows a later
   * `updated_at` as it does on a real node, deterministically.
   */
  private clock = 1795466991;

  constructor(private readonly fixtures: SimFixtures) {
    for (const def of Object.values(KIND_DEFS)) {
      const schema = fixtures.schemas.get(`/schemas/${def.schema}`) as EntitySchema | undefined;
      if (!schema) continue;
      const foreign: Record<string, string> = {};
      const unique: string[] = [];
      for (const [name, fs] of fieldEntries(schema.fields)) {
        if (fs.type === 'foreign' && typeof fs.reference === 'string') foreign[name] = fs.reference;
        if (fs.unique) unique.push(name);
      }
      this.metas.set(def.schema, {
        table: def.schema,
        kind: def.kind,
        schema,
        endpointKey: ENDPOINT_KEYS[def.schema],
        unique,
        cacheKey: CACHE_KEYS[def.schema],
        foreign,
        msTimestamps: def.schema === 'targets',
      });
      this.rows.set(def.schema, new Map());
      this.order.set(def.schema, []);
      this.index.set(def.schema, new Map());
    }
  }

  /** Empty every table. */
  clear(): void {
    for (const t of this.metas.keys()) {
      this.rows.get(t)!.clear();
      this.order.set(t, []);
      this.index.get(t)!.clear();
    }
  }

  tables(): string[] {
    return [...this.metas.keys()];
  }

  count(table: string): number {
    return this.rows.get(table)?.size ?? 0;
  }

  all(table: string): Obj[] {
    const rows = this.rows.get(table)!;
    return this.order.get(table)!.map((id) => rows.get(id)!);
  }

  meta(table: string): TableMeta {
    const m = this.metas.get(table);
    if (!m) throw new SimError({ status: 404, body: { message: 'Not found' } });
    return m;
  }

  // ---- reads ----------------------------------------------------------------------------

  /** By id or endpoint key; undefined when missing. */
  find(table: string, idOrKey: string): Obj | undefined {
    const m = this.meta(table);
    const rows = this.rows.get(table)!;
    if (isUuid(idOrKey)) return rows.get(idOrKey);
    if (!m.endpointKey) return undefined;
    const id = this.index.get(table)!.get(`${m.endpointKey}\u0000${idOrKey}`);
    return id ? rows.get(id) : undefined;
  }

  /**
   * One page, ordered by id. `filter` keeps a row (nested lists, tags); the offset is an opaque
   * token holding the last id served, as Kong's is opaque to clients.
   */
  page(table: string, size: number, offset: string | undefined, filter: (o: Obj) => boolean): { data: Obj[]; next?: string } {
    const ids = this.order.get(table)!;
    const rows = this.rows.get(table)!;
    let start = 0;
    if (offset) {
      let last: string;
      try {
        last = (JSON.parse(Buffer.from(offset, 'base64url').toString('utf8')) as string[])[0];
      } catch {
        throw new SimError({ status: 400, body: { message: `'${offset}' is not a valid offset: bad base64 encoding`, code: 7, name: 'invalid offset' } });
      }
      start = upperBound(ids, last);
    }
    const data: Obj[] = [];
    let i = start;
    for (; i < ids.length && data.length < size; i++) {
      const row = rows.get(ids[i])!;
      if (filter(row)) data.push(row);
    }
    // An offset only when another matching row follows (fixtures 104/105).
    let more = false;
    for (let j = i; j < ids.length && !more; j++) more = filter(rows.get(ids[j])!);
    const next = more ? Buffer.from(JSON.stringify([ids[i - 1]])).toString('base64url') : undefined;
    return { data, next };
  }

  // ---- writes ---------------------------------------------------------------------------

  /**
   * Insert (POST, or PUT of a new id) or replace (PUT of an existing one). `parent` pins a
   * foreign key from the URL (`/consumers/{c}/key-auth`).
   */
  upsert(table: string, body: Obj, opts: { id?: string; endpointKey?: string; parent?: [string, string] } = {}): { row: Obj; created: boolean } {
    const m = this.meta(table);
    let input: Obj = clone(body) ?? {};
    if (table === 'services') input = expandUrl(input);
    if (opts.parent) input[opts.parent[0]] = { id: opts.parent[1] };
    if (opts.endpointKey !== undefined && m.endpointKey) input[m.endpointKey] = opts.endpointKey;
    const existing = opts.id
      ? this.rows.get(table)!.get(opts.id)
      : opts.endpointKey !== undefined
        ? this.find(table, opts.endpointKey)
        : undefined;
    const id = existing ? String(existing.id) : (opts.id ?? (typeof input.id === 'string' ? input.id : randomUUID()));
    delete input.id;
    // An insert or upsert stamps created_at unless the body gives one (kong/db/schema/init.lua
    // process_auto_fields): a PUT over an existing entity starts its created_at again.
    const createdAt = typeof input.created_at === 'number' ? input.created_at : undefined;
    const row = this.complete(m, input, id, createdAt, input);
    this.write(m, row, existing);
    return { row, created: !existing };
  }

  patch(table: string, idOrKey: string, body: Obj, parent?: [string, string]): Obj {
    const m = this.meta(table);
    const existing = this.find(table, idOrKey);
    if (!existing || (parent && (existing[parent[0]] as Obj | null)?.id !== parent[1])) {
      const field = isUuid(idOrKey) ? 'id' : (m.endpointKey ?? 'id');
      throw new SimError({
        status: 404,
        body: { message: `could not find the entity with '{${field}="${idOrKey}"}'`, fields: { [field]: idOrKey }, code: 6, name: 'not found' },
      });
    }
    let input: Obj = clone(body) ?? {};
    if (table === 'services') input = expandUrl(input);
    delete input.id;
    const merged = mergeRecords(m.schema.fields, clone(existing), input);
    for (const k of ['id', 'created_at', 'updated_at']) delete merged[k];
    // An update keeps created_at.
    const row = this.complete(m, merged, String(existing.id), existing.created_at as number, input);
    this.write(m, row, existing);
    return row;
  }

  /** Kong answers 204 for a missing entity on top-level routes; nested ones answer 404 (see simulator.ts). */
  delete(table: string, idOrKey: string): boolean {
    const row = this.find(table, idOrKey);
    if (!row) return false;
    const id = String(row.id);
    // kong/db/dao/ca_certificates.lua (Kong >= 3.5, PR #11789): a CA certificate a service or a
    // plugin's config still names by id is not deleted. Kong 3.4 deletes it and leaves the id
    // dangling; a plan that passes here passes there.
    if (table === 'ca_certificates') {
      const names = (list: unknown) => Array.isArray(list) && list.includes(id);
      const service = this.all('services').find((o) => names(o.ca_certificates));
      const plugin = this.all('plugins').find((o) => names((o.config as Obj | null)?.ca_certificates));
      const by = service ? ['services', service] : plugin ? ['plugins', plugin] : undefined;
      if (by) {
        const message = `ca certificate ${id} is still referenced by ${String(by[0])} (id = ${String((by[1] as Obj).id)})`;
        throw new SimError({ status: 400, body: { message, code: 19, name: 'referenced by others' } });
      }
    }
    // Routes do not cascade from services (fixture 125); everything else that refers here does.
    for (const [t, meta] of this.metas) {
      for (const [field, ref] of Object.entries(meta.foreign)) {
        if (ref !== table) continue;
        const fs = fieldEntries(meta.schema.fields).find(([n]) => n === field)?.[1];
        const referencing = this.all(t).filter((o) => (o[field] as Obj | null)?.id === id);
        if (referencing.length === 0) continue;
        if (fs?.on_delete !== 'cascade') {
          throw new SimError({
            status: 400,
            body: {
              message: `an existing '${t}' entity references this '${table}' entity`,
              fields: { '@referenced_by': t },
              code: 4,
              name: 'foreign key violation',
            },
          });
        }
      }
    }
    for (const [t, meta] of this.metas) {
      for (const [field, ref] of Object.entries(meta.foreign)) {
        if (ref !== table) continue;
        for (const o of this.all(t)) if ((o[field] as Obj | null)?.id === id) this.delete(t, String(o.id));
      }
    }
    this.unindex(this.meta(table), row);
    this.rows.get(table)!.delete(id);
    const ids = this.order.get(table)!;
    ids.splice(lowerBound(ids, id), 1);
    return true;
  }

  // ---- internals ------------------------------------------------------------------------

  private schemaFor(m: TableMeta, input: Obj): FieldList {
    if (m.table !== 'plugins' && m.table !== 'vaults') return m.schema.fields;
    const name = String(input.name ?? '');
    const sub = this.fixtures.schemas.get(`/schemas/${m.table}/${name}`) as EntitySchema | undefined;
    if (!sub) {
      throw schemaViolation({
        name: m.table === 'plugins' ? `plugin '${name}' not enabled; add it to the 'plugins' configuration property` : `vault '${name}' is not installed`,
      });
    }
    const override = new Map(fieldEntries(sub.fields));
    return m.schema.fields.map((item) => {
      const [n] = Object.keys(item);
      return override.has(n) ? { [n]: override.get(n)! } : item;
    });
  }

  /**
   * Defaults, auto fields, foreign-key checks and the kind's own rewriting: the stored row.
   * `written` is the body as sent: Kong runs a schema transformation only when the write names
   * all of its `input` fields; its `needs` come from the stored row (kong/db/schema/init.lua
   * `get_transform_args`).
   */
  private complete(m: TableMeta, input: Obj, id: string, createdAt: number | undefined, written: Obj): Obj {
    const fields = this.schemaFor(m, input);
    const known = new Set(fieldEntries(fields).map(([n]) => n));
    const errors: Obj = {};
    // setOwn: an unknown `__proto__` is refused by Kong like any other unknown field.
    for (const k of Object.keys(input)) if (!known.has(k)) setOwn(errors, k, 'unknown field');
    const now = m.msTimestamps ? this.clock + 0.5 : this.clock;
    this.clock++;
    const row: Obj = { id };
    for (const [name, fs] of fieldEntries(fields)) {
      if (name === 'id') continue;
      if (name === 'created_at') {
        row.created_at = createdAt ?? now;
        continue;
      }
      if (name === 'updated_at') {
        row.updated_at = now;
        continue;
      }
      let v = input[name];
      if (v === undefined && fs.auto && fs.type === 'string') v = randomUUID().replace(/-/g, '');
      if (fs.type === 'foreign') {
        row[name] = this.resolveForeign(name, fs, v, errors);
        continue;
      }
      row[name] = fill(fs, v, name, errors);
      if (fs.required && (row[name] === null || row[name] === undefined)) errors[name] = 'required field missing';
      const typeError = checkType(fs, row[name]);
      if (typeError) errors[name] = typeError;
    }
    if (Object.keys(errors).length) throw schemaViolation(errors);
    if (m.table === 'targets' && typeof row.target === 'string') row.target = normalizeTarget(row.target);
    const names = (field: string) => written[field] !== undefined && written[field] !== null;
    // kong/db/schema/entities/ca_certificates.lua: its checks, then the transformation storing the
    // digest Kong keeps unique (two CA certificates of one content are refused with a 409).
    if (m.table === 'ca_certificates' && typeof row.cert === 'string' && names('cert')) row.cert_digest = caCertificateDigest(row.cert, Date.now() / 1000);
    // kong/plugins/basic-auth/daos.lua: input password, needs consumer.id. A write that moves the
    // credential without its password keeps a hash salted with the old consumer's id.
    if (m.table === 'basicauth_credentials' && typeof row.password === 'string' && names('password')) {
      const consumerId = (row.consumer as Obj | null)?.id ?? '';
      row.password = createHash('sha1').update(`${row.password}${String(consumerId)}`).digest('hex');
    }
    // kong/plugins/oauth2/daos.lua (input hash_secret, needs client_secret) and secret.lua:
    // PBKDF2-SHA512 in PHC form. A write of client_secret without hash_secret stores it in clear.
    if (m.table === 'oauth2_credentials' && row.hash_secret === true && typeof row.client_secret === 'string' && names('hash_secret')) {
      const salt = randomBytes(16);
      const hash = pbkdf2Sync(row.client_secret, salt, 10000, 32, 'sha512');
      row.client_secret = `$pbkdf2-sha512$i=10000,l=32$${salt.toString('base64').replace(/=+$/, '')}$${hash.toString('base64').replace(/=+$/, '')}`;
    }
    return row;
  }

  private resolveForeign(name: string, fs: FieldSchema, v: unknown, errors: Obj): Obj | null {
    if (v === undefined || v === null) {
      if (fs.required) errors[name] = 'required field missing';
      return null;
    }
    const ref = String(fs.reference);
    const target = v as Obj;
    if (typeof target.id === 'string') {
      if (!this.rows.get(ref)?.has(target.id)) {
        throw new SimError({
          status: 400,
          body: {
            message: `the foreign key '{id="${target.id}"}' does not reference an existing '${ref}' entity.`,
            fields: { [name]: { id: target.id } },
            code: 4,
            name: 'foreign key violation',
          },
        });
      }
      return { id: target.id };
    }
    const key = ENDPOINT_KEYS[ref];
    const keyValue = key ? target[key] : undefined;
    const found = typeof keyValue === 'string' ? this.find(ref, keyValue) : undefined;
    if (!found) {
      throw new SimError({
        status: 400,
        body: {
          message: `foreign key unresolved (${name}.${key}: the foreign key cannot be resolved with '{${key}="${String(keyValue)}"}' for an existing '${ref}' entity)`,
          fields: { [name]: { [String(key)]: `the foreign key cannot be resolved with '{${key}="${String(keyValue)}"}' for an existing '${ref}' entity` } },
          code: 13,
          name: 'foreign keys unresolved',
        },
      });
    }
    return { id: String(found.id) };
  }

  private uniqueEntries(m: TableMeta, row: Obj): Array<[string, string, Obj]> {
    const out: Array<[string, string, Obj]> = [];
    for (const f of m.unique) {
      if (row[f] !== null && row[f] !== undefined) out.push([`${f}\u0000${String(row[f])}`, `{${f}=${luaValue(row[f])}}`, { [f]: row[f] }]);
    }
    if (m.cacheKey) {
      const parts = [...m.cacheKey].sort();
      const fields: Obj = {};
      for (const p of parts) fields[p] = row[p] ?? null;
      out.push([`cache_key\u0000${parts.map((p) => luaValue(row[p])).join('|')}`, luaValue(fields), fields]);
    }
    if (m.endpointKey && !m.unique.includes(m.endpointKey) && m.table !== 'targets' && row[m.endpointKey] != null) {
      out.push([`${m.endpointKey}\u0000${String(row[m.endpointKey])}`, `{${m.endpointKey}=${luaValue(row[m.endpointKey])}}`, { [m.endpointKey]: row[m.endpointKey] }]);
    }
    return out;
  }

  private write(m: TableMeta, row: Obj, existing: Obj | undefined): void {
    const idx = this.index.get(m.table)!;
    const id = String(row.id);
    for (const [k, desc, fields] of this.uniqueEntries(m, row)) {
      const holder = idx.get(k);
      if (holder && holder !== id) {
        throw new SimError({
          status: 409,
          body: { message: `UNIQUE violation detected on '${desc}'`, fields, code: 5, name: 'unique constraint violation' },
        });
      }
    }
    if (existing) this.unindex(m, existing);
    for (const [k] of this.uniqueEntries(m, row)) idx.set(k, id);
    // Targets are found by `target` within their upstream only; keep an upstream-scoped key.
    if (m.table === 'targets') idx.set(`target\u0000${String((row.upstream as Obj).id)}\u0000${String(row.target)}`, id);
    const rows = this.rows.get(m.table)!;
    if (!rows.has(id)) {
      const ids = this.order.get(m.table)!;
      ids.splice(lowerBound(ids, id), 0, id);
    }
    rows.set(id, row);
  }

  private unindex(m: TableMeta, row: Obj): void {
    const idx = this.index.get(m.table)!;
    for (const [k] of this.uniqueEntries(m, row)) if (idx.get(k) === row.id) idx.delete(k);
    if (m.table === 'targets') idx.delete(`target\u0000${String((row.upstream as Obj).id)}\u0000${String(row.target)}`);
  }

  /** A target by id or by `host:port` within one upstream. */
  findTarget(upstreamId: string, idOrTarget: string): Obj | undefined {
    if (isUuid(idOrTarget)) {
      const row = this.rows.get('targets')!.get(idOrTarget);
      return row && (row.upstream as Obj).id === upstreamId ? row : undefined;
    }
    const id = this.index.get('targets')!.get(`target\u0000${upstreamId}\u0000${normalizeTarget(idOrTarget)}`);
    return id ? this.rows.get('targets')!.get(id) : undefined;
  }
}

/**
 * Kong's defaults for one field: records are filled field by field, absent values become null.
 * Unknown fields inside a record are schema violations, as Kong reports them (`config.x`).
 */
/**
 * A missing field as kong/db/schema/init.lua `handle_missing_field` fills it: its default, else
 * null unless required, and a required record expanded to its nested defaults.
 */
function fill(fs: FieldSchema, v: unknown, path: string, errors: Obj): unknown {
  if (fs.type === 'record') {
    if (v === null) return null;
    if (v === undefined && 'default' in fs) return clone(fs.default);
    if (v === undefined && fs.required !== true) return null;
    const src = (v ?? {}) as Obj;
    const out: Obj = {};
    const subs = fieldEntries(fs.fields);
    for (const [n, sub] of subs) out[n] = fill(sub, getOwn(src, n), `${path}.${n}`, errors);
    // Own keys: `in` finds `constructor` and `__proto__` in any object, and Kong refuses them too.
    if (subs.length > 0) for (const k of Object.keys(src)) if (!Object.hasOwn(out, k)) errors[`${path}.${k}`] = 'unknown field';
    // A spread keeps a `__proto__` key as a key (Object.assign would set the prototype).
    if (subs.length === 0) return { ...src };
    return out;
  }
  if (v !== undefined) return v;
  return 'default' in fs ? clone(fs.default) : null;
}

/** Kong's type and `one_of` checks, with its wording (fixture 061). */
function checkType(fs: FieldSchema, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (fs.type) {
    case 'integer':
      return Number.isInteger(v) ? null : 'expected an integer';
    case 'number':
      return typeof v === 'number' ? null : 'expected a number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'expected a boolean';
    case 'string':
      if (typeof v !== 'string') return 'expected a string';
      return Array.isArray(fs.one_of) && !fs.one_of.includes(v) ? `expected one of: ${fs.one_of.join(', ')}` : null;
    case 'array':
    case 'set':
      return Array.isArray(v) ? null : `expected a${fs.type === 'array' ? 'n array' : ' set'}`;
    default:
      return null;
  }
}

/** PATCH: records merge field by field, everything else is replaced. */
function mergeRecords(fields: FieldList | undefined, base: Obj, patch: Obj): Obj {
  const schemas = new Map(fieldEntries(fields));
  for (const [k, v] of Object.entries(patch)) {
    const fs = schemas.get(k);
    const cur = getOwn(base, k);
    // setOwn: a PATCH's unknown `__proto__` must reach the schema check, not the prototype.
    if (fs?.type === 'record' && v && typeof v === 'object' && cur && typeof cur === 'object') {
      setOwn(base, k, mergeRecords(fs.fields, cur as Obj, v as Obj));
    } else setOwn(base, k, v);
  }
  return base;
}

function lowerBound(a: string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
