/**
 * The one way our plugins refuse a request: Kong's own error shape `{"message": …}` (what
 * `kong.response.exit(status, {message=…})` gives in Kong's bundled jwt plugin), status, body and
 * headers in ONE PDK call. `exit` is never answered by Kong, so callers `return` right after it.
 */
import type { HeaderValues, Kong } from './pdk';

/** Kong's text for a 500 (kong/error_handlers.lua), also what a throwing Lua plugin yields. */
export const UNEXPECTED_ERROR_MESSAGE = 'An unexpected error occurred';

export function refuse(kong: Kong, status: number, message: string, headers?: HeaderValues): Promise<void> {
  const body = { message };
  return headers && Object.keys(headers).length > 0
    ? kong.response.exit(status, body, headers)
    : kong.response.exit(status, body);
}
