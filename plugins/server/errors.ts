/**
 * Errors answered to Kong. Kong only sees the message text, and matches some of it: a message
 * starting with "no plugin instance" makes Kong restart the instance and retry the event.
 */
export class PluginServerError extends Error {
  override get name(): string {
    return 'PluginServerError';
  }
}

/** kong-pdk's text for an unknown or expired instance id (server.js), which Kong matches. */
export function noPluginInstance(id: unknown): PluginServerError {
  return new PluginServerError(`no plugin instance #${String(id)}`);
}

/** kong-pdk's listener.js errToString: the text of whatever a method threw. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  if (error !== null && error !== undefined && typeof (error as { toString?: unknown }).toString === 'function') return String(error);
  return 'Unknown plugin listener error encountered';
}
