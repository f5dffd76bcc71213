/**
 * The live state as a decK-format (3.0) file, nested the way decK writes it (file/writer.go):
 * routes and their plugins under services, single-scope plugins under what they scope,
 * credentials under consumers, targets under upstreams, snis under certificates; global and
 * multi-scope plugins at the top with `service:`/`route:`/`consumer:` names. Everything is
 * sorted so two dumps of the same gateway are byte-identical.
 */
import { Document, isMap } from 'yaml';
import type { Entity, Kind, State } from '../model/entity';
import { KINDS } from '../model/entity';
import type { Schemas } from '../model/schema';
import { LOOKUP_KEYS } from '../desired/info';
import { KIND_DEFS, writeOnlyOf } from '../kinds';
import { fieldsFor, stripDefaults } from './defaults';
import { unresolvedKey } from '../current/build';

export interface DumpOptions {
  /** Keep fields equal to their schema default, and nulls. */
  withDefaults: boolean;
  /** Written to `_info.select_tags` and removed from each entity's own tags (loading adds them back). */
  selectTags: string[];
  /** `--skip-consumers`: said at the top, since applying the file without the flag would delete them. */
  skipConsumers?: boolean;
  /** `--skip-ca-certificates`: likewise. */
  skipCaCertificates?: boolean;
  /**
   * `--with-id`: every entity keeps its Kong id, so that the file pins identities: a rename in it
   * is then an update of the same entity, not a delete and a create (diff/match.ts).
   */
  withIds?: boolean;
  /**
   * Live services, routes and consumers outside the dump that its references name (the command
   * reads them by id): with tags they share, and no entity in the dump carries, the references
   * are written by name and `_info.default_lookup_tags` finds them, so the dump applies as is.
   */
  outside?: Entity[];
  /** Live plugins scoped to a consumer group, not read (current/fetch.ts): said at the top. */
  groupPlugins?: number;
}

export interface DumpContent {
  /** The decK document, keys in output order. */
  content: Record<string, unknown>;
  /** Entities the format cannot hold (their parent is outside the dump) and other notes; also written as comments. */
  warnings: string[];
  /** What the dump did that a reader should know (lookups it set up); written as comments too. */
  notes?: string[];
}

type Obj = Record<string, unknown>;

/** Where a consumer's credentials go in a decK file. */
const CREDENTIAL_KEYS: Array<[Kind, string]> = [
  ['keyauth_credential', 'keyauth_credentials'],
  ['hmacauth_credential', 'hmacauth_credentials'],
  ['jwt_secret', 'jwt_secrets'],
  ['basicauth_credential', 'basicauth_credentials'],
  ['acl', 'acls'],
  ['oauth2_credential', 'oauth2_credentials'],
];

/** Fields that lead each entity in the file, so a reader sees what it is first. */
const LEAD_FIELDS: Record<Kind, string[]> = {
  vault: ['prefix', 'name'],
  key_set: ['name'],
  key: ['kid', 'name'],
  certificate: [],
  ca_certificate: [],
  sni: ['name'],
  service: ['name'],
  upstream: ['name'],
  target: ['target'],
  route: ['name'],
  consumer: ['username', 'custom_id'],
  keyauth_credential: ['key'],
  jwt_secret: ['key'],
  basicauth_credential: ['username'],
  hmacauth_credential: ['username'],
  acl: ['group'],
  oauth2_credential: ['name', 'client_id'],
  plugin: ['name', 'instance_name'],
};

const NESTED_KEYS = ['routes', 'plugins', 'targets', 'snis', 'keys', ...CREDENTIAL_KEYS.map(([, k]) => k)];

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The order entities are listed in: by name, as decK sorts. */
function sortName(e: Entity): string {
  const f = e.fields;
  switch (e.kind) {
    case 'consumer':
      return str(f.username) ?? str(f.custom_id) ?? e.id ?? e.key;
    case 'plugin':
      return e.key;
    case 'target':
      return str(f.target) ?? e.key;
    case 'keyauth_credential':
    case 'jwt_secret':
      return str(f.key) ?? e.id ?? e.key;
    case 'basicauth_credential':
    case 'hmacauth_credential':
      return str(f.username) ?? e.id ?? e.key;
    case 'acl':
      return str(f.group) ?? e.id ?? e.key;
    case 'oauth2_credential':
      return str(f.client_id) ?? e.id ?? e.key;
    case 'vault':
      return str(f.prefix) ?? e.id ?? e.key;
    case 'key':
      return str(f.kid) ?? e.id ?? e.key;
    case 'certificate':
    case 'ca_certificate':
      return e.id ?? e.key;
    default:
      return str(f.name) ?? e.id ?? e.key;
  }
}

function byName(a: Entity, b: Entity): number {
  const x = sortName(a);
  const y = sortName(b);
  if (x !== y) return x < y ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** An id is written only when the entity cannot be recognised without it (certificates, unnamed routes/services). */
function needsId(e: Entity): boolean {
  if (!e.id) return false;
  return KIND_DEFS[e.kind].identity({ fields: e.fields, refs: e.refs, id: undefined }) !== e.key;
}

/** Kinds whose foreign keys the dump writes as references (the others nest under their parent). */
const WRITTEN_REFERENCES: ReadonlySet<Kind> = new Set<Kind>(['plugin', 'route', 'service', 'upstream', 'key']);

function idFromKey(key: string): string | undefined {
  const i = key.indexOf(':#');
  return i >= 0 ? key.slice(i + 2) : undefined;
}

function orderKeys(kind: Kind, obj: Obj, trailing: string[]): Obj {
  const lead = LEAD_FIELDS[kind].filter((k) => k in obj);
  const rest = Object.keys(obj)
    .filter((k) => !lead.includes(k) && k !== 'id' && !trailing.includes(k) && !NESTED_KEYS.includes(k))
    .sort();
  const out: Obj = {};
  for (const k of [...lead, 'id', ...rest, ...trailing, ...NESTED_KEYS]) if (k in obj && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Output objects whose write-only field was left out: their kind and the comment each carries. */
type LeftOut = Map<Obj, { kind: Kind; note: string }>;

/** The line at the top of a dump that left out write-only secrets of this kind. */
const LEFT_OUT_HEADER: Partial<Record<Kind, string>> = {
  basicauth_credential: ' basic-auth passwords are write-only and were left out (re-applying the stored hash would corrupt them)',
  oauth2_credential: ' hashed oauth2 client secrets (hash_secret) are write-only and were left out (re-applying the stored hash would corrupt them)',
};

function build(state: State, schemas: Schemas, opts: DumpOptions): DumpContent & { leftOut: LeftOut } {
  const selectTags = [...new Set(opts.selectTags)];
  const warnings: string[] = [];
  const byKey = new Map<string, Entity>();
  const byKind = new Map<Kind, Entity[]>();
  for (const e of state.entities) {
    byKey.set(e.key, e);
    const list = byKind.get(e.kind) ?? [];
    list.push(e);
    byKind.set(e.kind, list);
  }
  const all = (kind: Kind) => [...(byKind.get(kind) ?? [])].sort(byName);
  const has = (key: string | null | undefined, kind: Kind) => !!key && byKey.get(key)?.kind === kind;

  /**
   * How a reference is written: the target's name (username, else custom_id, for consumers),
   * else its id, which the target then carries in the dump too (see needsId).
   */
  function refName(key: string): string {
    const t = byKey.get(key) ?? lookedUp.get(key);
    if (t) {
      const name =
        t.kind === 'consumer' ? (str(t.fields.username) ?? str(t.fields.custom_id)) : t.kind === 'certificate' ? undefined : str(t.fields.name);
      return name ?? t.id ?? key;
    }
    return idFromKey(key) ?? key;
  }

  // References out of the dump (outside the select tags) are looked up by tags when the
  // command could read the entities they name (lookupsFor); the rest are written by id, and
  // loading the file back needs them looked up by tags only the user can choose.
  const { lookedUp, lookupTags, notes } = lookupsFor(state, opts);
  const outside = new Map<Kind, number>();
  for (const e of state.entities) {
    // Credentials, targets and SNIs without their parent are left out instead (orphans, below).
    if (!WRITTEN_REFERENCES.has(e.kind)) continue;
    for (const [field, key] of Object.entries(e.refs)) {
      if (!key || byKey.has(key) || lookedUp.has(key)) continue;
      const kind = KIND_DEFS[e.kind].foreignKeys[field];
      outside.set(kind, (outside.get(kind) ?? 0) + 1);
    }
  }
  for (const [kind, n] of [...outside].sort(([a], [b]) => KINDS.indexOf(a) - KINDS.indexOf(b))) {
    const lookup = Object.entries(LOOKUP_KEYS).find(([, k]) => k === kind)?.[0];
    const fix = lookup ? `: add _info.default_lookup_tags.${lookup} with their tags before applying it` : '';
    warnings.push(`${n} reference${n === 1 ? '' : 's'} to ${kind.replace(/_/g, ' ')}s outside this dump ${n === 1 ? 'is' : 'are'} written by id${fix}`);
  }

  const leftOut: LeftOut = new Map();

  function body(e: Entity, trailing: Obj = {}): Obj {
    let f: Obj = { ...e.fields };
    const omitted: string[] = [];
    for (const w of writeOnlyOf(KIND_DEFS[e.kind], f)) {
      if (w in f) {
        delete f[w];
        omitted.push(w);
      }
    }
    if (selectTags.length && Array.isArray(f.tags)) {
      const own = (f.tags as unknown[]).filter((t) => !selectTags.includes(t as string));
      if (own.length) f.tags = own;
      else delete f.tags;
    }
    if (!opts.withDefaults) {
      const { fields, shorthands } = fieldsFor(e.kind, f, schemas);
      f = stripDefaults(f, fields, shorthands);
    }
    if (e.id && (opts.withIds || needsId(e))) f.id = e.id;
    const out = orderKeys(e.kind, { ...f, ...trailing }, Object.keys(trailing).filter((k) => !NESTED_KEYS.includes(k)));
    if (omitted.length) leftOut.set(out, { kind: e.kind, note: writeOnlyNote(omitted) });
    return out;
  }

  // Plugins scoped to exactly one entity that is in the dump nest under it; the rest are top level.
  const nestedPlugins = new Map<string, Entity[]>();
  const topPlugins: Entity[] = [];
  for (const p of all('plugin')) {
    const scopes = (['service', 'route', 'consumer'] as const).filter((s) => p.refs[s]);
    const only = scopes.length === 1 ? p.refs[scopes[0]] : null;
    if (only && has(only, scopes[0])) {
      const list = nestedPlugins.get(only) ?? [];
      list.push(p);
      nestedPlugins.set(only, list);
    } else topPlugins.push(p);
  }
  const pluginsUnder = (owner: Entity): Obj[] | undefined => {
    const list = nestedPlugins.get(owner.key);
    return list?.length ? list.map((p) => body(p)) : undefined;
  };

  const childrenOf = (kind: Kind, field: string) => {
    const m = new Map<string, Entity[]>();
    const orphans: Entity[] = [];
    for (const e of all(kind)) {
      const parent = e.refs[field];
      if (parent && byKey.has(parent)) {
        const list = m.get(parent) ?? [];
        list.push(e);
        m.set(parent, list);
      } else orphans.push(e);
    }
    return { m, orphans };
  };

  const routes = childrenOf('route', 'service');
  const routeBody = (r: Entity, extra: Obj = {}) => body(r, { ...extra, plugins: pluginsUnder(r) });

  const services = all('service').map((s) => {
    const trailing: Obj = {};
    if (s.refs.client_certificate) trailing.client_certificate = refName(s.refs.client_certificate);
    return body(s, { ...trailing, routes: routes.m.get(s.key)?.map((r) => routeBody(r)), plugins: pluginsUnder(s) });
  });

  // A route without a service, or whose service is outside the dump (select tags), is top level.
  const topRoutes = routes.orphans.map((r) => {
    const svc = r.refs.service;
    if (!svc) return routeBody(r);
    const t = byKey.get(svc) ?? lookedUp.get(svc);
    return routeBody(r, { service: t && str(t.fields.name) ? { name: str(t.fields.name) } : { id: t?.id ?? idFromKey(svc) } });
  });

  const credentialsOf = new Map<string, Obj>();
  for (const [kind, field] of CREDENTIAL_KEYS) {
    const { m, orphans } = childrenOf(kind, 'consumer');
    for (const [ckey, creds] of m) {
      const nested = credentialsOf.get(ckey) ?? {};
      nested[field] = creds.map((cr) => body(cr));
      credentialsOf.set(ckey, nested);
    }
    for (const o of orphans) warnings.push(`${o.label} left out: its consumer is not in this dump`);
  }
  const consumers = all('consumer').map((c) => body(c, { plugins: pluginsUnder(c), ...credentialsOf.get(c.key) }));

  const plugins = topPlugins.map((p) => {
    const refs: Obj = {};
    for (const s of ['consumer', 'route', 'service'] as const) {
      const k = p.refs[s];
      if (k) refs[s] = refName(k);
    }
    return body(p, refs);
  });

  const targets = childrenOf('target', 'upstream');
  for (const o of targets.orphans) warnings.push(`${o.label} left out: its upstream is not in this dump`);
  const upstreams = all('upstream').map((u) => {
    const trailing: Obj = {};
    // decK writes an upstream's client certificate as go-kong's object form, a service's as a bare id.
    if (u.refs.client_certificate) trailing.client_certificate = { id: refName(u.refs.client_certificate) };
    return body(u, { ...trailing, targets: targets.m.get(u.key)?.map((t) => body(t)) });
  });

  const snis = childrenOf('sni', 'certificate');
  for (const o of snis.orphans) warnings.push(`${o.label} left out: its certificate is not in this dump`);
  const certificates = all('certificate').map((c) => body(c, { snis: snis.m.get(c.key)?.map((s) => body(s)) }));
  const caCertificates = all('ca_certificate').map((c) => body(c));
  const vaults = all('vault').map((v) => body(v));

  // Keys nest under their key set, as Kong's own declarative format has them; a key without a
  // set, or whose set is outside the dump (select tags), is top level and names its set.
  const keys = childrenOf('key', 'set');
  const keySets = all('key_set').map((s) => body(s, { keys: keys.m.get(s.key)?.map((k) => body(k)) }));
  const topKeys = keys.orphans.map((k) => {
    const set = k.refs.set;
    if (!set) return body(k);
    const t = byKey.get(set);
    return body(k, { set: t && str(t.fields.name) ? { name: str(t.fields.name) } : { id: t?.id ?? idFromKey(set) } });
  });

  const content: Obj = { _format_version: '3.0' };
  if (selectTags.length) content._info = { select_tags: selectTags, ...(Object.keys(lookupTags).length ? { default_lookup_tags: lookupTags } : {}) };
  const sections: Array<[string, Obj[]]> = [
    ['services', services],
    ['routes', topRoutes],
    ['consumers', consumers],
    ['plugins', plugins],
    ['upstreams', upstreams],
    ['certificates', certificates],
    ['ca_certificates', caCertificates],
    ['vaults', vaults],
    ['key_sets', keySets],
    ['keys', topKeys],
  ];
  for (const [k, list] of sections) if (list.length) content[k] = list;

  return { content, warnings, notes, leftOut };
}

const tagsOf = (e: Entity): string[] => (Array.isArray(e.fields.tags) ? (e.fields.tags as unknown[]).filter((t): t is string => typeof t === 'string') : []);

/**
 * Per lookup kind, the tags every referenced outside entity shares, when no entity of the dump
 * carries them all (a looked-up entity in scope would be both managed and looked up): the
 * references of that kind are then written by name and found by `_info.default_lookup_tags`.
 */
function lookupsFor(state: State, opts: DumpOptions): { lookedUp: Map<string, Entity>; lookupTags: Obj; notes: string[] } {
  const lookedUp = new Map<string, Entity>();
  const lookupTags: Obj = {};
  const notes: string[] = [];
  const outside = opts.outside ?? [];
  const inDump = new Set(state.entities.map((e) => e.key));
  for (const [lookupKey, kind] of Object.entries(LOOKUP_KEYS)) {
    const byRef = new Map(outside.filter((e) => e.kind === kind && e.id).map((e) => [unresolvedKey(kind, e.id!), e]));
    const referenced = new Map<string, Entity>();
    for (const e of state.entities) {
      for (const key of Object.values(e.refs)) if (key && !inDump.has(key) && byRef.has(key)) referenced.set(key, byRef.get(key)!);
    }
    if (referenced.size === 0) continue;
    const [first, ...rest] = [...referenced.values()].map(tagsOf);
    // Kong filters by at most 5 tags (checkSelectTags): any 5 of them still find every referenced entity.
    const common = first.filter((t) => rest.every((tags) => tags.includes(t))).sort().slice(0, 5);
    const clash = state.entities.some((e) => e.kind === kind && common.every((t) => tagsOf(e).includes(t)));
    if (common.length === 0 || clash) continue;
    for (const [key, e] of referenced) lookedUp.set(key, e);
    lookupTags[lookupKey] = common;
    const n = referenced.size;
    notes.push(` ${n} ${kind.replace(/_/g, ' ')}${n === 1 ? '' : 's'} outside this dump ${n === 1 ? 'is' : 'are'} named by references: found through _info.default_lookup_tags.${lookupKey}`);
  }
  return { lookedUp, lookupTags, notes };
}

export function buildDumpContent(state: State, schemas: Schemas, opts: DumpOptions): DumpContent {
  const { content, warnings, notes } = build(state, schemas, opts);
  return { content, warnings, notes };
}

/**
 * Write-only secrets are never dumped. For basic-auth Kong returns only sha1(password .. consumer
 * id), for an oauth2 credential with `hash_secret` a PBKDF2 hash of `client_secret`; writing that
 * back makes Kong hash the hash and silently breaks the credential (decK issues #12, #145). A
 * user who wants to manage the secret adds it to the file; a credential without it is matched
 * by its name or client_id and its secret is left alone. Each such credential carries a comment
 * saying so, and so does the top of the file.
 */
function writeOnlyNote(fields: string[]): string {
  const list = fields.map((f) => `\`${f}:\``).join(', ');
  return ` ${fields.join(', ')} omitted: Kong stores only a hash (write-only); add ${list} here to set it`;
}

/** What the top of a dump says about it: a YAML comment, or lines on stderr beside JSON. */
function dumpNotes(opts: DumpOptions, leftOut: LeftOut, warnings: string[], lookups: string[] = []): string[] {
  const notes: string[] = [...lookups];
  if (opts.skipConsumers) {
    notes.push(' consumers, their credentials and consumer-scoped plugins were not read (--skip-consumers):');
    notes.push(' apply this file with --skip-consumers too, or apply would delete them');
  }
  if (opts.skipCaCertificates) {
    notes.push(' CA certificates were not read (--skip-ca-certificates):');
    notes.push(' apply this file with --skip-ca-certificates too, or apply would delete them');
  }
  if (opts.groupPlugins) {
    const n = opts.groupPlugins;
    notes.push(` ${n} plugin${n === 1 ? '' : 's'} scoped to a consumer group (Kong Enterprise) ${n === 1 ? 'is' : 'are'} not in this file:`);
    notes.push(' kong-ctl does not manage consumer groups, and diff and apply leave such plugins alone');
  }
  const kinds = new Set([...leftOut.values()].map((v) => v.kind));
  for (const [kind, header] of Object.entries(LEFT_OUT_HEADER)) if (kinds.has(kind as Kind)) notes.push(header);
  for (const w of warnings) notes.push(` warning: ${w}`);
  return notes;
}

/** The dump as JSON (`-o dump.json`), which has no comments: its notes are for stderr. */
export function renderDumpJson(state: State, schemas: Schemas, opts: DumpOptions): { text: string; notes: string[] } {
  const { content, warnings, notes, leftOut } = build(state, schemas, opts);
  return { text: `${JSON.stringify(content, null, 2)}\n`, notes: dumpNotes(opts, leftOut, warnings, notes).map((n) => n.trim()) };
}

export function renderDump(state: State, schemas: Schemas, opts: DumpOptions): string {
  const { content, warnings, notes: lookups, leftOut } = build(state, schemas, opts);
  const doc = new Document(content);

  const notes = dumpNotes(opts, leftOut, warnings, lookups);
  if (notes.length) doc.commentBefore = notes.join('\n');

  const consumers = (content.consumers ?? []) as Obj[];
  consumers.forEach((c, i) => {
    for (const [, field] of CREDENTIAL_KEYS) {
      const creds = (c[field] ?? []) as Obj[];
      creds.forEach((cr, j) => {
        const left = leftOut.get(cr);
        if (left === undefined) return;
        const node = doc.getIn(['consumers', i, field, j], true);
        if (isMap(node)) node.commentBefore = left.note;
      });
    }
  });

  return doc.toString({ indentSeq: false, lineWidth: 0 });
}
