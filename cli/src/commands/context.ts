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
