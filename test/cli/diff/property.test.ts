import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePlan } from '../../../cli/src/diff/compute';
import type { State } from '../../../cli/src/model/entity';
import { applyPlanToState } from './apply-plan';
import { stateArb } from './arbitraries';
import { kong342Schemas } from './helpers';

const schemas = kong342Schemas();

describe('computePlan properties (Kong 3.4.2 schemas)', () => {
  it('a state compared with itself has no changes', () => {
    fc.assert(
      fc.property(stateArb({ ids: 'all', fileShapes: false }), (x) => {
        expect(computePlan(x, x, schemas).changes).toEqual([]);
      }),
    );
  });

  it('a state without ids compared with itself as live state has no changes', () => {
    fc.assert(
      fc.property(stateArb({ ids: 'all', fileShapes: false }), (x) => {
        const file: State = { entities: x.entities.map(({ id: _id, ...e }) => e) };
        expect(computePlan(file, x, schemas).changes).toEqual([]);
      }),
    );
  });

  it('applying plan(current, desired) to current yields desired', () => {
    fc.assert(
      fc.property(stateArb({ ids: 'all', fileShapes: false }), stateArb({ ids: 'some', fileShapes: true }), (current, desired) => {
        const plan = computePlan(desired, current, schemas);
        const applied = applyPlanToState(current, plan);
        expect(computePlan(desired, applied, schemas).changes).toEqual([]);
        expect(applied.entities.map((e) => e.key).sort()).toEqual(desired.entities.map((e) => e.key).sort());
      }),
      { numRuns: 1000 },
    );
  });

  it('the plan is independent of the order entities come in', () => {
    fc.assert(
      fc.property(stateArb({ ids: 'all', fileShapes: false }), stateArb({ ids: 'some', fileShapes: true }), (current, desired) => {
        const reversed = computePlan({ entities: [...desired.entities].reverse() }, { entities: [...current.entities].reverse() }, schemas);
        expect(reversed).toEqual(computePlan(desired, current, schemas));
      }),
    );
  });
});

/** The same state with every set-typed field the generators produce listed backwards. */
function withSetsReversed(x: State): State {
  const rev = (v: unknown) => (Array.isArray(v) ? [...v].reverse() : v);
  return {
    entities: x.entities.map((e) => {
      const f: Record<string, unknown> = { ...e.fields, tags: rev(e.fields.tags), methods: rev(e.fields.methods), protocols: rev(e.fields.protocols) };
      for (const k of ['tags', 'methods', 'protocols']) if (e.fields[k] === undefined) delete f[k];
      if (e.fields.config && typeof e.fields.config === 'object') {
        const c = { ...(e.fields.config as Record<string, unknown>) };
        for (const k of ['claims_to_verify', 'header_names']) if (k in c) c[k] = rev(c[k]);
        f.config = c;
      }
      return { ...e, fields: f };
    }),
  };
}

describe('computePlan properties: sets', () => {
  it('reordering every set-typed field changes nothing', () => {
    fc.assert(
      fc.property(stateArb({ ids: 'all', fileShapes: false }), (x) => {
        expect(computePlan(withSetsReversed(x), x, schemas).changes).toEqual([]);
      }),
    );
  });
});
