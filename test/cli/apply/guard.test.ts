import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DELETES, WIPE_THRESHOLD, checkDeleteGuard } from '../../../cli/src/apply/guard';
import type { Entity } from '../../../cli/src/model/entity';
import type { Plan } from '../../../cli/src/model/plan';
import { create, entity, remove } from './helpers';

function liveServices(n: number, prefix = 'svc'): Entity[] {
  return Array.from({ length: n }, (_, i) =>
    entity('service', { name: `${prefix}-${i}` }, {}, { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }),
  );
}

function routesOf(services: Entity[]): Entity[] {
  return services.map((s, i) =>
    entity('route', { name: `${String(s.fields.name)}-r` }, { service: s.key }, { id: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}` }),
  );
}

const deletesOf = (entities: Entity[]): Plan => ({ changes: entities.map(remove) });
const defaults = { maxDeletes: DEFAULT_MAX_DELETES, allowDeletes: false };

describe('checkDeleteGuard', () => {
  it('lets a plan with a few deletes through', () => {
    const live = liveServices(100);
    expect(checkDeleteGuard(deletesOf(live.slice(0, 3)), 100, defaults)).toBeNull();
  });

  it('refuses an empty file against a full gateway, naming the counts per kind and the flag', () => {
    const svcs = liveServices(4);
    const live = [...svcs, ...routesOf(svcs)];
    const d = checkDeleteGuard(deletesOf(live), live.length, defaults);
    expect(d).toEqual({
      severity: 'error',
      message:
        'refusing to delete every entity in scope: the plan deletes all 8 (4 services, 4 routes). ' +
        'An empty or partial file, a wrong --select-tag or the wrong --kong-addr all look like this. ' +
        'If it is intended, re-run with --allow-mass-delete.',
    });
  });

  it('lets a handful of entities be emptied without a flag', () => {
    const live = liveServices(WIPE_THRESHOLD);
    expect(checkDeleteGuard(deletesOf(live), live.length, defaults)).toBeNull();
  });

  it('counts a wipe even when the plan also creates (everything renamed without ids)', () => {
    const live = liveServices(10);
    const plan: Plan = { changes: [...live.map(remove), ...liveServices(10, 'new').map((e) => create({ ...e, id: undefined }))] };
    expect(checkDeleteGuard(plan, 10, defaults)?.message).toMatch(/^refusing to delete every entity in scope: the plan deletes all 10 \(10 services\)/);
  });

  it('refuses more deletes than --max-deletes and says which number would allow it', () => {
    const svcs = liveServices(40);
    const doomed = [...svcs, ...routesOf(svcs).slice(0, 20)];
    const d = checkDeleteGuard(deletesOf(doomed), 500, defaults);
    expect(d?.message).toBe(
      'refusing to delete 60 entities (40 services, 20 routes): more than --max-deletes 50. ' +
        'If it is intended, re-run with --max-deletes 60 or --allow-mass-delete.',
    );
  });

  it('accepts exactly --max-deletes deletes, and a raised limit', () => {
    const live = liveServices(60);
    expect(checkDeleteGuard(deletesOf(live.slice(0, 50)), 500, defaults)).toBeNull();
    expect(checkDeleteGuard(deletesOf(live), 500, { maxDeletes: 60, allowDeletes: false })).toBeNull();
  });

  it('lets everything through with --allow-mass-delete', () => {
    const live = liveServices(200);
    expect(checkDeleteGuard(deletesOf(live), 200, { maxDeletes: 50, allowDeletes: true })).toBeNull();
  });

  it('ignores creates and updates', () => {
    const plan: Plan = { changes: liveServices(100).map((e) => create(e)) };
    expect(checkDeleteGuard(plan, 0, defaults)).toBeNull();
  });
});
