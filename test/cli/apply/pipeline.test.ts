/**
 * The whole pipeline against the loopback Admin API simulator (bench/ctl/simulator.ts):
 * loadDesired → fetchCurrent → computePlan → applyPlan, then again to prove convergence: after
 * an apply, the diff is empty and a second apply writes nothing — also after a partial failure
 * once the cause is removed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../bench/ctl/simulator';
import type { Simulator } from '../../../bench/ctl/simulator';
import { applyPlan } from '../../../cli/src/apply/execute';
import type { ApplyReport } from '../../../cli/src/apply/types';
import { fetchCurrent, fetchSchemas } from '../../../cli/src/current/fetch';
import { loadDesired } from '../../../cli/src/desired/load';
import { computePlan } from '../../../cli/src/diff/compute';
import type { KongAdminClient } from '../../../cli/src/kong/client';
import { KINDS } from '../../../cli/src/model/entity';
import type { Plan } from '../../../cli/src/model/plan';
import { client } from './helpers';

const FILE_V1 = `_format_version: "3.0"
services:
- name: orders
  url: http://orders.internal:8080/v1
  routes:
  - name: orders-api
    paths: [/orders]
    methods: [GET, POST]
    plugins:
    - name: cors
      config:
        origins: ["https://a.example"]
  plugins:
  - name: key-auth
- name: billing
  host: billing.internal
  routes:
  - name: billing-api
    paths: [/billing]
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
  acls:
  - group: admins
- username: bob
  custom_id: cust-7
upstreams:
- name: orders-up
  targets:
  - target: 10.0.0.1
  - target: "[::1]:8080"
plugins:
- name: rate-limiting
  config:
    minute: 100
    policy: local
`;

// Billing renamed without id (its route moves), retries and a path changed, the acl and a
// target dropped, bob's custom_id handed to a new consumer carol.
const FILE_V2 = FILE_V1.replace('- name: billing\n', '- name: billing-v2\n')
  .replace('url: http://orders.internal:8080/v1', 'url: http://orders.internal:8080/v1\n  retries: 2')
  .replace('paths: [/billing]', 'paths: [/billing, /invoices]')
  .replace('  acls:\n  - group: admins\n', '')
  .replace('  - target: "[::1]:8080"\n', '')
  .replace('  custom_id: cust-7\n', '- username: carol\n  custom_id: cust-7\n');

let sim: Simulator;
let c: KongAdminClient;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 1 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  c = client(sim.url);
  dir = mkdtempSync(join(tmpdir(), 'kong-ctl-apply-'));
  sim.store.clear();
  sim.resetStats();
});
afterEach(() => {
  c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(text: string, selectTags: string[]): Promise<{ plan: Plan; currentIds: Map<string, string> }> {
  const file = join(dir, 'kong.yaml');
  writeFileSync(file, text);
  const desired = await loadDesired({ files: [file], selectTags, env: {} });
  expect(desired.diagnostics.filter((d) => d.severity !== 'warning')).toEqual([]);
  const { state: current } = await fetchCurrent(c, { selectTags: desired.selectTags });
  const plugins = [...desired.state.entities, ...current.entities].filter((e) => e.kind === 'plugin').map((e) => String(e.fields.name));
  const schemas = await fetchSchemas(c, [...KINDS], plugins);
  return {
    plan: computePlan(desired.state, current, schemas, { selectTags: desired.selectTags }),
    currentIds: new Map(current.entities.filter((e) => e.id).map((e) => [e.key, e.id!])),
  };
}

async function apply(text: string, selectTags: string[] = []): Promise<{ plan: Plan; report: ApplyReport }> {
  const p = await plan(text, selectTags);
  const report = await applyPlan(p.plan, c, { parallelism: 10, dryRun: false, currentIds: p.currentIds, selectTags });
  return { plan: p.plan, report };
}

const writesSeen = () => ['POST', 'PUT', 'PATCH', 'DELETE'].reduce((n, m) => n + (sim.stats.byMethod[m] ?? 0), 0);

describe('full pipeline against the simulator', () => {
  it('creates everything, then finds nothing to do and writes nothing', async () => {
    const first = await apply(FILE_V1, ['team-a']);
    expect(first.report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(first.plan.changes.every((ch) => ch.op === 'create')).toBe(true);
    expect(first.report.writes).toBe(first.plan.changes.length);
    expect(writesSeen()).toBe(first.plan.changes.length);
    expect(sim.store.count('targets')).toBe(2);

    sim.resetStats();
    const second = await apply(FILE_V1, ['team-a']);
    expect(second.plan.changes).toEqual([]);
    expect(second.report.writes).toBe(0);
    expect(writesSeen()).toBe(0);
  });

  it('applies renames, moves and removals with exactly one write per change, without a 409, and converges', async () => {
    await apply(FILE_V1);
    sim.resetStats();
    const second = await apply(FILE_V2);
    expect(second.report.results.filter((r) => r.status !== 'done').map((r) => `${r.change.label}: ${r.error}`)).toEqual([]);
    expect(second.plan.changes.length).toBeGreaterThan(0);
    expect(writesSeen()).toBe(second.plan.changes.length);
    expect(sim.store.all('services').map((s) => s.name).sort()).toEqual(['billing-v2', 'orders']);
    expect(sim.store.all('consumers').find((x) => x.username === 'carol')?.custom_id).toBe('cust-7');

    sim.resetStats();
    const third = await apply(FILE_V2);
    expect(third.plan.changes).toEqual([]);
    expect(writesSeen()).toBe(0);
  });

  it('after a partial failure, converges once the cause is gone', async () => {
    // An out-of-scope consumer (no team-a tag) already holds the username alice.
    sim.store.upsert('consumers', { username: 'alice' });
    const first = await apply(FILE_V1, ['team-a']);
    const byLabel = Object.fromEntries(first.report.results.map((r) => [r.change.label, r]));
    expect(byLabel['consumer alice']).toMatchObject({ status: 'failed', httpStatus: 409, fieldErrors: ['username: alice'] });
    expect(byLabel['acl admins (consumer alice)']).toMatchObject({ status: 'not_attempted', blockedBy: 'create consumer alice' });
    expect(byLabel['service orders'].status).toBe('done');
    expect(first.report.results.filter((r) => r.status === 'done').length).toBe(first.plan.changes.length - 3);

    // Fix the state, re-run: only what is missing is written.
    sim.store.delete('consumers', 'alice');
    sim.resetStats();
    const second = await apply(FILE_V1, ['team-a']);
    expect(second.plan.changes.map((ch) => `${ch.op} ${ch.kind}`).sort()).toEqual(['create acl', 'create consumer', 'create keyauth_credential']);
    expect(second.report.results.every((r) => r.status === 'done')).toBe(true);
    expect(writesSeen()).toBe(3);

    sim.resetStats();
    const third = await apply(FILE_V1, ['team-a']);
    expect(third.plan.changes).toEqual([]);
    expect(writesSeen()).toBe(0);
  });
});
