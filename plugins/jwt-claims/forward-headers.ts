/**
 * Claims forwarded to the upstream. Every mapped header is always written: the claim's value,
 * or an empty array when the token lacks the claim — Kong's `set_headers` hands `{}` to
 * `ngx.req.set_header`, which removes the header. So whatever a client sent under these names
 * never reaches the upstream, and it all takes one `kong.service.request.setHeaders` call.
 */
import { luaTable, type HeaderValues } from '../shared/pdk';
import { claimAt, scalarText } from './claims';

export interface HeaderMapping {
  claim: string;
  header: string;
}

/** Control characters (CR/LF above all) cannot travel in a header; they are dropped. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** A claim as a header value: scalars as text, arrays and objects as JSON; undefined if absent
 *  or empty. */
export function headerValueOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = scalarText(value) ?? JSON.stringify(value);
  const clean = text.replace(CONTROL_CHARACTERS, '');
  return clean === '' ? undefined : clean;
}

export function claimHeaders(claims: Record<string, unknown>, mappings: readonly HeaderMapping[]): HeaderValues {
  const out: HeaderValues = luaTable();
  for (const { claim, header } of mappings) out[header] = headerValueOf(claimAt(claims, claim)) ?? [];
  return out;
}
