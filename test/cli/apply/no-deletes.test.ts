/**
 * What a --no-deletes plan cannot do (apply/no-deletes.ts), on plans built by hand: each refusal
 * has its code, its file:line and a message naming both entities; what Kong keeps unique only
 * within a parent is never refused on a guess.
 */
import { describe, expect, it } from 'vitest';
import { noDeletesConflicts } from '../../../cli/src/apply/no-deletes';
import { create, entity, remove, src, update } from './helpers';

const ALICE_OLD = entity('consumer', { username: 'alice' }, {}, { id: '8a0e0000-0000-4000-8000-0000000000a1' });

describe('noDeletesConflicts', () => {
  it('is empty when the full plan deletes nothing, or nothing it deletes is needed', () => {
    expect(noDeletesConflicts({ changes: [create(entity('service', { name: 'a' }, {}, { source: src(3, 'services[0]') }))] })).toEqual([]);
    expect(noDeletesConflicts({ changes: [remove(ALICE_OLD), create(entity('consumer', { username: 'bob' }, {}, { source: src(3, 'consumers[0]') }))] })).toEqual([]);
  });

  it('refuses a write that takes a unique value a kept entity holds, at its file:line', () => {
    const bob = entity('consumer', { username: 'bob', custom_id: 'c-1' }, {}, { id: '8a0e0000-0000-4000-8000-0000000000b1' });
    const renamed = entity('consumer', { username: 'alice', custom_id: 'c-1' }, {}, { id: bob.id, source: src(4, 'consumers[0]', 3) });
    const [d] = noDeletesConflicts({ changes: [remove(ALICE_OLD), update(bob, renamed, ['username'])] });
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
    const found = noDeletesConflicts({ changes: [remove(kept), create(again)] });
    expect(found).toHaveLength(1);
    expect(found[0].code).toBe('E_NO_DELETES_CONFLICT');
    expect(found[0].message).toContain(`would overwrite the live key-auth credential of alice #4a0e0000 (id ${id}), which --no-deletes keeps`);
  });

  it('never shows a sensitive value it compares', () => {
    const kept = entity('keyauth_credential', { key: 'k-secret' }, { consumer: 'consumer:alice' }, { id: '4a0e0000-0000-4000-8000-00000000000a' });
    const other = entity('keyauth_credential', { key: 'k-secret' }, { consumer: 'consumer:bob' }, { source: src(9, 'consumers[1].keyauth_credentials[0]') });
    const [d] = noDeletesConflicts({ changes: [remove(kept), create(other)] });
    expect(d.message).toContain('would take its key ([masked])');
    expect(d.message).not.toContain('k-secret');
  });

  it('leaves to Kong a value unique only within a parent: its keys here are names, not ids', () => {
    // The kept target's `upstream:up` may not be the upstream the new target's `upstream:up` is.
    const kept = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { id: '1a0e0000-0000-4000-8000-00000000000a' });
    const again = entity('target', { target: '10.0.0.1:80' }, { upstream: 'upstream:up' }, { source: src(7, 'upstreams[0].targets[0]') });
    const acl = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { id: '2a0e0000-0000-4000-8000-00000000000a' });
    const acl2 = entity('acl', { group: 'gold' }, { consumer: 'consumer:alice' }, { source: src(8, 'consumers[0].acls[0]') });
    expect(noDeletesConflicts({ changes: [remove(kept), create(again), remove(acl), create(acl2)] })).toEqual([]);
  });
});
