/**
 * Moves the plugin server's test clock (plugins/shared/clock.ts reads the file on every call).
 * The write is atomic: a plugin server reads the file whenever it likes (circuit-breaker's 1 s
 * sweep, a JWKS refresh), and a read between writeFileSync's truncate and its write finds it
 * empty, which means the real clock: months away from a test's clock, seen as a jump.
 */
import fs from 'node:fs';

/** `undefined`: back to the real clock (an empty file). */
export function writeTestClock(file: string, seconds: number | undefined): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, seconds === undefined ? '' : String(seconds));
  fs.renameSync(tmp, file);
}
