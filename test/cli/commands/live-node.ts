/**
 * A recorded Kong 3.4.2 node (schemas from the recordings) whose entity lists hold the given
 * live bodies: GET /{list} answers `{data, next: null}`; lists not given are empty.
 * Targets: `targets` keyed by upstream id. `node`: the recorded node edited (recorded-node.ts),
 * e.g. schemas as a newer Kong answers them.
 */
import nock from 'nock';
import { ADMIN, recordedNode, type Node } from './recorded-node';

export { ADMIN };

export function liveNode(
  lists: Record<string, Array<Record<string, unknown>>>,
  targets: Record<string, Array<Record<string, unknown>>> = {},
  node: Node = {},
): nock.Scope {
  recordedNode(node);
  return nock(ADMIN)
    .get(/^\/[a-z0-9_\/-]+\?/)
    .reply((uri) => {
      const path = uri.split('?')[0];
      const t = /^\/upstreams\/([^/]+)\/targets$/.exec(path);
      if (t) return [200, { data: targets[decodeURIComponent(t[1])] ?? [], next: null }];
      return [200, { data: lists[path.slice(1)] ?? [], next: null }];
    })
    .persist();
}

