/**
 * "Now" for time-based checks (token expiry, timestamps). Tests need fixed clocks (the RFC 7515
 * example tokens expired in 2011), so the plugin server process may be started with
 * KONG_PLUGINS_TEST_CLOCK_FILE naming a file that holds epoch seconds; the file is read on every
 * call, so a test can move the clock without restarting the server. A missing or empty file means
 * the real clock. Only whoever starts the plugin server sets its environment: no request and no
 * Admin API config can reach this.
 */
import { readFileSync } from 'node:fs';

export const TEST_CLOCK_ENV = 'KONG_PLUGINS_TEST_CLOCK_FILE';

function readTestClock(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds)) throw new Error(`${TEST_CLOCK_ENV}: ${file} does not hold epoch seconds`);
  return seconds;
}

/** Current time in epoch seconds (fractional). */
export function nowSeconds(): number {
  const file = process.env[TEST_CLOCK_ENV];
  if (file) {
    const fixed = readTestClock(file);
    if (fixed !== undefined) return fixed;
  }
  return Date.now() / 1000;
}
