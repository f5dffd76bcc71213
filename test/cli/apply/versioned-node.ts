/**
 * A recorded Kong node (schemas of the 3.4.2 recording) reporting `version`, whose entity lists
 * hold the given live bodies, as test/cli/commands/live-node.ts does for 3.4.2.
 */
import nock from 'nock';
import { ADMIN, recordedNode } from '../commands/recorded-node';

export { ADMIN };

export function liveNodeAt(version: string, lists: Record<string, Array<Record<string, unknown>>>): nock.Scope {
  recordedNode({ version });
  return nock(ADMIN)
    .get(/^\/[a-z0-9_\/-]+\?/)
    .reply((uri) => [200, { data: lists[uri.split('?')[0].slice(1)] ?? [], next: null }])
    .persist();
}
