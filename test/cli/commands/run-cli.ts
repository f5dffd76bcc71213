/**
 * Runs kong-ctl's `main` in-process with captured streams, as a user's shell would run the
 * binary (same argv, same exit code), so command tests see exactly what a user sees.
 */
import { PassThrough } from 'node:stream';
import { main } from '../../../cli/src/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string; tty?: boolean } = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c.toString()));
  err.on('data', (c) => (stderr += c.toString()));
  const stdoutStream = Object.assign(out, { isTTY: opts.tty ?? false });
  const stderrStream = Object.assign(err, { isTTY: opts.tty ?? false });
  const code = await main(['node', 'kong-ctl', ...args], {
    stdout: stdoutStream,
    stderr: stderrStream,
    env: { ...(opts.env ?? {}) },
    readStdin: async () => opts.stdin ?? '',
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr };
}
