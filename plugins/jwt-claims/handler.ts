/**
 * The `access` phase. PDK round trips (each one a unix-socket exchange with Kong):
 *   1. kong.request.getHeaders(1000)      — headers, cookies, Authorization, preflight marker
 *   +  kong.request.getQuery(1000)        — only with query_param_names configured
 *   +  kong.request.getMethod()           — only with run_on_preflight=false and a CORS preflight,
 *                                           which then passes with at most one setHeaders, only
 *                                           when the client sent a header this plugin vouches for
 *   +  kong.client.loadConsumer()         — only with consumer_claim, and not when the answer
 *                                           for this claim value is remembered (consumer_cache_ttl)
 *   +  kong.client.authenticate()         — only with consumer_claim and a consumer found
 *   2. kong.service.request.setHeaders()  — claims forwarded, X-Consumer-* (with consumer_claim),
 *                                           spoofed copies cleared (`_` spellings by their own
 *                                           names: header-spellings.ts), hidden token removed
 *                                           (skipped when there is nothing to set)
 *   +  kong.service.request.setQuery()    — only to hide a token sent as a query parameter
 *   3. kong.ctx.shared.set(jwt_claims_passed, true) — only with mark_passed (kong-ctl's fail-closed guard)
 * A refusal is getHeaders + one kong.response.exit. A cached token costs no crypto.
 */
import { markPassed } from '../shared/ctx-marker';
import { failClosed } from '../shared/fail-closed';
import { jwtClaimsMetrics } from '../shared/metrics';
import { nowSeconds } from '../shared/clock';
import { otherSpellings } from '../shared/header-spellings';
import { fieldCount, KONG_MAX_FIELDS, luaTable, type HeaderValues, type Kong, type QueryArgs } from '../shared/pdk';
import { refuse, UNEXPECTED_ERROR_MESSAGE } from '../shared/respond';
import type { CompiledConfig } from './config';
import type { Failure } from './failures';
import { Name } from './meta';
import { refusalFor } from './responses';
import { anonymousHeaders, identify } from './consumer';
import { authenticate, jwksStoreFor, runtimeFor, type Runtime } from './runtime';
import { disclosedNote } from './jwks';
import {
  cookieHeaderWithout,
  lowerCaseHeaders,
  queryWithout,
  tokensInHeaders,
  tokensInQuery,
} from './token-source';

const metrics = jwtClaimsMetrics();

async function reject(kong: Kong, config: CompiledConfig, failure: Failure): Promise<void> {
  metrics.rejected(failure.code);
  if (failure.code === 'keys_unavailable') await logKeysUnavailable(kong, config);
  if (failure.code === 'key_not_found') await logDisclosedKeysOnce(kong, config);
  const refusal = refusalFor(failure, config.realm, config.jwks.cooldownMs / 1000);
  return refuse(kong, refusal.status, refusal.message, refusal.headers);
}

/** Operators need the reason the identity provider could not be reached; clients do not. */
async function logKeysUnavailable(kong: Kong, config: CompiledConfig): Promise<void> {
  const reasons: string[] = [];
  for (const issuer of config.issuers.values()) {
    const store = jwksStoreFor(issuer, config);
    if (store?.lastError) reasons.push(`${store.uri}: ${store.lastError}`);
    else if (store?.disclosedKeys.length) reasons.push(`${store.uri}:${disclosedNote(store.disclosedKeys)}`);
  }
  await kong.log.warn(`[${Name}] signing keys unavailable: ${reasons.join('; ') || 'no key set fetched yet'}`);
}

/**
 * A key set that publishes a private key is the identity provider's emergency, not the client's:
 * said once per fetched set (on the first token refused for want of a key), not per request.
 */
async function logDisclosedKeysOnce(kong: Kong, config: CompiledConfig): Promise<void> {
  for (const issuer of config.issuers.values()) {
    const store = jwksStoreFor(issuer, config);
    if (!store || store.disclosedKeys.length === 0 || store.disclosedReported) continue;
    store.disclosedReported = true;
    await kong.log.err(`[${Name}] ${store.uri}:${disclosedNote(store.disclosedKeys)}`);
  }
}

async function isPreflight(kong: Kong, headers: Map<string, string[]>): Promise<boolean> {
  if (!headers.has('access-control-request-method')) return false;
  return (await kong.request.getMethod()) === 'OPTIONS';
}

/** Clears (by their own names) the `_` spellings a client sent of the headers this plugin vouches for. */
function clearOtherSpellings(upstream: HeaderValues, config: CompiledConfig, headers: Map<string, string[]>): void {
  for (const sent of otherSpellings(headers.keys(), config.vouched.folded)) upstream[sent] = [];
}

/**
 * A preflight passes unauthenticated, but what a client sent under the names this plugin vouches
 * for (forwarded claims, X-Consumer-*), in any spelling, still never reaches the upstream.
 */
async function clearVouchedHeaders(kong: Kong, config: CompiledConfig, headers: Map<string, string[]>): Promise<void> {
  const upstream: HeaderValues = luaTable();
  for (const h of config.vouched.headers) if (headers.has(h.toLowerCase())) upstream[h] = [];
  clearOtherSpellings(upstream, config, headers);
  if (Object.keys(upstream).length > 0) await kong.service.request.setHeaders(upstream);
}

export async function access(kong: Kong, runtime: Runtime): Promise<void> {
  const config = runtime.config;
  if (!config) {
    await kong.log.err(`[${Name}] invalid configuration: ${runtime.errors.join('; ')}`);
    return refuse(kong, 500, UNEXPECTED_ERROR_MESSAGE);
  }

  const headers = lowerCaseHeaders(await kong.request.getHeaders(KONG_MAX_FIELDS));
  if (fieldCount(headers.values()) >= KONG_MAX_FIELDS) return reject(kong, config, { code: 'too_many_fields' });
  if (!config.runOnPreflight && (await isPreflight(kong, headers))) return clearVouchedHeaders(kong, config, headers);

  const found = tokensInHeaders(headers, config.headerNames, config.cookieNames);
  let query: QueryArgs | undefined;
  if (config.queryNames.length > 0) {
    query = await kong.request.getQuery(KONG_MAX_FIELDS);
    if (fieldCount(Object.values(query)) >= KONG_MAX_FIELDS) return reject(kong, config, { code: 'too_many_fields' });
    found.push(...tokensInQuery(query, config.queryNames));
  }
  if (found.length === 0) return reject(kong, config, { code: 'no_token' });
  if (found.length > 1) return reject(kong, config, { code: 'multiple_tokens' });
  const presented = found[0]!;

  const verdict = await authenticate(runtime, config, presented.token, nowSeconds());
  if (!verdict.ok) return reject(kong, config, verdict.failure);

  const upstream: HeaderValues = { ...verdict.value.forwardHeaders };
  if (config.consumer) {
    const identified = await identify(kong, config.consumer, verdict.value.claims);
    if (!identified && !config.consumer.optional) return reject(kong, config, { code: 'no_consumer', detail: config.consumer.claim });
    if (identified) await kong.client.authenticate(identified.consumer, identified.credential);
    Object.assign(upstream, identified ? identified.headers : anonymousHeaders());
  }
  clearOtherSpellings(upstream, config, headers);
  if (config.hideCredentials) {
    const source = presented.source;
    if (source.kind === 'header') upstream[source.name] = [];
    else if (source.kind === 'cookie') upstream.cookie = cookieHeaderWithout(headers.get('cookie') ?? [], source.name) ?? [];
    else if (query) await kong.service.request.setQuery(queryWithout(query, source.name));
  }
  if (Object.keys(upstream).length > 0) await kong.service.request.setHeaders(upstream);
  metrics.accepted();
  if (config.markPassed) await markPassed(kong, Name);
}

export class Plugin {
  private readonly runtime: Runtime;

  /** Never throws: a bad config must not make Kong retry instance creation forever
   *  (Kong/kong#9384); it is reported, and refused, per request instead. */
  constructor(config: unknown) {
    let runtime: Runtime;
    try {
      runtime = runtimeFor(config);
    } catch (error) {
      runtime = { errors: [error instanceof Error ? error.message : String(error)] };
    }
    this.runtime = runtime;
  }

  async access(kong: Kong): Promise<void> {
    await failClosed(kong, Name, 'access', () => access(kong, this.runtime));
  }
}
