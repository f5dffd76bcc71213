/**
 * decK's integration tests of `deck gateway diff` (tests/integration/diff_test.go), run against
 * `kong-ctl diff` on the simulated Kong 3.4.2, with decK's own files
 * (test/fixtures/deck-diff-dump, whose README lists each file's origin and the cases skipped).
 *
 * decK prints a different plan (its whole entity, `Summary: Created/Updated/Deleted`); what is
 * compared is the meaning: the same entities with the same operations, the same fields changed,
 * the same counts (decK's Created/Updated/Deleted are kong-ctl's add/change/destroy), and
 * kong-ctl's documented exit codes (2 on drift, as decK's `--non-zero-exit-code`; decK's test
 * helper runs without it, so decK's own exit code there is always 0).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const DIR = join(__dirname, '../../fixtures/deck-diff-dump/diff');
const F = (name: string) => join(DIR, name);

const { sim, addr, write, expectApplyWritesNothing } = simSession('kong-ctl-deck-diff-');

/** decK's `diffEnvVars`. */
const DIFF_ENV = { DECK_SVC1_HOSTNAME: 'mockbin.org', DECK_BARR: 'barbar', DECK_BAZZ: 'bazbaz', DECK_FUB: 'fubfub', DECK_FOO: 'foo_test' };
/** decK's `maskingFixEnvVars`: short values that must not mask unrelated numbers and ids. */
const SHORT_ENV = { DECK_REDIS_DB: '0', DECK_SYNC_RATE: '1', DECK_RETRIES: '5', DECK_SERVICE_HOST: 'example.com', DECK_REGEX_PRIORITY: '0', DECK_RATE_LIMIT: '100' };

type Obj = Record<string, unknown>;
interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
  masked?: boolean;
}
interface Change {
  op: 'create' | 'update' | 'delete';
  kind: string;
  key: string;
  label: string;
  id?: string;
  fields?: Obj;
  field_changes?: FieldChange[];
}
interface PlanJson {
  summary: { add: number; change: number; destroy: number };
  changes: Change[];
  drift: boolean;
}

/** decK's `sync`: the initial state, through `kong-ctl apply`. */
async function sync(file: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await runCli(['apply', '-f', file, ...addr()], { env });
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

async function diffText(file: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runCli(['diff', '-f', file, ...addr(), ...extra], { env });
}

async function diffJson(file: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; plan: PlanJson; raw: string }> {
  const r = await runCli(['diff', '-f', file, '-o', 'json', ...addr(), ...extra], { env });
  expect([0, 2], r.stderr).toContain(r.code);
  return { code: r.code, plan: JSON.parse(r.stdout) as PlanJson, raw: r.stdout };
}

/** decK's `emptyOutput` (Created 0, Updated 0, Deleted 0): exit 0 and "No changes.". */
async function expectNoDiff(file: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await diffText(file, [], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain('No changes.');
}

/** decK's `--json-output` document, as its test holds it (see the fixtures README). */
interface DeckJson {
  changes: Record<'creating' | 'updating' | 'deleting', Array<{ name: string; kind: string; body: { new: Obj; old: Obj | null } }>>;
  summary: { creating: number; updating: number; deleting: number; total: number };
}

const withoutNulls = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
  return v;
};

/** decK's `name (global)` / `svc1` label, as kong-ctl words it. */
const labelOf = (kind: string, name: string) => `${kind} ${name}`;

/**
 * The same plan as decK's JSON: counts; each creation with decK's non-null fields (its `id`
 * as the change's id; `allowedExtra`, fields Kong 3.4 added after the Kong decK's expectation
 * was written for); each update with the fields decK's old and new bodies differ in.
 */
function expectSamePlan(plan: PlanJson, deck: DeckJson, opts: { masked: boolean; allowedExtra?: string[] }): void {
  expect(plan.summary).toEqual({ add: deck.summary.creating, change: deck.summary.updating, destroy: deck.summary.deleting });
  expect(plan.drift).toBe(deck.summary.total > 0);
  for (const c of deck.changes.creating) {
    const mine = plan.changes.find((x) => x.op === 'create' && x.label === labelOf(c.kind, c.name));
    expect(mine, `${c.kind} ${c.name} created`).toBeDefined();
    const { id, ...fields } = withoutNulls(c.body.new) as Obj;
    expect(mine!.id).toBe(id);
    const got = structuredClone(mine!.fields!) as Obj;
    for (const path of opts.allowedExtra ?? []) {
      const [head, leaf] = path.split('.');
      delete (got[head] as Obj)[leaf];
    }
    expect(got).toEqual(fields);
  }
  for (const u of deck.changes.updating) {
    const mine = plan.changes.find((x) => x.op === 'update' && x.label === labelOf(u.kind, u.name));
    expect(mine, `${u.kind} ${u.name} updated`).toBeDefined();
    const changed = Object.keys({ ...u.body.old, ...u.body.new }).filter(
      (k) => JSON.stringify(withoutNulls(u.body.old?.[k] ?? null)) !== JSON.stringify(withoutNulls(u.body.new[k] ?? null)),
    );
    expect(mine!.field_changes!.map((fc) => fc.path)).toEqual(changed);
    for (const fc of mine!.field_changes!) {
      if (opts.masked) expect(fc).toMatchObject({ after: '[masked]', masked: true });
      // Sets (tags) are shown sorted (docs/plan-json.md).
      else expect(fc.after).toEqual([...(u.body.new[fc.path] as string[])].sort());
    }
  }
  expect(plan.changes.filter((c) => c.op === 'delete').map((c) => c.label)).toEqual(deck.changes.deleting.map((d) => labelOf(d.kind, d.name)));
}

const deckJson = (name: string) => JSON.parse(readFileSync(F(name), 'utf8')) as DeckJson;

describe('decK diff_test.go, against kong-ctl diff', () => {
  describe('Test_Diff_Masked_NewerThan3x: env variable are masked (002-mask)', () => {
    it('text: the service update and the plugin creation, no substituted value printed', async () => {
      await sync(F('002-mask/initial3x.yaml'), DIFF_ENV);
      // decK's --non-zero-exit-code is taken: kong-ctl's diff always exits 2 on drift.
      const r = await diffText(F('002-mask/kong3x.yaml'), ['--non-zero-exit-code'], DIFF_ENV);
      expect(r.code, r.stderr).toBe(2);
      // decK: `updating service svc1` (+tags, every value of DECK_SVC1_HOSTNAME, DECK_BAZZ and
      // DECK_BARR masked), `creating plugin rate-limiting (global)`, Created 1, Updated 1, Deleted 0.
      // kong-ctl masks the whole value holding a secret (docs/plan-json.md, Masking), where decK
      // masks each occurrence in it; `host` is not printed, being unchanged.
      expect(r.stdout).toMatch(/^~ service svc1\n {4}tags: null → \[masked\]$/m);
      expect(r.stdout).toMatch(/^\+ plugin rate-limiting \(global\)$/m);
      expect(r.stdout).toContain('Plan: 1 to add, 1 to change, 0 to destroy.');
      for (const secret of ['mockbin.org', 'bazbaz', 'barbar']) expect(r.stdout).not.toContain(secret);
    });

    it('--json-output: the same changes as decK\'s JSON, tags masked', async () => {
      await sync(F('002-mask/initial3x.yaml'), DIFF_ENV);
      const { code, plan, raw } = await diffJson(F('002-mask/kong3x.yaml'), [], DIFF_ENV);
      expect(code).toBe(2);
      // decK's expectation is for Kong 3.1–3.3; Kong 3.4's rate-limiting adds config.sync_rate.
      expectSamePlan(plan, deckJson('002-mask/expected-masked-json.json'), { masked: true, allowedExtra: ['config.sync_rate'] });
      for (const secret of ['mockbin.org', 'bazbaz', 'barbar']) expect(raw).not.toContain(secret);
    });

    it('--no-mask (decK\'s --no-mask-deck-env-vars-value) shows the substituted values', async () => {
      await sync(F('002-mask/initial3x.yaml'), DIFF_ENV);
      for (const flag of ['--no-mask', '--no-mask-deck-env-vars-value']) {
        const r = await diffText(F('002-mask/kong3x.yaml'), [flag], DIFF_ENV);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout).toContain(
          'tags: null → ["another:bazbaz","bar:barbar","baz:bazbaz","foo:foo","mockbin.org is an external host. I like mockbin.org!"]',
        );
      }
    });
  });

  describe('Test_Diff_Unmasked_NewerThan3x: env variable are unmasked (003-unmask)', () => {
    it('text, with decK\'s --no-mask-deck-env-vars-value', async () => {
      await sync(F('003-unmask/initial3x.yaml'), DIFF_ENV);
      const r = await diffText(F('003-unmask/kong3x.yaml'), ['--no-mask-deck-env-vars-value'], DIFF_ENV);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toMatch(/^~ service svc1\n {4}tags: null → \["test"\]$/m);
      expect(r.stdout).toMatch(/^\+ plugin rate-limiting \(global\)$/m);
      expect(r.stdout).toContain('Plan: 1 to add, 1 to change, 0 to destroy.');
    });

    it('--json-output: the same changes as decK\'s JSON', async () => {
      await sync(F('003-unmask/initial3x.yaml'), DIFF_ENV);
      const { code, plan } = await diffJson(F('003-unmask/kong3x.yaml'), ['--no-mask'], DIFF_ENV);
      expect(code).toBe(2);
      expectSamePlan(plan, deckJson('003-unmask/expected-unmasked-json.json'), { masked: false, allowedExtra: ['config.sync_rate'] });
    });
  });

  describe('Test_Diff_Plugin_Protocol_Order_Change (004-no-diff-plugin)', () => {
    it('syncing and then diffing same file should not show false diff', async () => {
      await sync(F('004-no-diff-plugin/initial-ip-restriction.yaml'));
      await expectNoDiff(F('004-no-diff-plugin/initial-ip-restriction.yaml'));
    });

    it('changing protocol order should not show diff', async () => {
      // The prometheus plugin is nested under the service and names it again (`service:`), as
      // decK takes it.
      await sync(F('004-no-diff-plugin/protocol-initial-order-plugins.yaml'));
      await expectNoDiff(F('004-no-diff-plugin/protocol-reordered-plugins.yaml'));
    });
  });

  it('Test_Diff_NoDiffCompressedTarget: a compressed IPv6 target (005-no-diff-target)', async () => {
    await sync(F('005-no-diff-target/kong.yaml'));
    await expectNoDiff(F('005-no-diff-target/kong.yaml'));
  });

  describe('Test_Diff_PluginConfigReorderArraySetValues (006-plugin-update)', () => {
    it('reordering plugin config values of type array should show diff', async () => {
      await sync(F('006-plugin-update/initial-request-transformer-reorder-array.yaml'));
      // decK: `updating plugin request-transformer (global)`, Updated 1.
      const { code, plan } = await diffJson(F('006-plugin-update/final-request-transformer-reorder-array.yaml'));
      expect(code).toBe(2);
      expect(plan.summary).toEqual({ add: 0, change: 1, destroy: 0 });
      expect(plan.changes).toMatchObject([
        {
          op: 'update',
          label: 'plugin request-transformer (global)',
          id: 'bc364672-3032-45e3-aac2-7eb921da8515',
          field_changes: [
            {
              path: 'config.rename.headers',
              before: ['custom-token:Authorization', 'Authorization:something-else'],
              after: ['Authorization:something-else', 'custom-token:Authorization'],
            },
          ],
        },
      ]);
    });

    it('reordering plugin config values of type set should not show diff', async () => {
      await sync(F('006-plugin-update/initial-jwt-reorder-set.yaml'));
      await expectNoDiff(F('006-plugin-update/final-jwt-reorder-set.yaml'));
    });
  });

  describe('empty arrays in plugin configs (010-empty-array-plugin-config)', () => {
    it('Test_Diff_EmptyArrayPluginConfig_NoPerpetualDiff: top-level empty array field', async () => {
      // decK syncs and diffs twice: the second cycle proves the first sync wrote nothing that
      // diffs dirty again.
      for (let i = 0; i < 2; i++) {
        await sync(F('010-empty-array-plugin-config/kong.yaml'));
        await expectNoDiff(F('010-empty-array-plugin-config/kong.yaml'));
      }
      await expectApplyWritesNothing(F('010-empty-array-plugin-config/kong.yaml'));
    });

    it('Test_Diff_EmptyArrayPluginConfig_RealChangeStillDetected: [] ↔ populated both ways', async () => {
      await sync(F('010-empty-array-plugin-config/kong.yaml'));
      const populated = F('010-empty-array-plugin-config/kong-populated.yaml');
      const toPopulated = await diffJson(populated);
      expect(toPopulated.code).toBe(2);
      expect(toPopulated.plan.changes).toMatchObject([
        { op: 'update', label: 'plugin zipkin (global)', field_changes: [{ path: 'config.static_tags', before: [], after: [{ name: 'environment', value: 'test' }] }] },
      ]);
      await sync(populated);
      await expectNoDiff(populated);

      const back = await diffJson(F('010-empty-array-plugin-config/kong.yaml'));
      expect(back.code).toBe(2);
      expect(back.plan.changes).toMatchObject([
        { op: 'update', label: 'plugin zipkin (global)', field_changes: [{ path: 'config.static_tags', before: [{ name: 'environment', value: 'test' }], after: [] }] },
      ]);
      await sync(F('010-empty-array-plugin-config/kong.yaml'));
      await expectNoDiff(F('010-empty-array-plugin-config/kong.yaml'));
    });

    it('Test_Diff_EmptyArrayPluginConfig_OmittedFieldMatchesEmptyArray', async () => {
      await sync(F('010-empty-array-plugin-config/kong.yaml'));
      await expectNoDiff(F('010-empty-array-plugin-config/kong-omitted.yaml'));
    });
  });

  it('Test_RequestTermination_Dump_Diff: a plugin created through the Admin API, dumped, diffs clean', async () => {
    // The plugin decK's test creates with go-kong, as the JSON body it sends.
    const body = readFileSync(F('request-termination/plugin.json'), 'utf8');
    const res = await fetch(`${sim().url}/plugins`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(201);
    const dumped = await runCli(['dump', '-o', '-', ...addr()]);
    expect(dumped.code, dumped.stderr).toBe(0);
    const file = write('request-termination.yaml', dumped.stdout);
    const r = await diffText(file);
    // decK: Created 0, Updated 0, Deleted 0.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No changes.');
  });

  describe('short env values (009-mask-short-values)', () => {
    it('Test_Diff_Masking_ShortValues_NoCorruption: ids are never masked', async () => {
      await sync(F('009-mask-short-values/initial.yaml'), SHORT_ENV);
      const r = await diffText(F('009-mask-short-values/kong.yaml'), [], SHORT_ENV);
      expect(r.code, r.stderr).toBe(2);
      // kong-ctl's text plan names entities, not ids; the JSON plan carries them.
      expect(r.stdout).toMatch(/^~ service test-service$/m);
      expect(r.stdout).toMatch(/^~ route test-route$/m);
      const { raw } = await diffJson(F('009-mask-short-values/kong.yaml'), [], SHORT_ENV);
      expect(raw).toContain('b35b3ec2-fa1c-4f6c-825e-c38141562c76');
      expect(raw).toContain('a1234567-89ab-cdef-0123-456789abcdef');
      expect(raw).not.toContain('[masked]3ec');
      expect(raw).not.toContain('b35b3ec[masked]');
    });

    it('Test_Diff_Masking_JSONOutput_ValidJSON and Test_Sync_Masking_ValidJSON: masked numbers are JSON strings', async () => {
      await sync(F('009-mask-short-values/initial.yaml'), SHORT_ENV);
      const { raw, plan } = await diffJson(F('009-mask-short-values/kong.yaml'), [], SHORT_ENV);
      expect(raw).toContain('"[masked]"');
      expect(raw).not.toMatch(/:\s*\[masked\][^"]/);
      expect(raw).toContain('b35b3ec2-fa1c-4f6c-825e-c38141562c76');
      // The changes themselves: service host and retries, route regex_priority, a new plugin.
      expect(plan.summary).toEqual({ add: 1, change: 2, destroy: 0 });
      expect(plan.changes.map((c) => [c.op, c.label, (c.field_changes ?? []).map((f) => f.path)])).toEqual([
        ['update', 'service test-service', ['retries', 'host']],
        ['update', 'route test-route', ['regex_priority']],
        ['create', 'plugin rate-limiting (global)', []],
      ]);
    });

    it('Test_Diff_Masking_ExactValueMatch: a value is masked only when it is the secret, not when it contains "0"', async () => {
      await sync(F('009-mask-short-values/initial.yaml'), SHORT_ENV);
      const { plan } = await diffJson(F('009-mask-short-values/kong.yaml'), [], SHORT_ENV);
      const created = plan.changes.find((c) => c.op === 'create')!;
      const config = created.fields!.config as Obj;
      // From DECK_RATE_LIMIT and DECK_REDIS_DB: masked.
      expect(config.minute).toBe('[masked]');
      expect(config.redis_database).toBe('[masked]');
      // Kong's defaults, which merely contain a "0" (decK's 60000 and 8080): shown.
      expect(config).toMatchObject({ redis_timeout: 2000, redis_port: 6379, error_code: 429, sync_rate: -1 });
      // Unmasked, the values are the numbers the variables hold, not strings.
      const { plan: open } = await diffJson(F('009-mask-short-values/kong.yaml'), ['--no-mask'], SHORT_ENV);
      const svc = open.changes.find((c) => c.label === 'service test-service')!;
      expect(svc.field_changes).toEqual([
        { path: 'retries', before: 3, after: 5 },
        { path: 'host', before: 'old-example.com', after: 'example.com' },
      ]);
    });
  });

  describe('a plugin without `enabled` (011-skip-defaults-plugin-implicit-enabled)', () => {
    it('no perpetual update of a route plugin that leaves `enabled` to its default', async () => {
      await sync(F('011-skip-defaults-plugin-implicit-enabled/kong.yaml'));
      await expectNoDiff(F('011-skip-defaults-plugin-implicit-enabled/kong.yaml'));
    });

    it('a genuine config.access change is still an update', async () => {
      await sync(F('011-skip-defaults-plugin-implicit-enabled/kong.yaml'));
      const { code, plan } = await diffJson(F('011-skip-defaults-plugin-implicit-enabled/kong-updated.yaml'));
      expect(code).toBe(2);
      expect(plan.changes).toMatchObject([
        {
          op: 'update',
          label: 'plugin post-function (route route-skip-defaults-implicit-enabled)',
          field_changes: [
            {
              path: 'config.access',
              before: ["kong.log.set_serialize_value('request.headers.api-key', 'REDACTED')\n"],
              after: ["kong.log.set_serialize_value('request.headers.api-key', 'MASKED')\n"],
            },
          ],
        },
      ]);
    });
  });
});
