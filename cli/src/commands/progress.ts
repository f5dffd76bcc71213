/**
 * Progress of a long apply: one self-rewriting line on a terminal, plain lines in CI logs
 * (a line per settled change), nothing with JSON output (stdout must stay parseable; progress
 * goes to stderr anyway).
 */
import type { Change } from '../model/plan';
import type { Io } from './context';

export interface Progress {
  update(done: number, total: number, change: Change): void;
  finish(): void;
}

export function progressReporter(io: Io, json: boolean): Progress {
  const tty = Boolean(io.stderr.isTTY);
  let drawn = false;
  return {
    update(done, total, change) {
      if (json) return;
      if (tty) {
        io.stderr.write(`\r\x1b[2K[${done}/${total}] ${change.op} ${change.label}`);
        drawn = true;
      } else {
        io.stderr.write(`[${done}/${total}] ${change.op} ${change.label}\n`);
      }
    },
    finish() {
      if (drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}
