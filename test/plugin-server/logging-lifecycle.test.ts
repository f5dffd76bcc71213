/** In-process pieces of the plugin server: its log format and throttle, and the shutdown-hook registry. */
import { afterEach, describe, expect, it } from 'vitest';
import { LogThrottle, Logger, levelForVerbosity } from '../../plugins/server/logger';
import { onShutdown, runShutdownHooks, shutdownHooks } from '../../plugins/shared/lifecycle';

describe('plugin server logs', () => {
  it('writes plain `<ISO time> [LEVEL] message` lines at or above the level -v sets', () => {
    const lines: string[] = [];
    const at = new Date('2026-01-02T03:04:05.678Z');
    const log = new Logger(levelForVerbosity(0), (l) => lines.push(l), () => at);
    log.info('server started at /x.sock');
    log.debug('hidden');
    let built = false;
    log.trace(() => {
      built = true;
      return 'hidden';
    });
    expect(lines).toEqual(['2026-01-02T03:04:05.678Z [INFO] server started at /x.sock\n']);
    expect(built).toBe(false);
    expect([levelForVerbosity(1), levelForVerbosity(2), levelForVerbosity(5)]).toEqual(['debug', 'trace', 'trace']);
  });

  it('admits one line per key and interval, and counts the ones held back', () => {
    const t = new LogThrottle(1000);
    expect(t.admit('a', 0)).toBe(0);
    expect(t.admit('a', 10)).toBeUndefined();
    expect(t.admit('a', 999)).toBeUndefined();
    expect(t.admit('b', 999)).toBe(0);
    expect(t.admit('a', 1000)).toBe(2);
    expect(t.admit('a', 1500)).toBeUndefined();
    expect(t.admit('a', 5000)).toBe(1);
  });
});

describe('shutdown hooks (plugins/shared/lifecycle)', () => {
  afterEach(async () => {
    await runShutdownHooks(10);
  });

  it('runs every hook once, however often it was registered, and reports failures', async () => {
    const ran: string[] = [];
    const a = async () => {
      ran.push('a');
    };
    onShutdown(a);
    onShutdown(a);
    onShutdown(() => {
      throw new Error('b failed');
    });
    const removeC = onShutdown(() => ran.push('c'));
    removeC();
    const report = await runShutdownHooks(1000);
    expect(ran).toEqual(['a']);
    expect(report).toMatchObject({ ran: 2, timedOut: 0 });
    expect(report.failures.map((e) => (e as Error).message)).toEqual(['b failed']);
    expect(shutdownHooks()).toEqual([]);
    expect(await runShutdownHooks(1000)).toEqual({ ran: 0, failures: [], timedOut: 0 });
  });

  it('stops waiting for hooks after the bound', async () => {
    onShutdown(() => new Promise(() => {}));
    onShutdown(() => undefined);
    const report = await runShutdownHooks(50);
    expect(report).toEqual({ ran: 2, failures: [], timedOut: 1 });
  });

  it('shares one registry between copies of the module (a global symbol)', () => {
    const hook = () => undefined;
    onShutdown(hook);
    const registry = (globalThis as Record<symbol, Set<unknown>>)[Symbol.for('kong-ctl.plugins.shutdown-hooks')];
    expect(registry.has(hook)).toBe(true);
  });
});
