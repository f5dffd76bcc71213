/**
 * What a --no-deletes plan cannot do (apply/no-deletes.ts), on plans built by hand: each refusal
 * has its code, its file:line and a message naming both entities; what Kong keeps unique only
 * within a parent is compared by the parent's Kong id, never by the key a file names it by.
 */
import { describe, expect, it } from 'vitest';
import { noDeletesConflicts } from '../../../cli/src/apply/no-deletes';
import { create, entity, idsMap, remove, src, update } from './helpers';

const ALICE_OLD = entity('consumer', { username: 'alice' }, {}, { id: '8a0e0000-0000-4000-8000-0000000000a1' });
const UP = entity('upstream', { name: 'up' }, {}, { id: '9a0e0000-0000-4000-8000-0000000000c1' });
const ORDERS = entity('service', { name: 'orders' }, {}, { id: '9a0e0000-0000-4000-8000-0000000000d1' });
/** The ids apply would be given for a gateway holding these live entities. */
const live = (...entities: ReturnType<typeof entity>[]) => idsMap([ALICE_OLD, UP, ORDERS, ...entities]);

describe('noDeletesConflicts', () => {
  it('is empty when the full plan deletes nothing, or nothing it deletes is needed', () => {
    expect(noDeletesConflicts({ changes: [create(entity('service', { name: 'a' }, {}, { source: src(3, 'services[0]') }))] }, live())).toEqual([]);
    expect(noDeletesConflicts({ changes: [remove(ALICE_OLD), create(entity('consumer', { username: 'bob' }, {}, { source: src(3, 'consumers[0]') }))] }, live())).toEqual([]);
  });

  it('refuses a write that takes a unique value a kept entity holds, at its file:line', () => {
    const bob = entity('consumer', { username: 'bob', custom_id: 'c-1' }, {}, { id: '8a0e0000-0000-4000-8000-0000000000b1' });
    const renamed = entity('consumer', { username: 'alice', custom_id: 'c-1' }, {}, { id: bob.id, source: src(4, 'consumers[0]', 3) });
    const [d] = noDeletesConflicts({ changes: [remove(ALICE_OLD), update(bob, renamed, ['username'])] }, live(bob));
    expect(d).toEqual({
      code: 'E_NO_DELETES_CONFLICT',
      source: src(4, 'consumers[0]', 3),
      message: expect.stringMatching(/^update consumer alice would take username "alice", which the live consumer alice .*holds and --no-deletes keeps: Kong would refuse it \(409\)\. Apply without --no-deletes/),
    });
  });

  it('refuses a create that would overwrite a kept entity by its id', () => {
    const id = '4a0e0000-0000-4000-8000-00000000000a';
    const kept = entity('keyauth_credential', { key: 'k-old' }, { consumer: 'consumer:alice' }, { id });
    const again = entity('keyauth_credential', { key: 'k-new' }, { consumer: 'consumer:carol' }, { id, source: src(9, 'consumers[1].keyauth_credentials[0]') });
    const found = noDeletesConflicts({ changes: [remove(kept), create(again)] }, live(kept));
    expect(found).toHaveLength(1);
    expect(found[0].code).toBe('E_NO_DELETES_CONFLICT');
    expect(found[0].message).toContain(`would overwrite the live key-auth credential of alice #4a0e0000 (id ${id}), which --no-deletes keeps`);
  });

  it('never shows a sensitive value it compares', () => {
    const kept = entity('keyauth_credential', { key: 'k-secret' }, { consumer: 'consumer:alice' }, { id: '4a0e0000-0000-4000-8000-00000000000a' });
    const other = entity('keyauth_credential', { key: 'k-secret' }, { consumer: 'consumer:bob' }, { source: src(9, 'consumers[1].keyauth_credentials[0]') });
    const [d] = noDeletesConflicts({ changes: [remove(kept), create(other)] }, live(kept));
    expect(d.message).toContain('would take its key ([masked])');
    expect(d.message).not.toContain('k-secret');
  });

  it('refuses a value unique within a parent when the parent is the same live entity', () => {
    // The file gives the target, the ACL group and the global plugin new ids: the full plan
    // replaces them (delete, then create), and --no-deletes keeps the old ones where they hold it.
    const kept = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { id: '1a0e0000-0000-4000-8000-00000000000a' });
    const again = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { id: '1a0e0000-0000-4000-8000-00000000000b', source: src(7, 'upstreams[0].targets[0]') });
    const acl = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { id: '2a0e0000-0000-4000-8000-00000000000a' });
    const acl2 = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { id: '2a0e0000-0000-4000-8000-00000000000b', source: src(8, 'consumers[0].acls[0]') });
    const cors = entity('plugin', { name: 'cors' }, {}, { id: '3a0e0000-0000-4000-8000-00000000000a' });
    const cors2 = entity('plugin', { name: 'cors' }, {}, { id: '3a0e0000-0000-4000-8000-00000000000b', source: src(2, 'plugins[0]') });
    const found = noDeletesConflicts({ changes: [remove(kept), create(again), remove(acl), create(acl2), remove(cors), create(cors2)] }, live(kept, acl, cors));
    expect(found.map((d) => [d.source?.line, d.message.split('. Apply')[0]])).toEqual([
      [7, 'create target 10.0.0.1:80 (upstream up) would take target "10.0.0.1:80" in the same upstream, which the live target 10.0.0.1:80 (upstream up) holds and --no-deletes keeps: Kong would rewrite that target instead of creating one'],
      [8, 'create acl gold (consumer alice) would take group "gold" of the same consumer, which the live acl gold (consumer alice) holds and --no-deletes keeps: Kong would refuse it (409)'],
      [2, 'create plugin cors (global) would take the place of a cors plugin at that scope (one per scope), which the live plugin cors (global) holds and --no-deletes keeps: Kong would refuse it (409)'],
    ]);
  });

  it('refuses a kid taken again in the same key set, or among the keys of no set', () => {
    const SET = entity('key_set', { name: 'signing' }, {}, { id: '9a0e0000-0000-4000-8000-0000000000e1' });
    const inSet = entity('key', { kid: 'k1' }, { set: SET.key }, { id: '7b0e0000-0000-4000-8000-00000000000a' });
    const again = entity('key', { kid: 'k1' }, { set: SET.key }, { id: '7b0e0000-0000-4000-8000-00000000000b', source: src(6, 'key_sets[0].keys[0]') });
    const loose = entity('key', { kid: 'k2' }, { set: null }, { id: '7b0e0000-0000-4000-8000-00000000000c' });
    const looseAgain = entity('key', { kid: 'k2' }, { set: null }, { id: '7b0e0000-0000-4000-8000-00000000000d', source: src(9, 'keys[0]') });
    const found = noDeletesConflicts({ changes: [remove(inSet), create(again), remove(loose), create(looseAgain)] }, live(SET, inSet, loose));
    expect(found.map((d) => [d.source?.line, d.message.match(/would take (.*), which/)?.[1]])).toEqual([
      [6, 'kid "k1" in the same key set'],
      [9, 'kid "k2" among the keys of no set'],
    ]);
  });

  it('compares a parent by the Kong id apply will send, not by the key the file names it by', () => {
    // carol takes alice's username (refused by itself); alice's kept ACL group is not carol's.
    const carol = entity('consumer', { username: 'carol' }, {}, { id: '8a0e0000-0000-4000-8000-0000000000c2' });
    const carolAsAlice = entity('consumer', { username: 'alice' }, {}, { id: carol.id, source: src(4, 'consumers[0]') });
    const acl = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { id: '2a0e0000-0000-4000-8000-00000000000a' });
    const carolsGold = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { source: src(6, 'consumers[0].acls[0]') });
    const found = noDeletesConflicts({ changes: [remove(ALICE_OLD), remove(acl), update(carol, carolAsAlice, ['username']), create(carolsGold)] }, live(carol, acl));
    expect(found.map((d) => d.source?.line)).toEqual([4]);
    // A parent the plan creates is a new Kong entity, even under a kept one's name (refused by
    // itself): what hangs below it collides with nothing kept.
    const upAgain = entity('upstream', { name: 'up' }, {}, { id: '9a0e0000-0000-4000-8000-0000000000c2', source: src(3, 'upstreams[0]') });
    const target = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { id: '1a0e0000-0000-4000-8000-00000000000a' });
    const under = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { source: src(5, 'upstreams[0].targets[0]') });
    const replaced = noDeletesConflicts({ changes: [remove(UP), remove(target), create(upAgain), create(under)] }, live(target));
    expect(replaced.map((d) => d.source?.line)).toEqual([3]);
    // A plugin scoped to a service the file leaves out is on the live service, as apply sends it.
    const rl = entity('plugin', { name: 'rate-limiting' }, { service: 'service:orders' }, { id: '3a0e0000-0000-4000-8000-00000000000c' });
    const rl2 = entity('plugin', { name: 'rate-limiting' }, { service: 'service:orders' }, { id: '3a0e0000-0000-4000-8000-00000000000d', source: src(9, 'plugins[1]') });
    expect(noDeletesConflicts({ changes: [remove(rl), create(rl2)] }, live(rl)).map((d) => d.source?.line)).toEqual([9]);
  });

  it('never refuses on a key it cannot resolve to a Kong id', () => {
    const kept = entity('acl', { group: 'gold' }, { consumer: 'consumer:zed' }, { id: '2a0e0000-0000-4000-8000-00000000000a' });
    const again = entity('acl', { group: 'gold' }, { consumer: 'consumer:zed' }, { source: src(8, 'consumers[0].acls[0]') });
    expect(noDeletesConflicts({ changes: [remove(kept), create(again)] }, new Map())).toEqual([]);
  });
});
