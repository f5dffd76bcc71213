/**
 * From the config Kong sends to what verification uses: defaults applied, then everything Kong's
 * schema format cannot check (URLs, PEM keys, regular expressions, header names, duplicates)
 * checked once per config. Problems come back as a list of messages; the handler refuses every
 * request of a misconfigured instance with a 500 (fail closed) and logs them.
 */
import { vouchedNames, type VouchedNames } from '../shared/header-spellings';
import { applySchemaDefaults } from '../shared/schema-defaults';
import type { CompiledRule, TimePolicy } from './claims';
import { CONSUMER_HEADERS, type ConsumerMapping } from './consumer';
import type { HeaderMapping } from './forward-headers';
import type { JwksOptions } from './jwks';
import { parsePemPublicKey, type VerificationKey } from './keys';
import { Schema, SUPPORTED_ALGORITHMS, type Algorithm, type Config } from './schema';

export interface CompiledIssuer {
  issuer: string;
  jwksUri: string | null;
  staticKeys: VerificationKey[];
  /** Empty: the top-level audiences apply. */
  audiences: string[];
}

export interface CompiledConfig {
  issuers: Map<string, CompiledIssuer>;
  algorithms: ReadonlySet<Algorithm>;
  audiences: string[];
  /** Normalized (`tokenType`); empty: `typ` is not checked. */
  tokenTypes: string[];
  headerNames: string[];
  cookieNames: string[];
  queryNames: string[];
  time: TimePolicy;
  requiredClaims: string[];
  rules: CompiledRule[];
  headerMappings: HeaderMapping[];
  /** What the plugin vouches for upstream: the mapped headers, X-Consumer-* with consumer_claim. */
  vouched: { headers: string[]; folded: VouchedNames };
  /** null without consumer_claim: no consumer is set. */
  consumer: ConsumerMapping | null;
  hideCredentials: boolean;
  realm: string | null;
  runOnPreflight: boolean;
  markPassed: boolean;
  cacheSize: number;
  cacheTtlSeconds: number;
  jwks: JwksOptions;
}

export type CompileResult = { ok: true; config: CompiledConfig } | { ok: false; errors: string[] };

/** RFC 9110 §5.6.2 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers a claim must not overwrite: framing, routing and the credentials themselves. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'cookie',
]);

/** The config with Kong's defaults filled in (Kong sends them; a harness may not). */
export function withDefaults(raw: unknown): Record<string, unknown> {
  const input = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return applySchemaDefaults(Schema, input);
}

function consumerClaimSet(config: Config): boolean {
  return typeof config.consumer_claim === 'string' && config.consumer_claim !== '';
}

function vouchedOf(mappings: readonly HeaderMapping[], withConsumer: boolean): CompiledConfig['vouched'] {
  const headers = [...mappings.map((m) => m.header), ...(withConsumer ? CONSUMER_HEADERS : [])];
  return { headers, folded: vouchedNames(headers) };
}

/** RFC 7515 §4.1.9: `typ` is a media type, case-insensitive, whose `application/` may be left out. */
export function tokenType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function compileIssuers(config: Config, errors: string[]): Map<string, CompiledIssuer> {
  const issuers = new Map<string, CompiledIssuer>();
  if (!Array.isArray(config.issuers) || config.issuers.length === 0) {
    errors.push('issuers: at least one issuer is required');
    return issuers;
  }
  config.issuers.forEach((entry, i) => {
    const where = `issuers[${i}]`;
    if (typeof entry?.issuer !== 'string' || entry.issuer === '') {
      errors.push(`${where}.issuer: required`);
      return;
    }
    if (issuers.has(entry.issuer)) errors.push(`${where}.issuer: "${entry.issuer}" is listed twice`);
    const jwksUri = typeof entry.jwks_uri === 'string' && entry.jwks_uri !== '' ? entry.jwks_uri : null;
    if (jwksUri !== null) {
      let protocol = '';
      try {
        protocol = new URL(jwksUri).protocol;
      } catch {
        errors.push(`${where}.jwks_uri: not a URL`);
      }
      if (protocol && protocol !== 'https:' && protocol !== 'http:') errors.push(`${where}.jwks_uri: must be http or https`);
    }
    const staticKeys: VerificationKey[] = [];
    strings(entry.public_keys).forEach((pem, k) => {
      try {
        staticKeys.push({ key: parsePemPublicKey(pem) });
      } catch (error) {
        errors.push(`${where}.public_keys[${k}]: ${error instanceof Error ? error.message : 'unreadable'}`);
      }
    });
    if (jwksUri === null && strings(entry.public_keys).length === 0) {
      errors.push(`${where}: needs a jwks_uri or public_keys`);
    }
    issuers.set(entry.issuer, { issuer: entry.issuer, jwksUri, staticKeys, audiences: strings(entry.audiences) });
  });
  return issuers;
}

function compileRules(config: Config, errors: string[]): CompiledRule[] {
  const rules: CompiledRule[] = [];
  (Array.isArray(config.claim_rules) ? config.claim_rules : []).forEach((rule, i) => {
    const where = `claim_rules[${i}]`;
    if (typeof rule?.path !== 'string' || rule.path === '') {
      errors.push(`${where}.path: required`);
      return;
    }
    const compiled: CompiledRule = { path: rule.path };
    if (typeof rule.equals === 'string') compiled.equals = rule.equals;
    if (strings(rule.one_of).length > 0) compiled.oneOf = strings(rule.one_of);
    if (strings(rule.contains).length > 0) compiled.contains = strings(rule.contains);
    if (typeof rule.regex === 'string') {
      try {
        compiled.regex = new RegExp(rule.regex);
      } catch {
        errors.push(`${where}.regex: not a valid regular expression`);
      }
    }
    const conditions = ['equals', 'oneOf', 'contains', 'regex'].filter((k) => k in compiled);
    if (conditions.length === 0 && typeof rule.regex !== 'string') {
      errors.push(`${where}: needs at least one of equals, one_of, contains, regex`);
    }
    rules.push(compiled);
  });
  return rules;
}

function compileHeaderMappings(config: Config, tokenHeaders: readonly string[], errors: string[]): HeaderMapping[] {
  const consumerHeaders = typeof config.consumer_claim === 'string' ? CONSUMER_HEADERS.map((h) => h.toLowerCase()) : [];
  const seen = new Set<string>();
  const mappings: HeaderMapping[] = [];
  (Array.isArray(config.claims_to_headers) ? config.claims_to_headers : []).forEach((m, i) => {
    const where = `claims_to_headers[${i}]`;
    if (typeof m?.claim !== 'string' || m.claim === '') errors.push(`${where}.claim: required`);
    if (typeof m?.header !== 'string' || !HEADER_NAME.test(m.header)) {
      errors.push(`${where}.header: not a valid header name`);
      return;
    }
    const lower = m.header.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || tokenHeaders.includes(lower)) {
      errors.push(`${where}.header: "${m.header}" cannot carry a claim`);
    }
    if (consumerHeaders.includes(lower)) errors.push(`${where}.header: "${m.header}" is set from the consumer (consumer_claim)`);
    if (seen.has(lower)) errors.push(`${where}.header: "${m.header}" is mapped twice`);
    seen.add(lower);
    mappings.push({ claim: m.claim, header: m.header });
  });
  return mappings;
}

export function compileConfig(raw: unknown): CompileResult {
  const config = withDefaults(raw) as unknown as Config;
  const errors: string[] = [];
  const issuers = compileIssuers(config, errors);

  const algorithms = new Set<Algorithm>();
  for (const alg of strings(config.algorithms)) {
    if ((SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) algorithms.add(alg as Algorithm);
    else errors.push(`algorithms: "${alg}" is not accepted`);
  }
  if (algorithms.size === 0) errors.push('algorithms: at least one algorithm is required');

  const headerNames = strings(config.header_names).map((h) => h.toLowerCase());
  for (const h of headerNames) if (!HEADER_NAME.test(h)) errors.push(`header_names: "${h}" is not a header name`);
  const cookieNames = strings(config.cookie_names);
  const queryNames = strings(config.query_param_names);
  if (headerNames.length + cookieNames.length + queryNames.length === 0) {
    errors.push('header_names, cookie_names, query_param_names: the token must be looked for somewhere');
  }

  const rules = compileRules(config, errors);
  const headerMappings = compileHeaderMappings(config, headerNames, errors);
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    config: {
      issuers,
      algorithms,
      audiences: strings(config.audiences),
      tokenTypes: strings(config.token_types).map(tokenType),
      headerNames,
      cookieNames,
      queryNames,
      time: { leeway: Number(config.leeway) || 0, maxTokenAge: config.max_token_age ?? null },
      requiredClaims: strings(config.required_claims),
      rules,
      headerMappings,
      vouched: vouchedOf(headerMappings, consumerClaimSet(config)),
      consumer:
        typeof config.consumer_claim === 'string' && config.consumer_claim !== ''
          ? { claim: config.consumer_claim, optional: config.consumer_optional === true, cacheTtlMs: (Number(config.consumer_cache_ttl) || 0) * 1000 }
          : null,
      hideCredentials: config.hide_credentials === true,
      realm: typeof config.realm === 'string' ? config.realm : null,
      runOnPreflight: config.run_on_preflight !== false,
      markPassed: config.mark_passed === true,
      cacheSize: Number(config.cache_size) || 0,
      cacheTtlSeconds: Number(config.cache_ttl) || 1,
      jwks: {
        ttlMs: Number(config.jwks_cache_ttl) * 1000,
        cooldownMs: Number(config.jwks_refresh_cooldown) * 1000,
        timeoutMs: Number(config.jwks_timeout),
      },
    },
  };
}

/**
 * What runs but deserves a second look. An issuer whose tokens no audience list applies to
 * passes every token it signed, also those it made for other applications: RFC 8725 §3.9 has the
 * audience checked whenever an issuer serves more than one relying party, as every hosted IdP
 * does (a "Sign in with Google" ID token of any site would pass for Google's issuer).
 */
export function configWarnings(raw: unknown): string[] {
  const config = withDefaults(raw) as unknown as Config;
  if (!Array.isArray(config.issuers)) return [];
  const warnings: string[] = [];
  // Consumers are Kong's, not an issuer's: with several issuers, whoever one issuer calls
  // "alice" is the consumer alice, also if alice is meant to sign in through another issuer.
  if (typeof config.consumer_claim === 'string' && config.consumer_claim !== '' && config.issuers.length > 1) {
    warnings.push(
      `consumer_claim: "${config.consumer_claim}" names a consumer whichever of the ${config.issuers.length} issuers signed the token: each must be trusted to name every consumer (or use one plugin per issuer)`,
    );
  }
  if (strings(config.audiences).length > 0) return warnings;
  config.issuers.forEach((entry, i) => {
    if (strings(entry?.audiences).length === 0) {
      warnings.push(
        `issuers[${i}]: no audiences apply to "${String(entry?.issuer)}": every token it signed passes, also those for other applications (RFC 8725 §3.9); set audiences (top level or per issuer)`,
      );
    }
  });
  return warnings;
}

