/**
 * What the plugin answers itself: the 503 of an open (or busy half-open) circuit, and the state
 * endpoint's JSON. Each is ONE kong.response.exit; the caller returns right after it.
 */
import type { Kong } from '../shared/pdk';
import { refuse } from '../shared/respond';
import type { StateJson } from './state-view';

/** Kong's own text for a 503 (kong/error_handlers.lua). */
export const UNAVAILABLE_MESSAGE = 'The upstream server is currently unavailable';
export const STATE_HEADER = 'X-Circuit-Breaker-State';

export function shortCircuit(kong: Kong, state: 'open' | 'half_open', retryAfterSeconds: number): Promise<void> {
  return refuse(kong, 503, UNAVAILABLE_MESSAGE, { 'Retry-After': String(retryAfterSeconds), [STATE_HEADER]: state });
}

/** A JSON text body (not a table: Kong's cjson would turn an empty `breakers` list into `{}`). */
export function serveState(kong: Kong, state: StateJson): Promise<void> {
  return kong.response.exit(200, JSON.stringify(state), { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}
