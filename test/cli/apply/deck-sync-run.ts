/**
 * The steps of decK's sync tests, run through kong-ctl's CLI against the simulator: `sync(file)`
 * is `kong-ctl apply -f file`, decK's `reset(t)` is `kong-ctl reset --force`. Every sync must
 * leave a gateway that the same file then finds unchanged: the idempotence decK's tests rely on.
 */
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliRun } from '../commands/run-cli';
import type { SimSession } from '../commands/sim-session';

export const fixture = (p: string) => join(__dirname, '../../fixtures/deck-sync', p);

export function deckSync(s: SimSession) {
  const apply = (file: string, flags: string[]) => runCli(['apply', '-f', file, ...flags, ...s.addr()]);
  return {
    /** `sync(file, flags…)` that decK requires to succeed. */
    async sync(file: string, ...flags: string[]): Promise<CliRun> {
      const r = await apply(file, flags);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r;
    },
    /** A sync decK requires to fail: kong-ctl must refuse too, before writing anything. */
    async syncRefused(file: string, ...flags: string[]): Promise<CliRun> {
      s.sim().resetStats();
      const r = await apply(file, flags);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(s.writePaths()).toEqual([]);
      return r;
    },
    /** The same file again: "No changes." and not one write. */
    async expectIdempotent(file: string, ...flags: string[]): Promise<void> {
      s.sim().resetStats();
      const r = await apply(file, flags);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('No changes.');
      expect(s.writePaths()).toEqual([]);
    },
    /** decK's `reset(t)`. */
    async reset(): Promise<void> {
      const r = await runCli(['reset', '--force', ...s.addr()]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    },
    /**
     * A Kong 2.x decK file (no `_format_version`, or "1.1") as kong-ctl applies it: converted by
     * `kong-ctl convert` first. decK's `kong3x.yaml` twins of these files are not stored.
     */
    async converted(file: string): Promise<string> {
      const out = s.path(`converted-${basename(file.replace(/\/kong\.yaml$/, ''))}.yaml`);
      const r = await runCli(['convert', '-f', file, '-o', out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return out;
    },
  };
}
