/**
 * decK's integration tests of `deck gateway dump` (tests/integration/dump_test.go), run against
 * `kong-ctl dump` on the simulated Kong 3.4.2, with decK's own files and expected dumps
 * (test/fixtures/deck-diff-dump, whose README lists each file's origin and the cases skipped).
 *
 * The dumps are compared as data, after normalising only what kong-ctl documents as deliberate,
 * said next to each case: key order and layout are not compared (YAML parsed on both sides);
 * `null` and an absent field are the same (docs/plan-json.md, "What is not a change": decK omits
 * an entity's null fields, `--with-defaults` writes them); decK's `dump` keeps Kong's defaults,
 * so it is compared with `kong-ctl dump --with-defaults`, and decK's `--skip-defaults` with
 * kong-ctl's default dump ("defaults stripped", README).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const DIR = join(__dirname, '../../fixtures/deck-diff-dump/dump');
const F = (name: string) => join(DIR, name);

const { addr, write, expectApplyWritesNothing } = simSession('kong-ctl-deck-dump-');

type Obj = Record<string, unknown>;

const load = (name: string): Obj => parse(readFileSync(F(name), 'utf8')) as Obj;

async function sync(file: string): Promise<void> {
  const r = await runCli(['apply', '-f', file, ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** decK's `dump -o -` as kong-ctl's, parsed. */
async function dump(...flags: string[]): Promise<{ text: string; doc: Obj }> {
  const r = await runCli(['dump', '-o', '-', ...flags, ...addr()]);
  expect(r.code, r.stderr).toBe(0);
  return { text: r.stdout, doc: parse(r.stdout) as Obj };
}

/** null and absent are the same; an empty `_info.defaults` (decK writes `defaults: {}`) says nothing. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
    const info = out._info as Obj | undefined;
    if (info && isEmpty(info.defaults)) delete info.defaults;
    return out;
  }
  return v;
}
const isEmpty = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 0;

/** Every entity object of a decK document, nested ones included. */
function* entities(v: unknown): Generator<Obj> {
  if (Array.isArray(v)) for (const x of v) yield* entities(x);
  else if (v && typeof v === 'object') {
    const o = v as Obj;
    for (const [k, x] of Object.entries(o)) {
      if (Array.isArray(x) && x.every((e) => e && typeof e === 'object' && !Array.isArray(e)) && k !== 'config') {
        for (const e of x as Obj[]) {
          yield e;
          yield* entities(e);
        }
      }
    }
  }
}

/**
 * kong-ctl writes `--select-tag`s once, in `_info.select_tags`, and not again on each entity:
 * loading the file adds them back to every entity (docs/from-deck.md). decK's dump writes them
 * in both places; they are taken out of the entities here.
 */
function selectTagsOnce(doc: Obj): Obj {
  const tags = ((doc._info as Obj | undefined)?.select_tags ?? []) as string[];
  for (const e of entities(doc)) {
    if (!Array.isArray(e.tags)) continue;
    const own = (e.tags as string[]).filter((t) => !tags.includes(t));
    if (own.length) e.tags = own;
    else delete e.tags;
  }
  return doc;
}

/**
 * Keys: nested under their key set or at the top naming it mean the same (README, entities
 * managed); kong-ctl's dump nests them, decK's writes them at the top with `set: {id[, name]}`.
 * Both are put at the top here, naming their set by id.
 */
function keysAtTop(doc: Obj): Obj {
  const sets = (doc.key_sets ?? []) as Obj[];
  const keys = [...((doc.keys ?? []) as Obj[])];
  for (const s of sets) {
    for (const k of (s.keys ?? []) as Obj[]) keys.push({ ...k, set: { id: s.id } });
    delete s.keys;
  }
  for (const k of keys) {
    const set = k.set as Obj;
    k.set = { id: set.id ?? sets.find((s) => s.name === set.name)?.id };
  }
  if (keys.length) doc.keys = keys;
  return doc;
}

describe('decK dump_test.go, against kong-ctl dump', () => {
  it('Test_Dump_SelectTags_3x: dump with select-tags (expected.yaml, Kong >=3.1.0 <3.8.0)', async () => {
    await sync(F('001-entities-with-tags/kong.yaml'));
    const { text, doc } = await dump('--with-defaults', '--select-tag', 'managed-by-deck', '--select-tag', 'org-unit-42');
    expect(withoutNulls(doc)).toEqual(selectTagsOnce(withoutNulls(load('001-entities-with-tags/expected.yaml')) as Obj));
    // The dump applies as it is: its select tags are the scope, and nothing differs.
    await expectApplyWritesNothing(write('select-tags.yaml', text));
  });

  describe('Test_Dump_KeysAndKeySets: dump --with-id gives back the file (007-keys-and-key_sets)', () => {
    for (const name of ['kong-jwk.yaml', 'kong-pem.yaml']) {
      it(`dump keys and key-sets - ${name.includes('jwk') ? 'jwk' : 'pem'} keys`, async () => {
        await sync(F(`007-keys-and-key_sets/${name}`));
        const { doc } = await dump('--with-id', '--with-defaults');
        expect(keysAtTop(withoutNulls(doc) as Obj)).toEqual(keysAtTop(load(`007-keys-and-key_sets/${name}`)));
      });
    }
  });

  describe('Test_Dump_SkipConsumers, 3.4 (002-skip-consumers, without its consumer group)', () => {
    // decK's file gives consumer foo a consumer group with a rate-limiting-advanced plugin, both
    // Kong Enterprise; what is left is the open-source part: a consumer and a service.
    function oss(doc: Obj): Obj {
      delete doc.consumer_groups;
      for (const c of (doc.consumers ?? []) as Obj[]) delete c.groups;
      return doc;
    }

    it('3.4 dump with skip-consumers (expected.yaml)', async () => {
      await sync(write('kong34-oss.yaml', stringify(oss(load('002-skip-consumers/kong34.yaml')))));
      const { doc } = await dump('--skip-consumers', '--with-defaults');
      expect(withoutNulls(doc)).toEqual(load('002-skip-consumers/expected.yaml'));
    });

    it('3.4 dump with no skip-consumers (expected-no-skip-34.yaml)', async () => {
      await sync(write('kong34-oss.yaml', stringify(oss(load('002-skip-consumers/kong34.yaml')))));
      const { doc } = await dump('--with-defaults');
      expect(withoutNulls(doc)).toEqual(oss(load('002-skip-consumers/expected-no-skip-34.yaml')));
    });
  });

  describe('Test_Dump_SkipDefaults, 3.4 (009-skip-defaults/enterprise/3.4), against kong-ctl’s default dump', () => {
    /**
     * decK's `--skip-defaults` keeps a plugin's `enabled: true` and a jwt secret's
     * `algorithm: HS256`; both are Kong's defaults, which kong-ctl's dump strips (README).
     */
    function withoutDefaults(doc: Obj): Obj {
      for (const e of entities(doc)) {
        if (e.enabled === true && 'config' in e) delete e.enabled;
        if (e.algorithm === 'HS256') delete e.algorithm;
      }
      return doc;
    }

    it('dump skip-defaults: service, routes, service-scoped plugins (without request-validator)', async () => {
      // request-validator is a Kong Enterprise plugin: decK's files without it.
      const input = load('009-skip-defaults/enterprise/3.4/service-scoped.yaml');
      const expected = load('009-skip-defaults/enterprise/3.4/service-scoped.expected.yaml');
      for (const d of [input, expected]) {
        const svc = (d.services as Obj[])[0];
        svc.plugins = (svc.plugins as Obj[]).filter((p) => p.name !== 'request-validator');
      }
      await sync(write('service-scoped.yaml', stringify(input)));
      const first = await dump();
      expect(first.doc).toEqual(withoutDefaults(structuredClone(expected)));
      // decK then syncs its expected file back and dumps again: the same, and nothing to write.
      const deckFile = write('service-scoped.expected.yaml', stringify(expected));
      await expectApplyWritesNothing(deckFile);
      expect((await dump()).text).toBe(first.text);
    });

    it('credentials skip-defaults 3.4+ (without mtls-auth)', async () => {
      // mtls_auth_credentials are Kong Enterprise: decK's files without them.
      const input = load('009-skip-defaults/enterprise/3.4/credentials.yaml');
      const expected = load('009-skip-defaults/enterprise/3.4/credentials.expected.yaml');
      for (const d of [input, expected]) for (const c of d.consumers as Obj[]) delete c.mtls_auth_credentials;
      await sync(write('credentials.yaml', stringify(input)));
      const first = await dump('--with-id');
      // The ids are the ones Kong gave in each run: both dumps write one on every entity.
      const ids = (doc: Obj) => {
        for (const e of entities(doc)) {
          expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
          e.id = '<id>';
        }
        return doc;
      };
      // A basic-auth password is left out: Kong returns only its hash, which applied back would
      // become the password (README: dumps leave hashed secrets out). decK writes the hash.
      for (const c of expected.consumers as Obj[]) for (const b of c.basicauth_credentials as Obj[]) delete b.password;
      expect(ids(structuredClone(first.doc))).toEqual(ids(withoutDefaults(expected)));
      // decK syncs its dump back and dumps again; kong-ctl's applies as it is.
      await expectApplyWritesNothing(write('credentials.dump.yaml', first.text));
      expect((await dump('--with-id')).text).toBe(first.text);
    });
  });
});
