/**
 * The event table: one event per HandleEvent, i.e. per plugin phase of one request.
 *
 * The conversation for an event (kong/runloop/plugin_servers/rpc/mp_rpc.lua bridge_loop):
 * HandleEvent is answered with the handler's first message — a PDK call `{Method, Args}` or
 * "ret" — and every Step Kong sends (the PDK call's result) is answered with the next one, until
 * "ret". `kong.response.exit`/`error` are answered by nobody: Kong ends the request and never
 * sends another Step for that event.
 *
 * kong-pdk removes an event only when a Step reads "ret", so every event ending with exit/error,
 * with a throw or without any PDK call stays in its table forever (~1 KB each). Here an event
 * ends — and leaves the table — as soon as its last message is sent: "ret" (the handler returned
 * or threw) or exit/error, whichever comes first. An event also ends when the Kong connection
 * that waits for its next message closes, when Kong sends no Step for `eventTimeoutMs`, or when
 * the table is full and it is the one that waited longest for Kong. A PDK call made after its
 * event ended is rejected (the handler's code after `exit` runs on, then finishes) — kong-pdk
 * leaves such a call pending forever.
 *
 * Messages the handler sends while Kong is not waiting (PDK calls not awaited, `Promise.all`)
 * are queued and sent one per Step, in order, with results handed back in the same order:
 * kong-pdk's pipe behaves the same way.
 */
import { performance } from 'node:perf_hooks';
import { PluginServerError } from './errors';
import { LogThrottle, describeError, type Logger } from './logger';
import type { PluginInstance } from './instances';
import { PLUGIN_PHASES } from './plugin-loader';
import { randomIdBase } from './id-base';

const KNOWN_PHASES = new Set<string>(PLUGIN_PHASES);

// kong-pdk's PDK bridge (pdk.js): the proxy turning kong.request.getHeader() into
// {Method: "kong.request.get_header", Args}; reused as is so plugins see the same object.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PDK = require('kong-pdk/pdk') as new (pipe: RpcPipe) => { kong: unknown };

/** What pdk.js's rpcCall needs: send a message, await Kong's `[result, error]`. */
export interface RpcPipe {
  put(message: unknown): void;
  get(): Promise<[unknown, unknown]>;
}

/** Where an RPC answer goes: the Kong connection and the request's msgid. */
export interface Conn {
  readonly closed: boolean;
  send(msgid: number, error: string | null, result: unknown): void;
  /** send(msgid, null, {Data: "ret", EventId}) by a faster road, where the connection has one. */
  sendRet?(msgid: number, eventId: number): void;
}

export const RET = 'ret';
const NON_RETURN_METHODS = new Set(['kong.response.exit', 'kong.response.error']);
/** Phases in which kong.response.exit may end the request (kong/pdk/response.lua rewrite_access_header). */
export const EXIT_PHASES = new Set(['rewrite', 'access', 'response']);

/** Kong's own answer to a Lua error in a plugin (kong/error_handlers.lua), sent through the PDK. */
export const UNEXPECTED_ERROR_EXIT = { Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] };
/** Kong's 503 (Kong renders the body for the client's Accept): the table is full or the server is stopping. */
export const UNAVAILABLE_ERROR = { Method: 'kong.response.error', Args: [503] };
/** Dropped events whose Step may still come (each one a number): far more than ever wait at once. */
const MAX_DROPPED_EXITS = 10_000;

export type EventEnding = 'ret' | 'exit' | 'error' | 'exception' | 'dropped';

/** Told of every event's end and refusal (metrics.ts); must cost next to nothing. */
export interface EventObserver {
  ended(event: KongEvent, ending: EventEnding): void;
  refused(instance: PluginInstance, phase: string): void;
}

interface Waiter {
  resolve(value: [unknown, unknown]): void;
  reject(error: Error): void;
}

function endingOf(message: unknown): 'exit' | 'error' | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const method = (message as { Method?: unknown }).Method;
  if (typeof method !== 'string' || !NON_RETURN_METHODS.has(method)) return undefined;
  return method === 'kong.response.exit' ? 'exit' : 'error';
}

function describeMessage(message: unknown): string {
  if (message === RET) return '"ret"';
  const method = (message as { Method?: unknown } | null)?.Method;
  return typeof method === 'string' ? method : 'a message';
}

export class KongEvent implements RpcPipe {
  /** The connection waiting for this event's next message, and that request's msgid. */
  replyConn: Conn | undefined;
  replyId = 0;
  /** Messages sent by the handler while Kong was not waiting. */
  outbox: unknown[] | undefined;
  /** PDK calls waiting for their Step, oldest first. */
  waiters: Waiter[] | undefined;
  ended = false;
  /** Set when the handler threw: its "ret"/exit then counts as an exception. */
  failed = false;
  awaitingSinceMs = 0;
  /** PDK calls sent to Kong for this event (exit/error included). */
  pdkCalls = 0;
  readonly startedAt = performance.now();

  constructor(
    private readonly table: EventTable,
    readonly id: number,
    readonly instance: PluginInstance,
    readonly phase: string,
  ) {}

  put(message: unknown): void {
    this.table.put(this, message);
  }

  get(): Promise<[unknown, unknown]> {
    return this.table.get(this);
  }

  describe(): string {
    return `event #${this.id} (${this.instance.plugin.name}.${this.phase} on instance #${this.instance.id})`;
  }
}

export interface EventStats {
  started: number;
  ret: number;
  exit: number;
  error: number;
  exception: number;
  dropped: number;
  refused: number;
}

export interface EventTableOptions {
  /** Most events at once; beyond, the event waiting longest for Kong is dropped, or the new one refused. */
  maxEvents: number;
  /** An event whose Step does not come within this time is dropped. */
  eventTimeoutMs: number;
  log: Logger;
  now?: () => number;
  observer?: EventObserver;
}

export class EventTable {
  private readonly live = new Map<number, KongEvent>();
  /** Events waiting for Kong's next Step, longest-waiting first (re-inserted on every wait). */
  private readonly awaiting = new Map<number, KongEvent>();
  private nextId = randomIdBase();
  private refusing: string | undefined;
  private idleWaiters: Array<() => void> = [];
  /** One exception line per plugin phase and second, one refusal line per second. */
  private readonly throttle = new LogThrottle(1000);
  /**
   * Events of a phase that may exit, dropped while Kong was running one of their PDK calls: when
   * Kong's Step for one comes, it is answered with the 503 exit. An error there (kong-pdk's
   * "event id not found") would make Kong log it and proxy the request without the plugin's
   * verdict. Bounded: the oldest are forgotten first.
   */
  private readonly droppedExits = new Set<number>();
  private readonly now: () => number;
  readonly stats: EventStats = { started: 0, ret: 0, exit: 0, error: 0, exception: 0, dropped: 0, refused: 0 };

  constructor(private readonly options: EventTableOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Events in the table (handler running or waiting for Kong). */
  get size(): number {
    return this.live.size;
  }

  get awaitingKong(): number {
    return this.awaiting.size;
  }

  /** HandleEvent: starts the handler; the answer goes to `conn` when the handler sends its first message. */
  start(instance: PluginInstance, phase: string, conn: Conn, msgid: number): void {
    const id = this.nextId++;
    if (this.refusing !== undefined || (this.live.size >= this.options.maxEvents && !this.evictLongestWaiting())) {
      this.refuse(id, instance, phase, conn, msgid);
      return;
    }
    const event = new KongEvent(this, id, instance, phase);
    event.replyConn = conn;
    event.replyId = msgid;
    this.live.set(id, event);
    this.stats.started++;

    const handler = KNOWN_PHASES.has(phase) ? instance.object[phase] : undefined;
    if (typeof handler !== 'function') {
      // Kong only sends the phases the plugin reported; a mismatch is not the plugin's failure
      this.options.log.warn(`${event.describe()}: the plugin has no ${phase} handler`);
      this.put(event, RET);
      return;
    }
    let result: unknown;
    try {
      result = handler.call(instance.object, new PDK(event).kong);
    } catch (e) {
      this.failed(event, e);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        () => this.finished(event),
        (e: unknown) => this.failed(event, e),
      );
    } else {
      this.finished(event);
    }
  }

  /** Step (and its typed variants): hands Kong's result to the oldest waiting PDK call. */
  step(eventId: unknown, data: unknown, isError: boolean, conn: Conn, msgid: number): void {
    const event = this.live.get(eventId as number);
    if (event === undefined && this.droppedExits.delete(eventId as number)) {
      conn.send(msgid, null, { Data: UNAVAILABLE_ERROR, EventId: eventId });
      return;
    }
    // kong-pdk's text (server.js step)
    if (event === undefined) throw new PluginServerError(`event id ${String(eventId)} not found`);
    if (event.replyConn !== undefined) throw new PluginServerError(`event id ${String(eventId)} is not waiting for a Step`);
    this.awaiting.delete(event.id);
    event.replyConn = conn;
    event.replyId = msgid;
    const waiter = event.waiters?.shift();
    if (waiter) waiter.resolve(isError ? [undefined, data] : [data, undefined]);
    else this.options.log.debug(`${event.describe()}: a Step no PDK call was waiting for`);
    const queued = event.outbox?.shift();
    if (queued !== undefined) this.send(event, queued);
  }

  /** RpcPipe.put of an event: answer Kong now if it waits, else queue. */
  put(event: KongEvent, message: unknown): void {
    if (event.ended) {
      this.options.log.debug(`${event.describe()} has ended: ${describeMessage(message)} not sent`);
      return;
    }
    if (event.replyConn !== undefined) this.send(event, message);
    else (event.outbox ??= []).push(message);
  }

  /** RpcPipe.get of an event. */
  get(event: KongEvent): Promise<[unknown, unknown]> {
    if (event.ended) return Promise.reject(new PluginServerError(`${event.describe()} has ended: Kong answers no more PDK calls for it`));
    return new Promise((resolve, reject) => (event.waiters ??= []).push({ resolve, reject }));
  }

  /** A Kong connection closed: the events whose next message it was waiting for are gone. */
  connectionClosed(conn: Conn): void {
    for (const event of this.live.values()) {
      if (event.replyConn === conn) {
        event.replyConn = undefined;
        this.drop(event, 'Kong closed the connection waiting for it');
      }
    }
  }

  /** Drops the events Kong has not stepped for `eventTimeoutMs`; returns how many. */
  sweep(): number {
    const limit = this.now() - this.options.eventTimeoutMs;
    let dropped = 0;
    for (const event of this.awaiting.values()) {
      if (event.awaitingSinceMs > limit) break;
      this.drop(event, `no Step from Kong within ${this.options.eventTimeoutMs / 1000} s`);
      dropped++;
    }
    return dropped;
  }

  /** From now on HandleEvent is answered with Kong's 503 (or "ret" where exit is not allowed). */
  refuseNewEvents(reason: string): void {
    this.refusing = reason;
  }

  /** Resolves once no event is left, or after `timeoutMs`; true when the table emptied. */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.live.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Ends every event; a Kong request still waiting gets `reason` as its error. */
  dropAll(reason: string): number {
    let n = 0;
    for (const event of this.live.values()) {
      const conn = event.replyConn;
      event.replyConn = undefined;
      if (conn !== undefined && !conn.closed) {
        // Where the plugin may answer, the request gets the 503 a refused new event gets: an error
        // would make Kong proxy it without the plugin's verdict.
        if (EXIT_PHASES.has(event.phase)) conn.send(event.replyId, null, { Data: UNAVAILABLE_ERROR, EventId: event.id });
        else conn.send(event.replyId, reason, null);
      }
      this.drop(event, reason);
      n++;
    }
    return n;
  }

  private send(event: KongEvent, message: unknown): void {
    const conn = event.replyConn as Conn;
    event.replyConn = undefined;
    try {
      if (message === RET && conn.sendRet !== undefined) conn.sendRet(event.replyId, event.id);
      else conn.send(event.replyId, null, { Data: message, EventId: event.id });
    } catch (e) {
      // a PDK call with an argument MessagePack cannot carry (a BigInt, a function, a cycle)
      this.options.log.warn(`${event.describe()}: ${describeMessage(message)} cannot be sent to Kong (${e instanceof Error ? e.message : String(e)}); ${EXIT_PHASES.has(event.phase) ? 'answered 500' : 'event ended'}`);
      event.failed = true;
      conn.send(event.replyId, null, { Data: EXIT_PHASES.has(event.phase) ? UNEXPECTED_ERROR_EXIT : RET, EventId: event.id });
      if (EXIT_PHASES.has(event.phase)) event.pdkCalls++;
      this.end(event, 'exception');
      return;
    }
    if (message === RET) {
      this.end(event, event.failed ? 'exception' : 'ret');
      return;
    }
    event.pdkCalls++;
    const ending = endingOf(message);
    if (ending !== undefined) {
      this.end(event, event.failed ? 'exception' : ending);
      return;
    }
    event.awaitingSinceMs = this.now();
    this.awaiting.set(event.id, event);
  }

  private finished(event: KongEvent): void {
    if (!event.ended) this.put(event, RET);
  }

  private failed(event: KongEvent, error: unknown): void {
    const log = this.options.log;
    if (event.ended) {
      log.debug(`exception in ${event.instance.plugin.name}.${event.phase} on instance #${event.instance.id} after event #${event.id} ended: ${describeError(error)}`);
      return;
    }
    event.failed = true;
    const exits = EXIT_PHASES.has(event.phase);
    const held = this.throttle.admit(`exception ${event.instance.plugin.name}.${event.phase}`, this.now());
    if (held !== undefined) {
      log.warn(
        `unhandled exception in ${event.instance.plugin.name}.${event.phase} on instance #${event.instance.id} (event #${event.id}); ` +
          `${exits ? 'answered 500' : `${event.phase} phase: logged only`}${held > 0 ? ` (${held} more since the last such line)` : ''}: ${describeError(error)}`,
      );
    }
    this.put(event, exits ? UNEXPECTED_ERROR_EXIT : RET);
  }

  private end(event: KongEvent, ending: EventEnding): void {
    event.ended = true;
    this.live.delete(event.id);
    this.awaiting.delete(event.id);
    this.stats[ending]++;
    this.options.observer?.ended(event, ending);
    event.outbox = undefined;
    const waiters = event.waiters;
    event.waiters = undefined;
    if (waiters !== undefined && waiters.length > 0) {
      const error = new PluginServerError(`${event.describe()} has ended (${ending}): Kong answers no more PDK calls for it`);
      for (const w of waiters) w.reject(error);
    }
    if (this.live.size === 0 && this.idleWaiters.length > 0) {
      const waiting = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiting) w();
    }
  }

  private drop(event: KongEvent, reason: string): void {
    if (event.ended) return;
    this.options.log.warn(`${event.describe()} dropped: ${reason}`);
    // Kong is running one of its PDK calls: its Step will come, and gets the 503 exit.
    if (EXIT_PHASES.has(event.phase) && this.awaiting.has(event.id)) {
      this.droppedExits.add(event.id);
      if (this.droppedExits.size > MAX_DROPPED_EXITS) this.droppedExits.delete(this.droppedExits.values().next().value as number);
    }
    this.end(event, 'dropped');
  }

  private evictLongestWaiting(): boolean {
    const longest = this.awaiting.values().next();
    if (longest.done) return false;
    this.drop(longest.value, `the event table is full (${this.options.maxEvents}) and it waited longest for Kong`);
    return true;
  }

  /** Answers HandleEvent without running the handler; fail closed where exit is allowed. */
  private refuse(id: number, instance: PluginInstance, phase: string, conn: Conn, msgid: number): void {
    this.stats.refused++;
    this.options.observer?.refused(instance, phase);
    conn.send(msgid, null, { Data: EXIT_PHASES.has(phase) ? UNAVAILABLE_ERROR : RET, EventId: id });
    if (this.throttle.admit('refusal', this.now()) !== undefined) {
      const why = this.refusing ?? `the event table is full (${this.options.maxEvents} events, none waiting for Kong)`;
      this.options.log.warn(`refused ${instance.plugin.name}.${phase} on instance #${instance.id}: ${why}; ${this.stats.refused} refused so far`);
    }
  }
}
