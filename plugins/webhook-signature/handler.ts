/**
 * The `access` and `log` phases. PDK round trips (each one a unix-socket exchange with Kong):
 *
 * access
 *   1. kong.request.getHeaders(1000)    — every header the scheme and dedup read, Content-Length
 *   2. kong.request.getRawBody(max)     — only once the headers, timestamp and declared size pass
 *   +  kong.ctx.shared.set(claim)       — only with dedup, when this delivery claimed its id
 *   3. kong.ctx.shared.set(webhook_signature_passed, true) — only with mark_passed (kong-ctl's fail-closed guard)
 * A refusal is getHeaders (+ getRawBody) + one kong.response.exit.
 *
 * log (every request the plugin ran on)
 *   none without dedup, nor while no delivery in this process holds a claim and the process is
 *   older than in_flight_ttl (shared/held-claims.ts: duplicates, refusals...); else
 *   1. kong.ctx.shared.get(claim)
 *   +  kong.response.getStatus()        — only when access claimed an id
 *   +  kong.response.getSource()        — only for a 2xx, to tell the upstream from a later exit
 *
 * The body is read with max_body_size as its limit: from Kong 3.8 that lets Kong read a body nginx
 * buffered to a file (larger than client_body_buffer_size), which is how deliveries larger than
 * Kong's default 8 KiB buffer verify. Kong 3.4's get_raw_body has no size argument: there such a
 * body makes Kong itself fail the request with a 500 while answering the call, so
 * nginx_http_client_body_buffer_size must be at least max_body_size.
 */
import { nowSeconds } from '../shared/clock';
import { markPassed } from '../shared/ctx-marker';
import { failClosed } from '../shared/fail-closed';
import { KEPT_AFTER_LOCK_MS } from '../shared/held-claims';
import { webhookMetrics } from '../shared/metrics';
import { fieldCount, KONG_MAX_FIELDS, type Kong } from '../shared/pdk';
import { refuse, UNEXPECTED_ERROR_MESSAGE } from '../shared/respond';
import { isStoreUnavailable } from '../shared/store';
import type { CompiledConfig } from './config';
import { admit, claimFromCtx, dedupKey, describeSource, eventIdOf, settle, unsignedIdBody } from './dedup';
import { answerFor, type Failure } from './failures';
import { headerMap, type HeaderMap } from './headers';
import { Name } from './meta';
import { heldClaims, runtimeFor, type Runtime } from './runtime';
import { checkBody, checkHeaders, declaredTooLarge } from './verify';

/** kong.ctx.shared key carrying a dedup claim from access to log. */
export const CLAIM_CTX_KEY = 'webhook_signature_claim';
const metrics = webhookMetrics();

export interface Instance {
  runtime: Runtime;
}

function answer(kong: Kong, config: CompiledConfig, failure: Failure): Promise<void> {
  metrics.refused(config.scheme.name, failure.code);
  const a = answerFor(failure);
  return refuse(kong, a.status, a.message, a.headers);
}

/** msgpack `bin` arrives as a Uint8Array that may view the server's receive buffer: copied. */
function bodyBytes(raw: Uint8Array | string | undefined | null): Buffer | undefined {
  if (raw === undefined || raw === null) return undefined;
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw);
}

/** Claims the event id; false when the request was answered here (duplicate, 409, 400, 503). */
async function deduplicate(kong: Kong, instance: Instance, config: CompiledConfig, headers: HeaderMap, body: Buffer, signedId: string | undefined): Promise<boolean> {
  const dedup = config.dedup;
  const store = instance.runtime.store;
  if (!dedup || !store) return true;
  const eventId = eventIdOf(dedup.source, headers, body, signedId);
  if (eventId === undefined) {
    await answer(kong, config, { code: 'missing_event_id', header: describeSource(dedup.source) });
    return false;
  }
  const admission = await admit(store, dedupKey(instance.runtime.namespace, eventId, unsignedIdBody(dedup.source, body)), dedup.inFlightTtlMs);
  switch (admission.kind) {
    case 'claimed':
      // Held before the hand-over: from here on this request's log phase must look for it.
      heldClaims.hold(admission.claim.token, dedup.inFlightTtlMs);
      try {
        await kong.ctx.shared.set(CLAIM_CTX_KEY, { key: admission.claim.key, token: admission.claim.token });
      } catch (error) {
        // Without the hand-over the log phase cannot settle the claim: free the id before failing.
        heldClaims.settle(admission.claim.token);
        await store.release(admission.claim).catch(() => false);
        throw error;
      }
      return true;
    case 'duplicate':
      await answer(kong, config, { code: 'duplicate' });
      return false;
    case 'in_flight':
      await answer(kong, config, { code: 'in_flight', retryAfter: admission.retryAfterSeconds });
      return false;
    case 'unavailable':
      if (dedup.faultTolerant) {
        await kong.log.warn(`[${Name}] de-duplication store unavailable, proxying without de-duplication: ${admission.error.message}`);
        return true;
      }
      await kong.log.err(`[${Name}] de-duplication store unavailable: ${admission.error.message}`);
      await answer(kong, config, { code: 'store_unavailable' });
      return false;
  }
}

export async function access(kong: Kong, instance: Instance): Promise<void> {
  const config = instance.runtime.config;
  if (!config) {
    await kong.log.err(`[${Name}] invalid configuration: ${instance.runtime.errors.join('; ')}`);
    return refuse(kong, 500, UNEXPECTED_ERROR_MESSAGE);
  }

  const headers = headerMap(await kong.request.getHeaders(KONG_MAX_FIELDS));
  if (fieldCount(headers.values()) >= KONG_MAX_FIELDS) return answer(kong, config, { code: 'too_many_headers' });
  const presented = checkHeaders(config, headers, nowSeconds());
  if (!presented.ok) return answer(kong, config, presented.failure);
  if (declaredTooLarge(headers, config.maxBodySize)) return answer(kong, config, { code: 'body_too_large' });

  const body = bodyBytes(await kong.request.getRawBody(config.maxBodySize));
  if (!body) {
    throw new Error('request body unavailable (buffered to a file by nginx, on a Kong before 3.8): set nginx_http_client_body_buffer_size to at least max_body_size');
  }
  const failure = checkBody(config, presented.value, body);
  if (failure) return answer(kong, config, failure);
  metrics.verified(config.scheme.name);

  if (!(await deduplicate(kong, instance, config, headers, body, presented.value.id))) return;
  if (config.markPassed) await markPassed(kong, Name);
}

export async function log(kong: Kong, instance: Instance): Promise<void> {
  const dedup = instance.runtime.config?.dedup;
  const store = instance.runtime.store;
  if (!dedup || !store) return;
  // Asking Kong for this request's claim costs a round trip: only while some delivery holds one.
  const { held, expired } = heldClaims.any(dedup.inFlightTtlMs);
  if (expired > 0) {
    await kong.log.warn(
      `[${Name}] ${expired} de-duplication claim(s) of deliveries that never ended (still unfinished ${KEPT_AFTER_LOCK_MS / 60000} min after in_flight_ttl, or dropped by Kong): their ids were free again since in_flight_ttl`,
    );
  }
  if (!held) return;
  const claim = claimFromCtx(await kong.ctx.shared.get(CLAIM_CTX_KEY));
  if (!claim || !heldClaims.settle(claim.token)) return;

  const status = await kong.response.getStatus();
  const fromService = status >= 200 && status < 300 ? (await kong.response.getSource()) === 'service' : false;
  try {
    const outcome = await settle(store, claim, status, fromService, dedup.ttlMs, nowSeconds());
    if (outcome === 'lost') {
      await kong.log.warn(`[${Name}] de-duplication claim expired before the delivery finished (status ${status}); raise dedup.in_flight_ttl`);
    }
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    await kong.log.err(`[${Name}] de-duplication store unavailable, outcome (status ${status}) not recorded: ${error.message}`);
  }
}

export class Plugin {
  private readonly instance: Instance;

  /** Never throws: a bad config must not make Kong retry instance creation forever
   *  (Kong/kong#9384); it is reported, and refused, per request instead. */
  constructor(config: unknown) {
    let runtime: Runtime;
    try {
      runtime = runtimeFor(config);
    } catch (error) {
      runtime = { errors: [error instanceof Error ? error.message : String(error)], namespace: '' };
    }
    this.instance = { runtime };
  }

  async access(kong: Kong): Promise<void> {
    await failClosed(kong, Name, 'access', () => access(kong, this.instance));
  }

  async log(kong: Kong): Promise<void> {
    await failClosed(kong, Name, 'log', () => log(kong, this.instance));
  }
}
