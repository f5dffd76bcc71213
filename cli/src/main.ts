/**
 * kong-ctl entry point. Commands hand back an Outcome; exit codes are decided here and only
 * here: 0 ok / no drift, 2 drift, 1 invalid input or any failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { KongCtlError } from './model/errors';
import { AdminApiError } from './kong/types';
import { processIo, write, type Io, type Outcome } from './commands/context';
import { registerValidate } from './commands/validate';
import { registerDiff } from './commands/diff';
import { registerApply } from './commands/apply';
import { registerDump } from './commands/dump';
import { registerPing } from './commands/ping';
import { registerBreakers } from './commands/breakers';
import { registerSchema } from './commands/schema';
import { registerRender } from './commands/render';
import { registerConvert } from './commands/convert';
import { registerReset } from './commands/reset';
import { registerCompletion } from './commands/completion';
import { registerFile } from './commands/file';

const EXIT: Record<Outcome, number> = { ok: 0, drift: 2, alert: 2, invalid: 1, failed: 1 };

/** The package's version, found from the source tree (tests) and from dist/ (the binary) alike. */
function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kong-ctl' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** Every command and option, registered; `done` receives the outcome of the one that runs. */
export function buildProgram(io: Io, done: (o: Promise<Outcome>) => void): Command {
  const program = new Command('kong-ctl')
    .description('Declarative configuration for Kong Gateway 3.x: validate, diff, apply and dump decK-format files')
    .version(packageVersion(), '--version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  registerValidate(program, io, done);
  registerDiff(program, io, done);
  registerApply(program, io, done);
  registerReset(program, io, done);
  registerDump(program, io, done);
  registerPing(program, io, done);
  registerBreakers(program, io, done);
  registerRender(program, io, done);
  registerSchema(program, io, done);
  registerConvert(program, io, done);
  registerFile(program, io, done);
  registerCompletion(program, io, done);
  return program;
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let running: Promise<Outcome> | undefined;
  const program = buildProgram(io, (p) => {
    running = p;
  });

  const json = wantsJson(argv);
  try {
    await program.parseAsync(argv);
    if (!running) {
      program.outputHelp();
      return 0;
    }
    return EXIT[await running];
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 1;
    }
    reportError(err, io, json);
    return 1;
  }
}

/** One clear line for the user; with --output json the same error as JSON on stdout too. */
function reportError(err: unknown, io: Io, json: boolean): void {
  const code = err instanceof KongCtlError ? err.code : err instanceof AdminApiError ? 'E_KONG_HTTP' : 'E_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) write(io.stdout, JSON.stringify({ format_version: 1, error: { code, message } }, null, 2));
  write(io.stderr, `kong-ctl: error: ${message}`);
  if (code === 'E_INTERNAL' && err instanceof Error && err.stack && io.env.KONG_CTL_DEBUG) write(io.stderr, err.stack);
}

function wantsJson(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--output=json' || a === '-ojson') return true;
    if ((a === '--output' || a === '-o') && argv[i + 1] === 'json') return true;
  }
  return false;
}
