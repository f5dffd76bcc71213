/**
 * Process shutdown hooks for code running inside the plugin server (stores, connections,
 * flushers). A module registers `onShutdown(fn)` at load time; the plugin server runs every hook
 * once on SIGTERM, after the events in flight finished, and before it exits. No `process.on`:
 * only the server owns signals, so a plugin cannot keep the process alive or exit it early.
 *
 * The registry lives on a global symbol: two copies of this module (a plugin directory with its
 * own node_modules) still share one list.
 */
export type ShutdownHook = () => unknown;

export interface ShutdownReport {
  ran: number;
  failures: unknown[];
  /** Hooks still running when the time ran out. */
  timedOut: number;
}

const REGISTRY = Symbol.for('kong-ctl.plugins.shutdown-hooks');

function registry(): Set<ShutdownHook> {
  const g = globalThis as { [REGISTRY]?: Set<ShutdownHook> };
  return (g[REGISTRY] ??= new Set());
}

/** Registers `hook` (once, however often it is registered); returns its removal. */
export function onShutdown(hook: ShutdownHook): () => void {
  registry().add(hook);
  return () => {
    registry().delete(hook);
  };
}

/** Hooks registered now, in registration order. */
export function shutdownHooks(): ShutdownHook[] {
  return [...registry()];
}

/**
 * Runs every registered hook at once and waits for them, at most `timeoutMs`. Hooks are removed
 * as they start: a second run runs only hooks registered since.
 */
export async function runShutdownHooks(timeoutMs: number): Promise<ShutdownReport> {
  const hooks = shutdownHooks();
  registry().clear();
  const failures: unknown[] = [];
  let pending = hooks.length;
  const runs = hooks.map(async (hook) => {
    try {
      await hook();
    } catch (e) {
      failures.push(e);
    } finally {
      pending--;
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.all(runs), timedOut]);
  clearTimeout(timer);
  return { ran: hooks.length, failures, timedOut: pending };
}
