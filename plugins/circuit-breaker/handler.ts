/**
 * The phases. PDK round trips (each one a unix-socket exchange with Kong), on top of the
 * HandleEvent of each phase:
 *
 * closed circuit — 1 in all when the plugin is attached to what its scope names (scope service on
 * a service, route on a route: the id is in the instance config), 2 otherwise:
 *   access  nothing | router.getService (scope service elsewhere) | router.getRoute (scope route
 *           elsewhere) | request.getHost [+ router.getService unless on the service] (service_host)
 *   log     log.serialize   (+ response.getSource only for a 502/504 outside failure_status_ranges)
 * open circuit — access: the key call if any + one response.exit (503), so on its service the
 *   short circuit is HandleEvent answered by the exit: one round trip; log: serialize.
 * half-open — a probe: the key call if any + ctx.shared.set (its marker); log: serialize +
 *   ctx.shared.get. Other requests: the key call if any + exit; log: serialize + ctx.shared.get
 *   too, since a probe is in flight whenever no probe place is free (the log event may be its).
 * A state change adds one kong.log call, in the request that observed it. A request let through
 * before the circuit last closed and logged after it adds ctx.shared.get (a late probe?).
 *
 * An access event with no PDK call is fine on the project's plugin server (plugins/server frees
 * every event when its handler returns). kong-pdk 0.6.0's kong-js-pluginserver never forgets such
 * an event (~1 KB each, test/fixtures/kong-pdk/README.md): run this plugin on the project's
 * server, as kong/kong.conf does.
 *
 * Failing OPEN on internal errors, unlike the project's security plugins (shared/fail-closed.ts):
 * a circuit breaker protects the upstream from load, it is not an access control. If the breaker
 * itself breaks (a bug, an unreadable clock, an unusable config), the request goes on as if the
 * plugin were absent and the error is logged — an internal error must not take the API down.
 * Nothing is ever thrown out of a handler.
 */
import { circuitBreakerMetrics } from '../shared/metrics';
import type { Kong } from '../shared/pdk';
import { serveState, shortCircuit } from './answers';
import type { Breaker, Transition } from './breaker';
import { Name } from './meta';
import { judge, type Outcome } from './outcome';
import { breakerFor, everyBreaker, familyFor, findBreaker, live, nowMs, unusableFamily, type Family } from './runtime';
import { describeScope, keyFromRequest, keyFromSerialized, keyString, type ScopeKey } from './scope';
import { breakerJson, stateJson } from './state-view';

/** kong.ctx.shared key carrying a half-open probe's ticket from access to log. */
export const PROBE_MARKER_KEY = 'circuit_breaker_probe';
/** An unusable config is reported at most this often (it would otherwise flood Kong's log). */
const PROBLEM_LOG_INTERVAL_MS = 60_000;
const MAX_LOGGED_CHARS = 2000;
const metrics = circuitBreakerMetrics();

interface Instance {
  family: Family;
  /** What Kong sent, with its scope ids (`service_id` when the plugin is on a service). */
  rawConfig: Record<string, unknown>;
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
}

async function failOpen(kong: Kong, phase: 'access' | 'log', run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    try {
      await kong.log.err(`[${Name}] ${phase} failed, the request goes on without the breaker: ${describeError(error)}`);
    } catch {
      // nothing left to do: the request goes on either way
    }
  }
}

function transitionMessage(key: ScopeKey, t: Transition): string {
  const who = describeScope(key);
  if (t.to === 'open') {
    const again = t.from === 'half_open' ? ' again' : '';
    return `[${Name}] circuit opened${again} for ${who}: ${t.reason}; requests get 503 for ${t.openForMs} ms`;
  }
  if (t.to === 'half_open') return `[${Name}] circuit half-open for ${who}: ${t.reason}`;
  return `[${Name}] circuit closed for ${who}: ${t.reason}`;
}

/** The state changes this request observed, logged through its own `kong` (open: warn). */
async function logTransitions(kong: Kong, key: ScopeKey, breaker: Breaker): Promise<void> {
  for (const t of metrics.transitions(breaker.drainTransitions())) {
    const message = transitionMessage(key, t);
    await (t.to === 'open' ? kong.log.warn(message) : kong.log.notice(message));
  }
}

async function reportConfigProblem(kong: Kong, family: Family, now: number): Promise<void> {
  if (now - family.lastProblemLogMs < PROBLEM_LOG_INTERVAL_MS) return;
  family.lastProblemLogMs = now;
  await kong.log.err(`[${Name}] invalid configuration, no circuit is broken: ${family.errors.join('; ')}`);
}

function stateOfNode(now: number) {
  const breakers = everyBreaker(now).map(({ family, entry }) => breakerJson(family, entry, entry.breaker.view(now), keyString(entry.key)));
  return stateJson(breakers, now, process.pid);
}

export async function access(kong: Kong, instance: Instance): Promise<void> {
  const family = (instance.family = live(instance.family));
  const config = family.config;
  const now = nowMs();
  if (!config) return reportConfigProblem(kong, family, now);
  if (config.stateEndpoint) return serveState(kong, stateOfNode(now));

  const key = await keyFromRequest(kong, config.scope, instance.rawConfig);
  if (!key) return; // no service/route: nothing to protect
  const entry = breakerFor(family, config, key, now);
  const { breaker } = entry;
  const admission = breaker.admit(now);
  // entry.key: named once a log phase has read the name, when access took the id from the config
  await logTransitions(kong, entry.key, breaker);
  if (admission.kind === 'probe') return kong.ctx.shared.set(PROBE_MARKER_KEY, admission.marker);
  if (admission.kind === 'reject') {
    metrics.rejected(admission.state);
    return shortCircuit(kong, admission.state, admission.retryAfterSeconds);
  }
}

function parseSerialized(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** When Kong received the request (`started_at`, wall clock ms), if the serializer says. */
function startedAt(data: Record<string, unknown>): number | undefined {
  return typeof data.started_at === 'number' && Number.isFinite(data.started_at) ? data.started_at : undefined;
}

export async function log(kong: Kong, instance: Instance): Promise<void> {
  const family = (instance.family = live(instance.family));
  const config = family.config;
  if (!config || config.stateEndpoint) return;
  const data = parseSerialized(await kong.log.serialize());
  const key = keyFromSerialized(config.scope, data);
  const entry = key ? findBreaker(family, key) : undefined;
  if (!entry) return; // access never saw this breaker (or it was evicted): no call to settle
  const { breaker } = entry;
  const now = nowMs();
  const outcomeOf = async (): Promise<Outcome> => {
    const first = judge(data, config);
    if (first.kind !== 'needs_source') return first;
    return judge(data, config, await kong.response.getSource()) as Outcome;
  };

  if (breaker.hasProbesInFlight()) {
    const ticket = breaker.probeTicket(await kong.ctx.shared.get(PROBE_MARKER_KEY));
    if (ticket !== undefined) {
      breaker.settleProbe(ticket, await outcomeOf(), now);
      return logTransitions(kong, entry.key, breaker);
    }
  }
  let outcome: Outcome = breaker.currentState === 'closed' ? await outcomeOf() : { kind: 'none' };
  const started = startedAt(data);
  // in flight across the latest close: a probe of the trial that closed it, answering after its
  // place was given up, says nothing about the recovered period (rare: one more round trip)
  if (outcome.kind !== 'none' && breaker.receivedBeforeClose(started) && breaker.probeTicket(await kong.ctx.shared.get(PROBE_MARKER_KEY)) !== undefined) {
    outcome = { kind: 'none' };
  }
  await breaker.settle(outcome, now, started);
  await logTransitions(kong, entry.key, breaker);
}

export class Plugin {
  private readonly instance: Instance;

  /** Never throws: a bad config must not make Kong retry instance creation forever
   *  (Kong/kong#9384); it is reported per request instead, and requests pass. */
  constructor(config: unknown) {
    const rawConfig = typeof config === 'object' && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
    let family: Family;
    try {
      family = familyFor(rawConfig);
    } catch (error) {
      family = unusableFamily(error instanceof Error ? error.message : String(error));
    }
    this.instance = { family, rawConfig };
  }

  async access(kong: Kong): Promise<void> {
    await failOpen(kong, 'access', () => access(kong, this.instance));
  }

  async log(kong: Kong): Promise<void> {
    await failOpen(kong, 'log', () => log(kong, this.instance));
  }
}
