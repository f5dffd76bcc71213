/**
 * kong-pdk's server only logs a handler's exception (server.js HandleEvent) and Kong then
 * proxies the request as if the plugin had passed: a security plugin that throws fails OPEN.
 * Every phase handler runs inside `failClosed`, which turns any exception into one
 * `kong.log.err` and Kong's own 500 — the body never carries the exception.
 */
import type { Kong, Phase } from './pdk';
import { refuse, UNEXPECTED_ERROR_MESSAGE } from './respond';

const MAX_LOGGED_CHARS = 2000;

function describe(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
}

/**
 * Run a phase handler; on an exception log it and answer 500. In `log` the response is already
 * gone, so there it only logs. A failing log call must not prevent the refusal.
 */
export async function failClosed(kong: Kong, plugin: string, phase: Phase, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    try {
      await kong.log.err(`[${plugin}] ${phase} handler failed: ${describe(error)}`);
    } catch {
      // Logging is best effort; the refusal below is what keeps the request from passing.
    }
    if (phase !== 'log') await refuse(kong, 500, UNEXPECTED_ERROR_MESSAGE);
  }
}
