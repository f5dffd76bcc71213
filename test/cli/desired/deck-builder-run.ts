/**
 * How the ports of decK's state builder tests (go-database-reconciler pkg/file/builder_test.go;
 * test/fixtures/deck-builder/README.md) look at kong-ctl: what loading a file gives (entities
 * with their keys, the fields the file set and their references as keys), the problems offline
 * validation finds, and, for the cases about ids, the state the Admin API simulator holds after
 * `kong-ctl apply`, projected onto the fields decK's expected raw state names.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Entity } from '../../../cli/src/model/entity';
import { loadDesired } from '../../../cli/src/desired/load';
import type { DesiredResult } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { runCli, type CliRun } from '../commands/run-cli';
import type { SimSession } from '../commands/sim-session';

type Obj = Record<string, unknown>;

const ROOT = join(__dirname, '../../fixtures/deck-builder');
export const builderFile = (p: string) => join(ROOT, p);

/** A generated id: decK's come from a seeded generator, kong-ctl's from apply (a fresh UUID). */
export const ANY_ID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** An entity as decK's raw state shows it: the fields the file set, references as keys (only those set), the id the file gave. */
export interface EntityView {
  key: string;
  fields: Obj;
  refs?: Record<string, string>;
  id?: string;
}

export function view(e: Entity): EntityView {
  const v: EntityView = { key: e.key, fields: e.fields };
  const refs = Object.fromEntries(Object.entries(e.refs).filter((r): r is [string, string] => r[1] !== null));
  if (Object.keys(refs).length) v.refs = refs;
  if (e.id) v.id = e.id;
  return v;
}

export interface Loaded {
  result: DesiredResult;
  entities: EntityView[];
  /** Offline validation's errors, as `kong-ctl validate` finds them: `path: message` (line and column dropped). */
  problems: string[];
  /** Its warnings, the same way. */
  warnings: string[];
}

/** `kong-ctl validate`'s view of builder fixtures, without a node. */
export async function loaded(...files: string[]): Promise<Loaded> {
  const result = await loadDesired({ files: files.map(builderFile), env: {} });
  const all = validateDesired(result);
  const brief = (d: (typeof all)[number]) => `${d.source?.path ?? ''}: ${d.message}`;
  const problems = all.filter((d) => d.severity !== 'warning').map(brief);
  const warnings = all.filter((d) => d.severity === 'warning').map(brief);
  return { result, entities: result.state.entities.map(view), problems, warnings };
}

/** `actual` reduced to the keys `shape` names, records deeply: decK's expected states name only the fields the builder sets. */
export function project(actual: unknown, shape: unknown): unknown {
  const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
  if (!isRecord(shape) || !isRecord(actual)) return actual;
  return Object.fromEntries(Object.keys(shape).map((k) => [k, project(actual[k], shape[k])]));
}

/** The builder cases run against the simulator: a live state set up first, then the case's file applied. */
export function builderLive(s: SimSession) {
  const apply = (file: string, flags: string[]) => runCli(['apply', '-f', builderFile(file), ...flags, ...s.addr()]);
  return {
    /** decK's `currentState` for a case: an `existing/*.yaml` file applied to the empty simulator. */
    async existing(file: string): Promise<void> {
      const r = await apply(`existing/${file}`, []);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    },
    async apply(file: string, ...flags: string[]): Promise<CliRun> {
      const r = await apply(file, flags);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r;
    },
    /**
     * The table holds exactly these entities, each projected onto the fields decK's expected
     * raw state names (in any order: decK's builder keeps file order, Kong lists by id).
     */
    expectTable(table: string, expected: Obj[]): void {
      const rows = s.sim().store.all(table);
      expect(rows, `${table}: ${JSON.stringify(rows)}`).toHaveLength(expected.length);
      const unmatched = [...rows];
      for (const want of expected) {
        const i = unmatched.findIndex((r) => {
          try {
            expect(project(r, want)).toEqual(want);
            return true;
          } catch {
            return false;
          }
        });
        expect(i, `${table}: no row like ${JSON.stringify(want)} among ${JSON.stringify(unmatched)}`).toBeGreaterThanOrEqual(0);
        unmatched.splice(i, 1);
      }
    },
  };
}
