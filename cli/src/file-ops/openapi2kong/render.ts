/**
 * The converted document as text. Keys come sorted, as decK writes them (Go maps); YAML
 * sequences are indented under their key and no line is folded, so long regex paths and
 * schema strings stay on one line.
 */
import { stringify } from 'yaml';

export function renderConverted(result: Record<string, unknown>, format: 'yaml' | 'json'): string {
  if (format === 'json') return JSON.stringify(result, null, 2) + '\n';
  return stringify(result, { lineWidth: 0, indentSeq: true });
}
