/**
 * The README's main job, `kong-ctl apply -f kong/kong.yaml`, against a Postgres node whose
 * `plugins` setting names this project's plugins as kong/kong.conf does (their schemas served
 * as Kong serves a JavaScript plugin's). The example must apply, then be a no-op, and its dump
 * must re-apply as a no-op: with Kong's defaults filled into our plugins' configs and the
 * fail-closed guards in place, any phantom change would show here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_PLUGINS } from '../../../plugins/registry';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const EXAMPLE = join(__dirname, '..', '..', '..', 'kong', 'kong.yaml');
const env = { DECK_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };

const { sim, addr, path, writes, expectApplyWritesNothing } = simSession('kong-ctl-main-job-', { plugins: PROJECT_PLUGINS });

describe('kong-ctl apply -f kong/kong.yaml', () => {
  it('applies the example, then has nothing left to do', async () => {
    const r = await runCli(['apply', '-f', EXAMPLE, ...addr()], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 13 to add, 0 to change, 0 to destroy\./);
    const plugins = sim().store.all('plugins');
    expect(plugins.map((p) => p.name).sort()).toEqual(['acl', 'circuit-breaker', 'idempotency', 'jwt-claims', 'post-function', 'post-function', 'webhook-signature']);
    // Kong filled our plugins' defaults from the schemas their plugin servers gave it.
    expect(plugins.find((p) => p.name === 'idempotency')!.config).toMatchObject({ header_name: 'Idempotency-Key', required: true });
    // Records the file leaves out are filled too: Kong made them required (make_records_required).
    expect((plugins.find((p) => p.name === 'idempotency')!.config as { memory: unknown }).memory).toEqual({ max_entries: expect.any(Number), max_bytes: expect.any(Number) });
    expect(plugins.find((p) => p.name === 'jwt-claims')!.config).toMatchObject({ consumer_claim: 'azp', mark_passed: true });

    await expectApplyWritesNothing(EXAMPLE, env);
    const d = await runCli(['diff', '-f', EXAMPLE, ...addr()], { env });
    expect(d.code, d.stdout + d.stderr).toBe(0);
  });

  it('dumps what it applied, and the dump re-applies as a no-op', async () => {
    expect((await runCli(['apply', '-f', EXAMPLE, ...addr()], { env })).code).toBe(0);
    const out = path('dump.yaml');
    const r = await runCli(['dump', '--select-tag', 'kong-ctl-example', '-o', out, ...addr()]);
    expect(r.code, r.stderr).toBe(0);
    const dumped = parse(readFileSync(out, 'utf8'));
    expect(dumped._info).toEqual({ select_tags: ['kong-ctl-example'] });
    sim().resetStats();
    await expectApplyWritesNothing(out);
    expect(writes()).toBe(0);
  });

  it('validate --online and schema --online see the project plugins the node has', async () => {
    const v = await runCli(['validate', '--online', '-f', EXAMPLE, ...addr()], { env });
    expect(v.code, v.stderr).toBe(0);
    const s = await runCli(['schema', '--online', ...addr()]);
    const names: string[] = JSON.parse(s.stdout).definitions.plugin.properties.name.enum;
    expect(names).toEqual(expect.arrayContaining(PROJECT_PLUGINS.map((p) => p.Name)));
  });
});
