/**
 * Clean shutdown on SIGTERM/SIGINT: stop accepting connections (the socket file goes), answer
 * new events with Kong's 503 (fail closed: a request must not pass a security plugin because its
 * server is stopping), let the events in flight finish within a bound, then run the shutdown
 * hooks (plugins/shared/lifecycle.ts: the shared store registers its closeAllStores there when
 * loaded), close the connections and remove the socket.
 */
import { runShutdownHooks } from '../shared/lifecycle';
import type { EventTable } from './events';
import type { Listener } from './listener';
import { describeError, type Logger } from './logger';

export interface ShutdownOptions {
  listener: Listener;
  events: EventTable;
  log: Logger;
  /** Bound for the events in flight, and separately for the hooks. */
  timeoutMs: number;
}

export async function shutdown(options: ShutdownOptions, signal: string): Promise<number> {
  const { listener, events, log, timeoutMs } = options;
  listener.stopAccepting();
  events.refuseNewEvents('the plugin server is shutting down');
  log.info(`${signal}: shutting down; ${events.size} event(s) in flight, new events are refused`);
  const drained = await events.whenEmpty(timeoutMs);
  if (!drained) {
    const n = events.dropAll('plugin server shutting down');
    log.warn(`shutdown: ${n} event(s) still in flight after ${timeoutMs / 1000} s, dropped`);
  }
  const report = await runShutdownHooks(timeoutMs);
  for (const f of report.failures) log.error(`shutdown hook failed: ${describeError(f)}`);
  if (report.timedOut > 0) log.warn(`shutdown: ${report.timedOut} hook(s) still running after ${timeoutMs / 1000} s`);
  await listener.closeAll();
  log.info(`shutdown complete (${report.ran} hook(s) run)`);
  return 0;
}
