/**
 * Module-scope state of jwt-claims: per config (compiled config + verified-token cache) and per
 * JWKS URL. Plugin instances are short-lived (kong-pdk drops them after 60 s idle, Kong replaces
 * them on config change); this state is what makes a repeated token cost no crypto and what keeps
 * serving keys while an identity provider is down.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { nowSeconds } from '../shared/clock';
import { ConfigScoped, configKey, pluginSettings } from '../shared/config-key';
import { checkTimeClaims } from './claims';
import { compileConfig, withDefaults, type CompiledConfig, type CompiledIssuer } from './config';
import { ok, type Result } from './failures';
import { JwksStore, fetchJwks } from './jwks';
import { verifyToken, type VerifiedToken } from './verify';

export interface Runtime {
  config?: CompiledConfig;
  /** Why the config cannot be used (then every request gets a 500). */
  errors: string[];
  cache?: LRUCache<string, VerifiedToken>;
}

const runtimes = new ConfigScoped<Runtime>(128);
const jwksStores = new ConfigScoped<JwksStore>(256);

const jwksClock = (): number => nowSeconds() * 1000;

export function jwksStoreFor(issuer: CompiledIssuer, config: CompiledConfig): JwksStore | undefined {
  if (issuer.jwksUri === null) return undefined;
  const uri = issuer.jwksUri;
  // The plugin's clock (KONG_PLUGINS_TEST_CLOCK_FILE in tests, else Date.now), as for tokens and
  // consumer lookups: tests move jwks_cache_ttl and jwks_refresh_cooldown without sleeping.
  return jwksStores.get(configKey({ uri, ...config.jwks }), () => new JwksStore(uri, config.jwks, fetchJwks, jwksClock));
}

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  return runtimes.get(configKey(settings), () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors };
    const runtime: Runtime = { config: compiled.config, errors: [] };
    if (compiled.config.cacheSize > 0) runtime.cache = new LRUCache({ max: compiled.config.cacheSize });
    return runtime;
  });
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/**
 * The verdict on a token, from the cache when it was verified before. A cached token's time
 * claims are checked again on every hit (the clock moved); its entry never outlives its `exp`.
 */
export async function authenticate(runtime: Runtime, config: CompiledConfig, token: string, now: number): Promise<Result<VerifiedToken>> {
  const cache = runtime.cache;
  const key = cache ? tokenKey(token) : '';
  const cached = cache?.get(key);
  if (cached) {
    const timeFailure = checkTimeClaims(cached.claims, now, config.time);
    if (timeFailure) {
      cache!.delete(key);
      return { ok: false, failure: timeFailure };
    }
    return cached.ruleFailure ? { ok: false, failure: cached.ruleFailure } : ok(cached);
  }

  const verdict = await verifyToken(token, config, now, (issuer) => jwksStoreFor(issuer, config));
  if (!verdict.ok) return verdict;
  if (cache) {
    const exp = verdict.value.claims.exp;
    const untilExp = typeof exp === 'number' ? exp + config.time.leeway - now : Number.POSITIVE_INFINITY;
    const ttlSeconds = Math.min(config.cacheTtlSeconds, untilExp);
    if (ttlSeconds > 0) cache.set(key, verdict.value, { ttl: Math.floor(ttlSeconds * 1000) || 1 });
  }
  return verdict.value.ruleFailure ? { ok: false, failure: verdict.value.ruleFailure } : verdict;
}
