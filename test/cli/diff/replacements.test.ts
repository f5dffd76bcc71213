/**
 * Updates no order of writes can make (diff/replacements.ts): on a cycle of values Kong keeps
 * unique that cannot be set aside, one update becomes a delete and a create with the same id,
 * in the plan itself; a cycle a set-aside breaks, or one of a kind that cannot be deleted
 * without taking others with it, stays two updates.
 */
import { describe, expect, it } from 'vitest';
import { computePlan } from '../../../cli/src/diff/compute';
import { planCounts, type Change } from '../../../cli/src/model/plan';
import type { Entity } from '../../../cli/src/model/entity';
import { planDigest } from '../../../cli/src/output/plan-digest';
import { entity, kong342Schemas } from './helpers';

const schemas = kong342Schemas();
const [I0, I1] = ['3a0e0000-0000-4000-8000-0000000000a0', '3a0e0000-0000-4000-8000-0000000000a1'];
const SVC = { a: '5a0e0000-0000-4000-8000-0000000000a1', b: '5a0e0000-0000-4000-8000-0000000000b1' };

const services = [entity('service', { name: 'a', host: 'a.internal' }, {}, { id: SVC.a }), entity('service', { name: 'b', host: 'b.internal' }, {}, { id: SVC.b })];
const consumers = [entity('consumer', { username: 'alice' }, {}, { id: SVC.a }), entity('consumer', { username: 'bob' }, {}, { id: SVC.b })];
const upstreams = [entity('upstream', { name: 'up-a' }, {}, { id: SVC.a }), entity('upstream', { name: 'up-b' }, {}, { id: SVC.b })];

/** The plan from `live` to `desired`, both holding `parents` as they are. */
function plan(parents: Entity[], live: Entity[], desired: Entity[]) {
  const current = computePlan({ entities: [...parents, ...live] }, { entities: [] }, schemas).changes.map((c) => ({ ...c.desired!, id: c.desired!.id }));
  // Live entities as Kong holds them: the same fields, defaults filled.
  return computePlan({ entities: [...parents, ...desired] }, { entities: current }, schemas);
}

const shape = (changes: Change[]) => changes.map((c) => `${c.op} ${c.label}${c.replacement ? ` (replacement ${c.replacement.id})` : ''}`);

describe('replaceUnorderable, through computePlan', () => {
  it('two plugins of one name swapping scopes under their ids: one is deleted and created again with its id', () => {
    const cors = (id: string, svc: 'a' | 'b') => entity('plugin', { name: 'cors', config: {} }, { service: `service:${svc}` }, { id });
    const p = plan(services, [cors(I0, 'a'), cors(I1, 'b')], [cors(I1, 'a'), cors(I0, 'b')]);
    expect(planCounts(p)).toEqual({ add: 1, change: 1, destroy: 1 });
    const replaced = p.changes.filter((c) => c.replacement);
    expect(replaced.map((c) => [c.op, c.id ?? c.desired?.id])).toEqual([
      ['create', replaced[0].replacement!.id],
      ['delete', replaced[0].replacement!.id],
    ]);
    // The delete is the live one, the create goes where the file puts it.
    const [created, deleted] = replaced;
    expect(deleted.current!.refs.service).not.toBe(created.desired!.refs.service);
    expect(created.fieldChanges).toContainEqual({ path: 'name', before: null, after: 'cors' });
    expect(created.replacement!.reason).toMatch(/^the update of plugin cors \(service [ab]\) \(id 3a0e.*\) takes the place of a cors plugin at that scope \(one per scope\) from it, in a cycle no order of updates can make$/);
    // The other one moves by an update, as before.
    expect(p.changes.filter((c) => c.op === 'update').map((c) => c.id)).toEqual([[I0, I1].find((i) => i !== created.desired!.id)]);
  });

  it('the same for targets swapping upstreams, ACL groups swapping consumers and SNIs swapping names', () => {
    const target = (id: string, up: string) => entity('target', { target: '10.0.0.1:80' }, { upstream: `upstream:${up}` }, { id });
    const acl = (id: string, c: string) => entity('acl', { group: 'gold' }, { consumer: `consumer:${c}` }, { id });
    const cert = entity('certificate', { cert: 'c', key: 'k' }, {}, { id: '0b3c4c6e-1f0a-4d8e-9a51-5a2c1e7f0001' });
    const sni = (id: string, name: string) => entity('sni', { name }, { certificate: cert.key }, { id });
    for (const [parents, live, desired] of [
      [upstreams, [target(I0, 'up-a'), target(I1, 'up-b')], [target(I1, 'up-a'), target(I0, 'up-b')]],
      [consumers, [acl(I0, 'alice'), acl(I1, 'bob')], [acl(I1, 'alice'), acl(I0, 'bob')]],
      [[cert], [sni(I0, 'a.example.com'), sni(I1, 'b.example.com')], [sni(I1, 'a.example.com'), sni(I0, 'b.example.com')]],
    ] as Array<[Entity[], Entity[], Entity[]]>) {
      const p = plan(parents, live, desired);
      expect(planCounts(p), shape(p.changes).join('\n')).toEqual({ add: 1, change: 1, destroy: 1 });
      expect(p.changes.filter((c) => c.replacement).map((c) => c.op)).toEqual(['create', 'delete']);
    }
  });

  it('which one is replaced depends on the plan, not on the order the files list things', () => {
    const target = (id: string, up: string) => entity('target', { target: '10.0.0.1:80' }, { upstream: `upstream:${up}` }, { id });
    const [live, desired] = [[target(I0, 'up-a'), target(I1, 'up-b')], [target(I1, 'up-a'), target(I0, 'up-b')]];
    const one = plan(upstreams, live, desired);
    const other = plan([...upstreams].reverse(), [...live].reverse(), [...desired].reverse());
    expect(planDigest(other)).toBe(planDigest(one));
    expect(shape(other.changes)).toEqual(shape(one.changes));
  });

  it('a cycle a set-aside breaks stays two updates: two services swapping names', () => {
    const svc = (id: string, name: string) => entity('service', { name, host: `${name}.internal` }, {}, { id });
    const p = plan([], [svc(I0, 'one'), svc(I1, 'two')], [svc(I0, 'two'), svc(I1, 'one')]);
    expect(shape(p.changes)).toEqual(['update service one', 'update service two']);
  });

  it('a cycle of upstream names stays two updates: a name is set aside, and deleting an upstream would take its targets with it', () => {
    const up = (id: string, name: string) => entity('upstream', { name }, {}, { id });
    const p = plan([], [up(I0, 'up-a'), up(I1, 'up-b')], [up(I0, 'up-b'), up(I1, 'up-a')]);
    expect(shape(p.changes)).toEqual(['update upstream up-a', 'update upstream up-b']);
  });

  it('moves without a cycle stay updates: a plugin moving to a scope another plugin leaves', () => {
    const cors = (id: string, svc: 'a' | 'b') => entity('plugin', { name: 'cors', config: {} }, { service: `service:${svc}` }, { id });
    const p = plan(services, [cors(I0, 'a')], [cors(I0, 'b')]);
    expect(shape(p.changes)).toEqual(['update plugin cors (service b)']);
    const chain = plan(services, [cors(I0, 'a'), cors(I1, 'b')], [cors(I0, 'b')]);
    expect(shape(chain.changes)).toEqual(['update plugin cors (service b)', 'delete plugin cors (service b)']);
  });
});
