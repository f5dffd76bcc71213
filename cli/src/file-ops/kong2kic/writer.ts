/**
 * The manifests as text, in decK's order (types.go). YAML: one document per manifest, each
 * followed by `---`, keys sorted as Go writes maps. JSON: one object per manifest, keys
 * sorted, indented by four spaces as decK does; decK writes them back to back, here each ends
 * its line, which kubectl and jq read alike.
 */
import { stringify } from 'yaml';
import { ORDER, type KicContent } from './types';

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

export function renderManifests(out: KicContent, format: 'yaml' | 'json'): string {
  const manifests = ORDER.flatMap((bucket) => out[bucket]).map(sortKeys);
  if (format === 'json') return manifests.map((m) => `${JSON.stringify(m, null, 4)}\n`).join('');
  return manifests.map((m) => `${stringify(m, { lineWidth: 0, indentSeq: false })}---\n`).join('');
}
