/**
 * Phases and their PDK round trips (each one a unix-socket exchange with Kong).
 *
 * access — for a method not configured: 1 (nginx.getVar('request'), method and target in one
 *   call, request-line.ts). Else:
 *   getVar('request'), getHeaders (key, client header, body size: a 400, 411 or 413 exits here,
 *   3 calls in all), getCredential, [getConsumer unless the credential names its consumer],
 *   [getForwardedIp when no credential and no client header], [router.getRoute unless the plugin
 *   is route-scoped], [getRawBody unless the headers declare an empty body], then one store call
 *   (atomic claim, or read of what is there) and
 *   - first request: ctx.shared.set (the claim, for the later phases) -> proxied;
 *   - replay / 409 / 422 / 503: one kong.response.exit.
 *   A first request with a body from a client with neither credential nor client header thus
 *   costs 7 (route-scoped). An optional call is skipped only when its answer is already known,
 *   never guessed: an absent Content-Length does not mean an empty body (HTTP/2 and HTTP/3 may
 *   send one without it), so only `Content-Length: 0` skips the read.
 * response — none while no request in this process holds a claim and the process is older than
 *   lock_ttl (shared/held-claims.ts: replays, other methods, requests without a key); else
 *   ctx.shared.get, and for this request's claim
 *   getStatus, [getSource for a 5xx only: Kong's own 502/504 end here, the 502 with a release,
 *   the 504 with a warn], getHeaders, [getRawBody unless the response has no content: 204, 304,
 *   Content-Length: 0] and one store call (complete or release). Implementing `response` makes Kong
 *   buffer the upstream response on the routes this plugin runs on: that is how a JS plugin gets
 *   the body, and Kong runs this phase for its own 502/504 too (the failure happens in the
 *   buffering subrequest, whose error page Kong.response then treats as the response).
 * log — likewise none while no claim is held; else ctx.shared.get, and for a claim the response
 *   phase never settled nginx.getCtx('KONG_PROXIED'): a request Kong never proxied (a later
 *   plugin refused it in access) is released; for one it proxied getCtx('buffered_proxying'), and
 *   when Kong did not buffer it getStatus [+ getSource for a status that may release the key]: an
 *   unstored upstream status or Kong's 502 is released, anything else kept until lock_ttl (warn).
 */
import { failClosed } from '../shared/fail-closed';
import { KEPT_AFTER_LOCK_MS } from '../shared/held-claims';
import { idempotencyMetrics } from '../shared/metrics';
import { fieldCount, KONG_MAX_FIELDS, multiValues, type Kong, type MultiMap } from '../shared/pdk';
import { refuse, UNEXPECTED_ERROR_MESSAGE } from '../shared/respond';
import { isStoreUnavailable, StoreEntryTooLargeError, type Claim, type StoreEntry } from '../shared/store';
import { isStoredStatus, type CompiledConfig } from './config';
import { readIdempotencyKey } from './key';
import { Name } from './meta';
import { problemFor, sendProblem, type ProblemCode } from './problems';
import { decodeResponse, encodeResponse, replayableHeaders, replayHeaders } from './record';
import { parseRequestLine } from './request-line';
import { heldClaims, runtimeFor, type Runtime } from './runtime';
import { consumerIdOfCredential, credentialScopeOf, fingerprintOf, idOf, identityOf, needsFallback, storeKeyFor } from './scope';

/** kong.ctx.shared key carrying the claim from access to response and log. */
export const CTX_KEY = 'idempotency_claim';
const EMPTY = Buffer.alloc(0);
const metrics = idempotencyMetrics();

interface InFlight {
  key: string;
  token: string;
  fp: string;
}

function asInFlight(value: unknown): InFlight | undefined {
  const v = value as Partial<InFlight> | null | undefined;
  return typeof v?.key === 'string' && typeof v.token === 'string' && typeof v.fp === 'string' ? (v as InFlight) : undefined;
}

function headerValues(headers: MultiMap, lowerName: string): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerName) out.push(...multiValues(value));
  return out;
}

function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function problem(kong: Kong, config: CompiledConfig, code: ProblemCode): Promise<void> {
  metrics.problem(code);
  return sendProblem(
    kong,
    problemFor(code, {
      header: config.headerLabel,
      maxKeyLength: config.maxKeyLength,
      maxRequestBodySize: config.maxRequestBodySize,
      retryAfterSeconds: config.retryAfterSeconds,
      clientHeader: config.clientHeaderLabel ?? '',
    }),
  );
}

/** The client's identity, or the problem that refuses it. */
async function identity(kong: Kong, config: CompiledConfig, headers: MultiMap): Promise<string | { problem: ProblemCode }> {
  const credential = await kong.client.getCredential();
  const credentialScope = credentialScopeOf(credential);
  let consumerId = consumerIdOfCredential(credential);
  if (consumerId === undefined) consumerId = idOf(await kong.client.getConsumer());
  let fallback = '';
  if (needsFallback(credentialScope)) {
    const lines = config.clientHeader ? headerValues(headers, config.clientHeader) : [];
    // Picking one of several lines would let a client put its own before the one a front proxy
    // appended, and choose whose responses it is served.
    if (lines.length > 1) return { problem: 'client_header_repeated' };
    const fromHeader = lines[0];
    fallback = fromHeader !== undefined && fromHeader !== '' ? `header:${fromHeader}` : `ip:${await kong.client.getForwardedIp()}`;
  }
  return identityOf(consumerId, credentialScope, fallback);
}

/**
 * The body is read only when it is known to fit, with max_request_body_size as the limit Kong 3.8
 * needs to read a body nginx buffered to disk (beyond client_body_buffer_size). A body Kong does
 * not return (too large, or on disk before 3.8) is nil, which breaks the PDK reply itself (a Lua
 * error packing the Step: a 500), so the size is checked on the headers first. A body of unknown
 * length (chunked) could be any size: 411.
 */
function bodySizeProblem(headers: MultiMap, max: number): ProblemCode | undefined {
  const lengths = headerValues(headers, 'content-length');
  if (lengths.length === 0) return headerValues(headers, 'transfer-encoding').length > 0 ? 'body_length_unknown' : undefined;
  const length = Number(lengths[0]);
  if (lengths.length > 1 || !/^\d+$/.test(lengths[0]!.trim())) return 'body_length_unknown';
  return length > max ? 'body_too_large' : undefined;
}

/**
 * A body known to be empty without reading it: exactly one `Content-Length: 0` and no
 * Transfer-Encoding (nginx refuses more bytes than declared, on HTTP/1 and HTTP/2 alike).
 */
function declaresEmptyBody(headers: MultiMap): boolean {
  const lengths = headerValues(headers, 'content-length');
  return lengths.length === 1 && lengths[0]!.trim() === '0' && headerValues(headers, 'transfer-encoding').length === 0;
}

/** RFC 9110 §15.3.5 and §15.4.5: these responses never carry content. */
const NO_CONTENT_STATUSES = new Set([204, 304]);

type ClaimOutcome = { kind: 'claimed'; claim: Claim } | { kind: 'existing'; entry: StoreEntry } | { kind: 'vanishing' };

/** Claim, or see what holds the key; a key that vanished between the two is claimed once more. */
async function claimOrRead(runtime: Runtime, key: string, ttlMs: number, fp: string): Promise<ClaimOutcome> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await runtime.store!.claim(key, ttlMs, Buffer.from(fp, 'latin1'));
    if (result.acquired) return { kind: 'claimed', claim: result.claim };
    if (result.entry) return { kind: 'existing', entry: result.entry };
  }
  return { kind: 'vanishing' };
}

async function answerExisting(kong: Kong, config: CompiledConfig, entry: StoreEntry, fp: string): Promise<void> {
  if (entry.state === 'claimed') {
    return problem(kong, config, entry.info.toString('latin1') === fp ? 'request_outstanding' : 'key_reused');
  }
  const record = decodeResponse(entry.value);
  if (!record) throw new Error('stored response is unreadable (unknown format)');
  if (record.fingerprint !== fp) return problem(kong, config, 'key_reused');
  metrics.replayed();
  return kong.response.exit(record.status, record.body, replayHeaders(record));
}

export async function access(kong: Kong, runtime: Runtime, routeId: string | null): Promise<void> {
  const config = runtime.config;
  if (!config || !runtime.store) {
    await kong.log.err(`[${Name}] invalid configuration: ${runtime.errors.join('; ')}`);
    return refuse(kong, 500, UNEXPECTED_ERROR_MESSAGE);
  }
  const line = parseRequestLine(await kong.nginx.getVar('request'));
  if (!line) throw new Error("nginx's $request is not a request line");
  const { method, target } = line;
  if (!config.methods.has(method)) return;

  // A second key, Content-Length or Transfer-Encoding past what Kong hands over would go unseen.
  const headers = await kong.request.getHeaders(KONG_MAX_FIELDS);
  if (fieldCount(Object.values(headers)) >= KONG_MAX_FIELDS) return problem(kong, config, 'too_many_headers');
  const read = readIdempotencyKey(headerValues(headers, config.headerName), config.maxKeyLength);
  if (!read.ok) {
    if (read.reason === 'missing') return config.required ? problem(kong, config, 'key_missing') : undefined;
    return problem(kong, config, read.reason === 'too_long' ? 'key_too_long' : 'key_malformed');
  }

  const bodyProblem = bodySizeProblem(headers, config.maxRequestBodySize);
  if (bodyProblem) return problem(kong, config, bodyProblem);

  const who = await identity(kong, config, headers);
  if (typeof who !== 'string') return problem(kong, config, who.problem);
  const route = routeId ?? idOf(await kong.router.getRoute()) ?? '';
  // Kong reads a body on disk up to the limit given, and takes 0 as no limit at all.
  const raw = declaresEmptyBody(headers) ? EMPTY : await kong.request.getRawBody(Math.max(1, config.maxRequestBodySize));
  if (raw === undefined || raw === null) return problem(kong, config, 'body_too_large');
  // An HTTP/2 body may come without Content-Length; one nginx kept in memory is handed over whole.
  const body = toBuffer(raw);
  if (body.length > config.maxRequestBodySize) return problem(kong, config, 'body_too_large');
  const fp = fingerprintOf(method, target, body);
  const key = storeKeyFor(route, who, read.key);

  let outcome: ClaimOutcome;
  try {
    outcome = await claimOrRead(runtime, key, config.lockTtlMs, fp);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    metrics.storeError('claim');
    if (config.faultTolerant) {
      await kong.log.warn(`[${Name}] store unavailable, proxying WITHOUT the idempotency guarantee: ${error.message}`);
      return;
    }
    await kong.log.warn(`[${Name}] store unavailable, refusing with 503: ${error.message}`);
    return problem(kong, config, 'store_unavailable');
  }

  if (outcome.kind === 'existing') return answerExisting(kong, config, outcome.entry, fp);
  if (outcome.kind === 'vanishing') return problem(kong, config, 'request_outstanding');

  const flight: InFlight = { key: outcome.claim.key, token: outcome.claim.token, fp };
  // Held before the hand-over: from here on this request's later phases must look for it.
  heldClaims.hold(flight.token, config.lockTtlMs);
  try {
    await kong.ctx.shared.set(CTX_KEY, flight);
  } catch (error) {
    // Without the hand-over no later phase can finish the claim: free the key before failing.
    heldClaims.settle(flight.token);
    await runtime.store.release(outcome.claim).catch(() => false);
    throw error;
  }
}

async function release(kong: Kong, runtime: Runtime, flight: InFlight, why: string): Promise<void> {
  try {
    if (await runtime.store!.release({ key: flight.key, token: flight.token })) {
      await kong.log.info(`[${Name}] key released (${why}): the client may retry`);
    }
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    metrics.storeError('release');
    await kong.log.warn(`[${Name}] could not release a key (${why}), it stays locked until lock_ttl: ${error.message}`);
  }
}

/**
 * This request's claim, if it may hold one. Asking Kong costs a round trip, so it is only asked
 * while some request in this process holds a claim, or for lock_ttl after the process started.
 */
async function heldFlight(kong: Kong, config: CompiledConfig): Promise<InFlight | undefined> {
  const { held, expired } = heldClaims.any(config.lockTtlMs);
  if (expired > 0) {
    await kong.log.warn(
      `[${Name}] ${expired} request(s) holding a key never ended (still unfinished ${KEPT_AFTER_LOCK_MS / 60000} min after lock_ttl, or dropped by Kong): their keys were free again since lock_ttl`,
    );
  }
  return held ? asInFlight(await kong.ctx.shared.get(CTX_KEY)) : undefined;
}

export async function response(kong: Kong, runtime: Runtime): Promise<void> {
  const config = runtime.config;
  if (!config || !runtime.store) return;
  const flight = await heldFlight(kong, config);
  if (!flight) return;
  // From here on the upstream has answered: whatever happens, the log phase must not release.
  heldClaims.settle(flight.token);

  const status = await kong.service.response.getStatus();
  // Kong's own answer to an upstream failure reaches this phase as the buffered response, with
  // get_source() "error"; asked for a 5xx only, so that other responses pay nothing for it.
  if (typeof status === 'number' && status >= 500 && (await kong.response.getSource()) === 'error') {
    return kongError(kong, runtime, flight, status);
  }
  if (typeof status !== 'number' || !isStoredStatus(config, status)) {
    return release(kong, runtime, flight, `upstream status ${status ?? 'unknown'} is not stored`);
  }
  const headers = await kong.response.getHeaders(KONG_MAX_FIELDS);
  const lengths = headerValues(headers, 'content-length');
  const declared = Number(lengths[0]);
  const tooLarge = (size: number) =>
    release(kong, runtime, flight, `response of ${size} bytes exceeds max_response_size ${config.maxResponseSize}`).then(() =>
      kong.log.warn(`[${Name}] response not stored: ${size} bytes > max_response_size ${config.maxResponseSize}`),
    );
  if (Number.isFinite(declared) && declared > config.maxResponseSize) return tooLarge(declared);
  const noContent = NO_CONTENT_STATUSES.has(status) || declaresEmptyBody(headers);
  const raw = noContent ? EMPTY : await kong.service.response.getRawBody();
  const body = raw === undefined || raw === null ? EMPTY : toBuffer(raw);
  if (body.length > config.maxResponseSize) return tooLarge(body.length);

  const record = encodeResponse({ fingerprint: flight.fp, status, headers: replayableHeaders(headers), body });
  try {
    const stored = await runtime.store.complete({ key: flight.key, token: flight.token }, record, config.ttlMs);
    if (!stored) {
      await kong.log.warn(`[${Name}] response not stored: the key's lock expired before the upstream answered (raise lock_ttl)`);
    }
  } catch (error) {
    // A record the memory store can never hold is an oversize response, not an outage: released.
    if (error instanceof StoreEntryTooLargeError) {
      await release(kong, runtime, flight, `stored response of ${error.size} bytes exceeds memory.max_bytes ${error.bound}`);
      return kong.log.warn(`[${Name}] response not stored: ${error.size} bytes > memory.max_bytes ${error.bound}`);
    }
    if (!isStoreUnavailable(error)) throw error;
    metrics.storeError('complete');
    await kong.log.warn(`[${Name}] response not stored, the key stays locked until lock_ttl: ${error.message}`);
  }
}

/**
 * Kong answered the request itself after proxying it. A 502 is its answer to a connection that
 * failed (refused, reset, an invalid response): the client may retry, as the issue asks, so the
 * key is released. A 504 means the upstream got the request and did not answer within
 * read_timeout: it may still be processing it, so the key stays locked until lock_ttl (the
 * retry gets 409 + Retry-After), never a second execution. Any other Kong error is released.
 * Nothing of Kong's error is stored: its body is Kong's, and get_raw_body raises then anyway
 * (kong/error_handlers.lua clears ctx.buffered_proxying).
 */
async function kongError(kong: Kong, runtime: Runtime, flight: InFlight, status: number): Promise<void> {
  if (status === 504) {
    return kong.log.warn(
      `[${Name}] the upstream got the request but Kong got no response from it in time (504): it may still be processing it; the key stays locked until lock_ttl so that a retry does not run the request again`,
    );
  }
  const why = status === 502 ? "Kong's 502: the connection to the upstream failed" : `Kong's own ${status}`;
  return release(kong, runtime, flight, why);
}

/**
 * A claim the response phase never settled. Under buffered proxying Kong's own 502/504 go
 * through that phase, so what is left here is rarer. Only a request Kong never proxied is known
 * not to have reached the upstream: Kong sets KONG_PROXIED once no plugin answered in access,
 * before the balancer; a later plugin's refusal leaves it unset, and the key is released. Once
 * proxied, the upstream got the request: Kong did not buffer its response (HTTP/2 before 3.9, a
 * connection upgrade: Kong.access cleared buffered_proxying), or cut it off (res.truncated: Kong's
 * error handler cleared buffered_proxying and answered 502 without a response phase, get_source
 * "exit"), or a plugin before this one ended the response phase (buffered_proxying still set).
 * Releasing would let the retry run the operation again, so the key stays locked until lock_ttl
 * (the draft's 409 meanwhile), with a warning. Except what releases a key in the response phase,
 * which an unbuffered response settles here: an upstream status that is not stored (every 5xx,
 * 408, 425, 429) and Kong's own 5xx but 504 (its 502: the connection failed), as the issue asks
 * that 5xx and connection failures let the client retry whatever the transport.
 */
export async function log(kong: Kong, runtime: Runtime): Promise<void> {
  const config = runtime.config;
  if (!config || !runtime.store) return;
  const flight = await heldFlight(kong, config);
  if (!flight || !heldClaims.settle(flight.token)) return;
  if ((await kong.nginx.getCtx('KONG_PROXIED')) !== true) {
    return release(kong, runtime, flight, 'the request never reached the upstream');
  }
  const buffered = (await kong.nginx.getCtx('buffered_proxying')) === true;
  if (!buffered) {
    // Unbuffered: the response phase never runs, so what it would release is released here.
    const status = await kong.response.getStatus();
    if (typeof status === 'number' && (status >= 500 || !isStoredStatus(config, status))) {
      const source = await kong.response.getSource();
      if (source === 'error' && status >= 500) return kongError(kong, runtime, flight, status);
      if (source === 'service' && !isStoredStatus(config, status)) {
        return release(kong, runtime, flight, `upstream status ${status} is not stored`);
      }
    }
  }
  const why = buffered
    ? 'the upstream got the request but the response phase did not reach this plugin'
    : 'response not buffered by Kong: cannot be stored (HTTP/2 before Kong 3.9, a connection upgrade, or a response body cut off before its end)';
  await kong.log.warn(`[${Name}] ${why}; the key stays locked until lock_ttl so that a retry does not run the request again`);
}

/**
 * The response phase runs after the upstream processed the request. Failing closed there (a 500
 * instead of its answer) would have the client retry an operation that did happen, so an error
 * is logged, the upstream's response goes through, and the key stays locked until lock_ttl.
 */
async function keepResponseOnError(kong: Kong, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    try {
      await kong.log.err(`[${Name}] response handler failed, response passed on unstored: ${describe(error)}`);
    } catch {
      // Logging is best effort.
    }
  }
}

export class Plugin {
  private readonly runtime: Runtime;
  /** Kong adds route_id to a route-scoped plugin's config: the route is then known for free. */
  private readonly routeId: string | null;

  /** Never throws: a bad config must not make Kong retry instance creation forever
   *  (Kong/kong#9384); it is reported, and refused, per request instead. */
  constructor(config: unknown) {
    let runtime: Runtime;
    try {
      runtime = runtimeFor(config);
    } catch (error) {
      runtime = { errors: [describe(error)] };
    }
    this.runtime = runtime;
    const routeId = (config as { route_id?: unknown } | null)?.route_id;
    this.routeId = typeof routeId === 'string' && routeId !== '' ? routeId : null;
  }

  async access(kong: Kong): Promise<void> {
    await failClosed(kong, Name, 'access', () => access(kong, this.runtime, this.routeId));
  }

  async response(kong: Kong): Promise<void> {
    await keepResponseOnError(kong, () => response(kong, this.runtime));
  }

  async log(kong: Kong): Promise<void> {
    await failClosed(kong, Name, 'log', () => log(kong, this.runtime));
  }
}
