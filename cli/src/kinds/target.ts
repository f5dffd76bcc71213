import { isIP } from 'node:net';
import type { KindDef } from './kind';
import { shortKey } from './kind';

/**
 * Kong's `format_target` (kong/db/dao/targets.lua): IPs are normalised, IPv6 bracketed,
 * and a missing port becomes 8000. Desired targets go through the same rule so that
 * `10.0.0.1` in a file matches `10.0.0.1:8000` from Kong.
 */
export function normalizeTarget(target: string): string {
  const t = target.trim();
  let host: string;
  let port: string | undefined;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    host = t.slice(1, end);
    const rest = t.slice(end + 1);
    port = rest.startsWith(':') ? rest.slice(1) : undefined;
  } else if (isIP(t) === 6) {
    host = t;
  } else {
    const i = t.lastIndexOf(':');
    if (i >= 0) {
      host = t.slice(0, i);
      port = t.slice(i + 1);
    } else host = t;
  }
  if (isIP(host) === 6) host = `[${expandIPv6(host)}]`;
  return `${host}:${port && port.length ? Number(port) : 8000}`;
}

/** Kong writes IPv6 targets fully expanded: `[0000:0000:…:0001]`. */
function expandIPv6(ip: string): string {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  const groups = ip.includes('::') ? [...h, ...Array(missing).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

export const target: KindDef = {
  kind: 'target',
  schema: 'targets',
  listPath: null,
  foreignKeys: { upstream: 'upstream' },
  identity: (e) => `target:${shortKey(e.refs.upstream)}/${normalizeTarget(String(e.fields.target ?? ''))}`,
  label: (e) => `target ${normalizeTarget(String(e.fields.target ?? ''))} (upstream ${shortKey(e.refs.upstream)})`,
  createPath: (p) => `/upstreams/${p.upstream}/targets`,
  entityPath: (id, p) => `/upstreams/${p.upstream}/targets/${id}`,
  normalize: (f) => (typeof f.target === 'string' ? { ...f, target: normalizeTarget(f.target) } : f),
};
