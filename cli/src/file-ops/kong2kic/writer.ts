/**
 * The manifests as text, in decK's order (types.go). YAML: one document per manifest, each
 * followed by `---`, keys sorted as Go writes maps (byte order). JSON: one object per manifest, keys
 * sorted, indented by four spaces as decK does; decK writes them back to back, here each ends
 * its line, which kubectl and jq read alike.
 */
import { stringify } from 'yaml';
import { sortKeysDeep } from '../openapi2kong/go-json';
import { ORDER, type KicContent } from './types';

export function renderManifests(out: KicContent, format: 'yaml' | 'json'): string {
  const manifests = ORDER.flatMap((bucket) => out[bucket]).map(sortKeysDeep);
  if (format === 'json') return manifests.map((m) => `${JSON.stringify(m, null, 4)}\n`).join('');
  return manifests.map((m) => `${stringify(m, { lineWidth: 0, indentSeq: false })}---\n`).join('');
}
