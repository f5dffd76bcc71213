/**
 * The lists kong2kic reads must be lists of entities. decK reads the file into its Go types
 * and refuses one where a list is something else (`consumer_groups: gold`) or holds something
 * other than an entity (`- gold`); kong-ctl says where. Null is an empty list, as in Go. The
 * entities' fields are not checked here: as decK, kong2kic leaves them to KIC and Kong.
 */
import type { PathSegment } from '../../desired/positions';
import type { Obj } from './types';
import { isObj } from './values';

const CREDENTIALS = [
  'keyauth_credentials',
  'hmacauth_credentials',
  'jwt_secrets',
  'basicauth_credentials',
  'oauth2_credentials',
  'acls',
  'mtls_auth_credentials',
];

/** Each list an entity holds, and the kind of its items (the key of their own lists here), or what they are. */
const LISTS: Record<string, Record<string, string>> = {
  '': {
    services: 'service',
    routes: 'route',
    plugins: 'plugin',
    consumers: 'consumer',
    consumer_groups: 'consumer group',
    upstreams: 'upstream',
    certificates: 'certificate',
    ca_certificates: 'CA certificate',
  },
  service: { routes: 'route', plugins: 'plugin' },
  route: { plugins: 'plugin' },
  consumer: { plugins: 'plugin', groups: 'consumer group reference', ...Object.fromEntries(CREDENTIALS.map((k) => [k, 'credential'])) },
  'consumer group': { consumers: 'consumer reference', plugins: 'plugin' },
};

const HINTS: Record<string, string> = {
  'consumer reference': 'a mapping, { username: NAME } or { id: ID }',
  'consumer group reference': 'a mapping, { name: NAME } or { id: ID }',
};

export interface ShapeProblem {
  path: PathSegment[];
  message: string;
}

const a = (what: string): string => `${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what}`;

export function checkShape(content: Obj): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const walk = (entity: Obj, kind: string, at: PathSegment[]): void => {
    for (const [key, itemKind] of Object.entries(LISTS[kind] ?? {})) {
      const list = entity[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        problems.push({ path: [...at, key], message: `expected a list of ${itemKind}s` });
        continue;
      }
      list.forEach((item, i) => {
        if (!isObj(item)) problems.push({ path: [...at, key, i], message: `expected ${a(itemKind)} (${HINTS[itemKind] ?? 'a mapping of its fields'})` });
        else walk(item, itemKind, [...at, key, i]);
      });
    }
  };
  walk(content, '', []);
  return problems;
}
