/**
 * kong-ctl entry point. Commands are registered from commands/; exit codes are decided here
 * and only here: 0 ok / no drift, 2 drift, 1 any error.
 */
import { Command } from 'commander';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('kong-ctl')
    .description('Declarative configuration for Kong: validate, diff, apply and dump decK-format files')
    .exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return e.exitCode ?? 1;
  }
}
