/**
 * dump → load → diff against the same gateway must plan nothing. Uses the real loader
 * (desired/load.ts) and differ (diff/compute.ts) on the recorded Kong 3.4.2 lists.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCurrentState, type RawKongState } from '../../../cli/src/current/fetch';
import { loadDesired } from '../../../cli/src/desired/load';
import { computePlan } from '../../../cli/src/diff/compute';
import { renderDump } from '../../../cli/src/dump/dump';
import type { State } from '../../../cli/src/model/entity';
import type { Schemas } from '../../../cli/src/model/schema';
import { entitySchemas, listData, pluginSchemas } from '../kong/fixtures';
import { recordedLists } from '../support/recorded-lists';

const schemas: Schemas = { entities: entitySchemas(), plugins: pluginSchemas() };
const dir = mkdtempSync(join(tmpdir(), 'kong-ctl-roundtrip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

/** The recorded gateway, plus the certificate, CA certificate and SNI the recording lacks. */
function recordedRaw(): RawKongState {
  return {
    certificate: [{ id: '5f1c9a3e-0000-4000-8000-000000000001', cert: CERT, key: 'KEY', cert_alt: null, key_alt: null, tags: ['team-a'], created_at: 1 }],
    ca_certificate: [{ id: '5f1c9a3e-0000-4000-8000-000000000002', cert: CERT, cert_digest: 'd1', tags: ['team-a'], created_at: 1 }],
    sni: [{ id: '5f1c9a3e-0000-4000-8000-000000000003', name: 'api.example.com', certificate: { id: '5f1c9a3e-0000-4000-8000-000000000001' }, tags: ['team-a'], created_at: 1, updated_at: 1 }],
    ...recordedLists(),
  };
}

/** Entities referred to without a name: an unnamed service, a consumer known by custom_id only. */
function unnamedRaw(): RawKongState {
  const rl = listData('107').find((p) => p.name === 'rate-limiting' && p.consumer === null)!;
  return {
    service: [{ ...listData('103')[0], id: '5f1c9a3e-0000-4000-8000-000000000010', name: null }],
    consumer: [{ id: '5f1c9a3e-0000-4000-8000-000000000011', username: null, custom_id: 'crm-42', tags: null, created_at: 1, updated_at: 1 }],
    plugin: [
      { ...rl, id: '5f1c9a3e-0000-4000-8000-000000000012', service: { id: '5f1c9a3e-0000-4000-8000-000000000010' }, consumer: { id: '5f1c9a3e-0000-4000-8000-000000000011' } },
    ],
  };
}

function onlyTagged(raw: RawKongState, tag: string): RawKongState {
  return Object.fromEntries(Object.entries(raw).map(([k, l]) => [k, (l ?? []).filter((o) => ((o.tags as string[] | null) ?? []).includes(tag))]));
}

async function planAfterLoading(text: string, current: State, name: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const desired = await loadDesired({ files: [file], env: {} });
  expect(desired.diagnostics).toEqual([]);
  return computePlan(desired.state, current, schemas, { selectTags: desired.selectTags });
}

describe('dump round-trips through load and diff', () => {
  const cases = [
    { name: 'defaults-stripped', raw: recordedRaw(), opts: { withDefaults: false, selectTags: [] as string[] } },
    { name: 'with-defaults', raw: recordedRaw(), opts: { withDefaults: true, selectTags: [] as string[] } },
    { name: 'select-tag', raw: onlyTagged(recordedRaw(), 'team-a'), opts: { withDefaults: false, selectTags: ['team-a'] } },
    { name: 'unnamed', raw: unnamedRaw(), opts: { withDefaults: false, selectTags: [] as string[] } },
  ];

  it.each(cases)('$name: an unchanged gateway plans nothing', async ({ name, raw, opts }) => {
    const current = buildCurrentState(raw);
    const plan = await planAfterLoading(renderDump(current, schemas, opts), current, name);
    expect(plan.changes.map((c) => `${c.op} ${c.key}`)).toEqual([]);
  });

  it('sees a change made in the dumped file (the check is not vacuous)', async () => {
    const current = buildCurrentState(recordedRaw());
    const text = renderDump(current, schemas, { withDefaults: false, selectTags: [] });
    expect(text).toContain('  retries: 3\n');
    const plan = await planAfterLoading(text.replace('  retries: 3\n', '  retries: 4\n'), current, 'edited');
    expect(plan.changes.map((c) => `${c.op} ${c.key}`)).toEqual(['update service:billing']);
  });
});
