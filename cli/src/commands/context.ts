import { writeFileSync } from 'node:fs';
import { KongCtlError } from '../model/errors';

/**
 * What a command needs from the outside world, passed in so tests run commands in-process
 * with captured output, and what it hands back: an outcome, never an exit code (main decides).
 */

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
}

/** ok → 0, drift / alert (an open circuit) → 2, invalid / failed → 1 (main.ts). */
export type Outcome = 'ok' | 'drift' | 'alert' | 'invalid' | 'failed';

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(Buffer.from(c));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

/** `-o FILE` of dump, render and schema: absent or `-` means stdout. */
export function isStdout(file: string | undefined): boolean {
  return !file || file === '-';
}

/** `-o FILE.json` of dump and render: JSON instead of YAML. */
export function isJsonFile(file: string | undefined): boolean {
  return !isStdout(file) && file!.toLowerCase().endsWith('.json');
}

/**
 * The output of dump, render or schema: to stdout, or to `file` with `said` on stderr once it is
 * written (never before, so a failed command leaves no message claiming a file).
 */
export function writeOutput(io: Io, file: string | undefined, text: string, said: string): void {
  if (isStdout(file)) {
    write(io.stdout, text);
    return;
  }
  try {
    writeFileSync(file!, text);
  } catch (err) {
    throw new KongCtlError('E_FILE_READ', `cannot write ${file}: ${(err as Error).message}`);
  }
  write(io.stderr, said);
}
