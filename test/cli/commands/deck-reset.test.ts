/**
 * decK's integration test of `deck gateway reset` (tests/integration/reset_test.go), run against
 * `kong-ctl reset --force` on the simulated Kong 3.4.2 with decK's own file, and decK's reset
 * scopes (`--select-tag`, `--skip-consumers`) on decK's dump test data: which entities go, and
 * what stays (test/fixtures/deck-diff-dump, whose README lists each file's origin).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const DIR = join(__dirname, '../../fixtures/deck-diff-dump');
const F = (name: string) => join(DIR, name);

const { sim, addr, write } = simSession('kong-ctl-deck-reset-');

type Obj = Record<string, unknown>;

async function sync(file: string, ...flags: string[]): Promise<void> {
  const r = await runCli(['apply', '-f', file, ...flags, ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

async function reset(...flags: string[]): Promise<string> {
  const r = await runCli(['reset', '--force', ...flags, ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

/** What the gateway holds, table by table (only the tables holding something). */
function state(): Record<string, Obj[]> {
  const out: Record<string, Obj[]> = {};
  for (const t of sim().store.tables()) if (sim().store.count(t)) out[t] = sim().store.all(t);
  return out;
}

const names = (rows: Obj[] | undefined, field = 'name') => (rows ?? []).map((r) => r[field]).sort();

describe('decK reset_test.go, against kong-ctl reset', () => {
  it('Test_Reset_SkipCACert_3x: reset with --skip-ca-certificates should ignore CA certs', async () => {
    await sync(F('reset/001-skip-ca-cert/kong3x.yaml'));
    await reset('--skip-ca-certificates');
    // decK's expected state: the CA certificate, and nothing else.
    const left = state();
    expect(Object.keys(left)).toEqual(['ca_certificates']);
    expect(left.ca_certificates).toHaveLength(1);
    const file = parse(readFileSync(F('reset/001-skip-ca-cert/kong3x.yaml'), 'utf8')) as Obj;
    const ca = (file.ca_certificates as Obj[])[0];
    expect(left.ca_certificates[0]).toMatchObject({ cert: ca.cert, cert_digest: '34e0f1f3d83faefcc8514b6295bc822eab1110dc120140ddf342c017baee8c0f' });
  });

  it('reset without --skip-ca-certificates deletes the CA certificate too', async () => {
    await sync(F('reset/001-skip-ca-cert/kong3x.yaml'));
    await reset();
    expect(state()).toEqual({});
  });

  it('--select-tag: only the entities carrying every select tag go (dump/001-entities-with-tags)', async () => {
    // decK's tagged gateway, and beside it a team's service the select tags do not cover.
    await sync(F('dump/001-entities-with-tags/kong.yaml'));
    const other = parse(readFileSync(F('dump/009-skip-defaults/enterprise/3.4/service-scoped.yaml'), 'utf8')) as Obj;
    const svc = (other.services as Obj[])[0];
    svc.plugins = (svc.plugins as Obj[]).filter((p) => p.name !== 'request-validator');
    // Its route is named r1 too, as one of decK's: route names are unique in Kong.
    (svc.routes as Obj[])[0].name = 'team-r1';
    await sync(write('team.yaml', stringify(other)), '--select-tag', 'tag2');
    const out = await reset('--select-tag', 'managed-by-deck', '--select-tag', 'org-unit-42');
    // All 20 entities of decK's file carry both tags: certificate, 3 SNIs, consumer and its 4
    // credentials, prometheus, 3 services and their routes, the upstream and its 3 targets.
    expect(out).toMatch(/Plan: 0 to add, 0 to change, 20 to destroy\./);
    const left = state();
    expect(Object.keys(left).sort()).toEqual(['plugins', 'routes', 'services']);
    expect(names(left.services)).toEqual(['service-1']);
    expect(names(left.routes)).toEqual(['team-r1']);
    expect(names(left.plugins)).toEqual(['acl']);
  });

  it('--skip-consumers: consumers stay (dump/002-skip-consumers, without its consumer group)', async () => {
    const doc = parse(readFileSync(F('dump/002-skip-consumers/kong34.yaml'), 'utf8')) as Obj;
    delete doc.consumer_groups;
    for (const c of doc.consumers as Obj[]) delete c.groups;
    await sync(write('kong34-oss.yaml', stringify(doc)));
    const out = await reset('--skip-consumers');
    expect(out).toMatch(/Plan: 0 to add, 0 to change, 1 to destroy\./);
    const left = state();
    expect(Object.keys(left)).toEqual(['consumers']);
    expect(names(left.consumers, 'username')).toEqual(['foo']);
  });
});
