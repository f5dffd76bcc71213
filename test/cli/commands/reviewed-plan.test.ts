/**
 * `apply --plan FILE`: what a pull request reviewed (`diff -o json`, saved) is what merge applies,
 * or nothing is. The plan's digest covers what Kong would see, secrets unmasked, and nothing
 * about where things are written in the files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { addr, write, path, writes, sim } = simSession('kong-ctl-reviewed-plan-');

const file = (minute: number) => `_format_version: "3.0"
services:
- name: orders
  url: http://orders:8080
  plugins:
  - name: rate-limiting
    config:
      minute: ${minute}
      header_name: \${{ env "DECK_HEADER" }}
- name: billing
  url: http://billing:8080
`;

const env = { DECK_HEADER: 'X-Tenant' };

/** `diff -o json` of `text`, saved as a pull-request job would keep it; its path and digest. */
async function reviewed(text: string, name: string, diffEnv = env): Promise<{ plan: string; digest: string }> {
  const r = await runCli(['diff', '-f', write(`${name}.yaml`, text), '-o', 'json', ...addr()], { env: diffEnv });
  expect(r.code, r.stderr).toBe(2);
  const plan = path(`${name}.plan.json`);
  writeFileSync(plan, r.stdout);
  return { plan, digest: JSON.parse(r.stdout).digest };
}

describe('apply --plan', () => {
  it('applies the reviewed plan when it is still the plan', async () => {
    const { plan, digest } = await reviewed(file(10), 'first');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The pull-request comment names the same plan.
    const md = await runCli(['diff', '-f', path('first.yaml'), '-o', 'markdown', ...addr()], { env });
    expect(md.stdout).toContain(`Plan digest \`${digest}\``);
    const r = await runCli(['apply', '-f', path('first.yaml'), '--plan', plan, ...addr()], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(sim().store.count('services')).toBe(2);
  });

  it('refuses, writing nothing, when the gateway changed since the review', async () => {
    const { plan } = await reviewed(file(10), 'stale');
    // Another pipeline got there first.
    expect((await runCli(['apply', '-f', write('other.yaml', file(99)), ...addr()], { env })).code).toBe(0);
    sim().resetStats();
    const r = await runCli(['apply', '-f', path('stale.yaml'), '--plan', plan, ...addr()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: this plan \(sha256:[0-9a-f]{64}\) is not the one in .*stale\.plan\.json \(sha256:[0-9a-f]{64}\): the files or the gateway changed since it was made; review the new plan/);
    expect(r.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
  });

  it('sees a changed secret that the masked plan hides, and ignores where things are written', async () => {
    const { plan, digest } = await reviewed(file(10), 'secret');
    const other = JSON.parse((await runCli(['diff', '-f', path('secret.yaml'), '-o', 'json', ...addr()], { env: { DECK_HEADER: 'X-Org' } })).stdout);
    expect(other.changes).toEqual(JSON.parse(readFileSync(plan, 'utf8')).changes);
    expect(other.digest).not.toBe(digest);
    const refused = await runCli(['apply', '-f', path('secret.yaml'), '--plan', plan, ...addr()], { env: { DECK_HEADER: 'X-Org' } });
    expect(refused.code).toBe(1);
    expect(writes()).toBe(0);

    // The same services in the other order: other lines, the same plan.
    const [head, orders, billing] = file(10).split(/\n(?=- name: )/);
    const reordered = write('reordered.yaml', `${head}\n${billing}\n${orders.trimEnd()}\n`);
    const again = JSON.parse((await runCli(['diff', '-f', reordered, '-o', 'json', ...addr()], { env })).stdout);
    expect(again.digest).toBe(digest);
  });

  it('refuses a --plan file that is missing or holds no plan', async () => {
    const missing = await runCli(['apply', '-f', write('f.yaml', file(10)), '--plan', path('nope.json'), ...addr()], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--plan ${path('nope.json')}: cannot read it`);
    const junk = await runCli(['apply', '-f', path('f.yaml'), '--plan', write('junk.json', '{"format_version": 1}'), ...addr()], { env });
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain('holds no plan digest: give the output of `kong-ctl diff -o json`');
    expect(writes()).toBe(0);
  });
});
