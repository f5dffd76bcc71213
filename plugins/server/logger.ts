/**
 * Plain-text log lines (`<ISO time> [LEVEL] message`), one write per line: Kong copies the plugin
 * server's output into its own log, so no colours and no cursor escapes (kong-pdk's node-color-log
 * writes both). Messages are built only when their level is enabled: the hot path logs nothing.
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class Logger {
  private readonly threshold: number;

  constructor(
    level: LogLevel,
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.threshold;
  }

  private line(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.write(`${this.now().toISOString()} [${level.toUpperCase()}] ${message}\n`);
  }

  error(message: string): void {
    this.line('error', message);
  }

  warn(message: string): void {
    this.line('warn', message);
  }

  info(message: string): void {
    this.line('info', message);
  }

  debug(message: string): void {
    this.line('debug', message);
  }

  /** `message` is a function so that per-RPC lines cost nothing unless -vv is given. */
  trace(message: () => string): void {
    if (this.enabled('trace')) this.line('trace', message());
  }
}

/** kong-pdk's -v count: none = info, -v = debug (plugin loading, instances), -vv = every RPC too. */
export function levelForVerbosity(verbose: number): LogLevel {
  if (verbose <= 0) return 'info';
  return verbose === 1 ? 'debug' : 'trace';
}

/** An error as one log-friendly text: the stack when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * At most one line per key and interval: a plugin that throws on every request must not turn
 * into a flood of stack traces. `admit` returns how many lines of that key were held back since
 * the last one it admitted, or undefined when this one is to be held back.
 */
export class LogThrottle {
  private readonly windows = new Map<string, { since: number; held: number }>();

  constructor(private readonly intervalMs: number) {}

  admit(key: string, nowMs: number): number | undefined {
    const w = this.windows.get(key);
    if (w !== undefined && nowMs - w.since < this.intervalMs) {
      w.held++;
      return undefined;
    }
    this.windows.set(key, { since: nowMs, held: 0 });
    return w?.held ?? 0;
  }
}
