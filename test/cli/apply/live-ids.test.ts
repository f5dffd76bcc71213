/**
 * The ids apply resolves references with: a live certificate is also found by the key a file
 * gives it when it writes it without its id (its content), as matching finds it, so that a new
 * SNI nested under it can be created (decK builder case "generates ID for SNIs";
 * test/cli/desired/deck-builder-live.test.ts runs it end to end).
 */
import { describe, expect, it } from 'vitest';
import { liveIds } from '../../../cli/src/apply/live-ids';
import { KIND_DEFS } from '../../../cli/src/kinds';
import type { Entity } from '../../../cli/src/model/entity';

function live(kind: Entity['kind'], id: string, fields: Record<string, unknown>): Entity {
  const view = { fields, refs: {}, id };
  return { kind, key: KIND_DEFS[kind].identity(view), label: KIND_DEFS[kind].label(view), fields, refs: {}, id };
}

describe('liveIds', () => {
  it('maps each key to its id, and a certificate also by its content, the first of two with the same content', () => {
    const a = live('certificate', 'a0000000-0000-4000-8000-000000000001', { cert: 'PEM-A', key: 'K' });
    const b = live('certificate', 'b0000000-0000-4000-8000-000000000002', { cert: 'PEM-A', key: 'K' });
    const s = live('service', 'c0000000-0000-4000-8000-000000000003', { name: 'orders' });
    const ids = liveIds([a, b, s]);
    const content = KIND_DEFS.certificate.contentIdentity!({ fields: { cert: 'PEM-A' }, refs: {} });
    expect(Object.fromEntries(ids)).toEqual({ [a.key]: a.id, [b.key]: b.id, [s.key]: s.id, [content]: a.id });
  });
});
