/**
 * From the config Kong sends to what verification uses: defaults applied, secrets decoded into
 * keys, the scheme built, and everything Kong's schema format cannot check (secret encodings,
 * header names, the custom template, algorithm per scheme, where the event id is, the store
 * settings) checked once per config. Problems come back as messages that never contain a secret;
 * the handler answers every request of a misconfigured instance with a 500 (fail closed) and logs
 * them.
 */
import type { KeyObject } from 'node:crypto';
import { applySchemaDefaults } from '../shared/schema-defaults';
import { storeConfigFrom } from '../shared/store/schema';
import type { StoreConfig } from '../shared/store/types';
import { parseTemplate, uses } from './content';
import { DEDUP_MEMORY_DEFAULTS, type DedupConfig } from './dedup-schema';
import { HEADER_NAME } from './headers';
import { builtInScheme, customScheme, type CompiledScheme, type EventIdSource } from './schemes';
import { ALGORITHMS, SCHEMES, SECRET_ENCODINGS, Schema, type Algorithm, type Config, type SchemeName, type SecretEncoding } from './schema';
import { keyEncodingFor, secretBytes, secretKey } from './secrets';

export interface CompiledDedup {
  source: EventIdSource;
  /** Set by the config; null: the plugin id (per instance). */
  namespace: string | null;
  ttlMs: number;
  inFlightTtlMs: number;
  faultTolerant: boolean;
  store: StoreConfig;
}

export interface CompiledConfig {
  scheme: CompiledScheme;
  keys: KeyObject[];
  tolerance: number;
  maxBodySize: number;
  /** `mark_passed`: set kong.ctx.shared.webhook_signature_passed for kong-ctl's fail-closed guard. */
  markPassed: boolean;
  dedup: CompiledDedup | null;
}

export type CompileResult = { ok: true; config: CompiledConfig } | { ok: false; errors: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The config with the schema's defaults filled in (Kong sends them; a harness may not). */
export function withDefaults(raw: unknown): Record<string, unknown> {
  return applySchemaDefaults(Schema, isRecord(raw) ? raw : {});
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function headerName(value: unknown, where: string, errors: string[]): string | null {
  const name = text(value);
  if (name !== null && !HEADER_NAME.test(name)) errors.push(`${where}: "${name}" is not a header name`);
  return name;
}

function integer(value: unknown, where: string, min: number, errors: string[]): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) errors.push(`${where}: must be an integer >= ${min}`);
  return n;
}

function compileKeys(config: Config, errors: string[]): KeyObject[] {
  const secrets = Array.isArray(config.secrets) ? config.secrets : [];
  if (secrets.length === 0) errors.push('secrets: at least one secret is required');
  const encoding = keyEncodingFor(config.scheme, config.secret_encoding);
  const keys: KeyObject[] = [];
  secrets.forEach((secret, i) => {
    if (typeof secret !== 'string') {
      errors.push(`secrets[${i}]: must be a string`);
      return;
    }
    const decoded = secretBytes(secret, encoding);
    if (decoded.ok) keys.push(secretKey(decoded.bytes));
    else errors.push(`secrets[${i}]: ${decoded.error}`);
  });
  return keys;
}

const SHA256_ONLY: readonly SchemeName[] = ['standard-webhooks', 'stripe', 'slack', 'shopify'];

function compileScheme(config: Config, errors: string[]): CompiledScheme | undefined {
  const algorithm = config.algorithm;
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
    errors.push(`algorithm: "${String(algorithm)}" is not one of ${ALGORITHMS.join(', ')}`);
    return undefined;
  }
  if (SHA256_ONLY.includes(config.scheme) && algorithm !== 'sha256') {
    errors.push(`algorithm: ${config.scheme} signs with sha256 only`);
    return undefined;
  }
  if (config.scheme === 'github' && algorithm === 'sha512') {
    errors.push('algorithm: github signs with sha256 (X-Hub-Signature-256) or sha1 (X-Hub-Signature)');
    return undefined;
  }
  if (config.scheme !== 'custom') return builtInScheme(config.scheme, algorithm);
  return compileCustom(config, algorithm, errors);
}

function compileCustom(config: Config, algorithm: Algorithm, errors: string[]): CompiledScheme | undefined {
  const custom = isRecord(config.custom) ? config.custom : ({} as Config['custom']);
  const before = errors.length;
  const signatureHeader = headerName(custom.signature_header, 'custom.signature_header', errors);
  if (signatureHeader === null) errors.push('custom.signature_header: required with scheme custom');
  const timestampHeader = headerName(custom.timestamp_header, 'custom.timestamp_header', errors);
  const idHeader = headerName(custom.id_header, 'custom.id_header', errors);
  if (custom.signature_separator !== null && custom.signature_separator !== undefined && text(custom.signature_separator) === null) {
    errors.push('custom.signature_separator: must not be empty');
  }
  const encoding = custom.signature_encoding ?? 'hex';
  if (encoding !== 'hex' && encoding !== 'base64') errors.push('custom.signature_encoding: must be hex or base64');
  const template = parseTemplate(typeof custom.signed_content === 'string' ? custom.signed_content : '{body}');
  if (!template.ok) {
    errors.push(`custom.signed_content: ${template.error}`);
  } else {
    if (uses(template.parts, 'timestamp') && timestampHeader === null) errors.push('custom.signed_content: {timestamp} needs custom.timestamp_header');
    if (!uses(template.parts, 'timestamp') && timestampHeader !== null) {
      errors.push('custom.timestamp_header: an unsigned timestamp proves nothing; add {timestamp} to custom.signed_content');
    }
    if (uses(template.parts, 'id') && idHeader === null) errors.push('custom.signed_content: {id} needs custom.id_header');
  }
  if (errors.length > before || !template.ok || signatureHeader === null) return undefined;
  return customScheme(
    {
      signature_header: signatureHeader,
      signature_prefix: typeof custom.signature_prefix === 'string' ? custom.signature_prefix : '',
      signature_separator: text(custom.signature_separator),
      signature_encoding: encoding,
      timestamp_header: timestampHeader,
      id_header: idHeader,
      signed_content: custom.signed_content,
    },
    algorithm,
    template.parts,
  );
}

function compileDedup(dedup: DedupConfig, scheme: CompiledScheme | undefined, errors: string[]): CompiledDedup | null {
  if (!isRecord(dedup) || dedup.enabled !== true) return null;
  const idHeader = headerName(dedup.id_header, 'dedup.id_header', errors);
  const jsonField = text(dedup.id_json_field);
  if (idHeader !== null && jsonField !== null) errors.push('dedup: set at most one of id_header and id_json_field');
  const source: EventIdSource | undefined =
    jsonField !== null ? { jsonField } : idHeader !== null ? { header: idHeader.toLowerCase() } : scheme?.defaultEventId;
  if (!source && scheme) errors.push(`dedup: scheme ${scheme.name} has no event id; set dedup.id_header or dedup.id_json_field`);
  const ttl = integer(dedup.ttl, 'dedup.ttl', 1, errors);
  const inFlight = integer(dedup.in_flight_ttl, 'dedup.in_flight_ttl', 1, errors);
  const store = storeConfigFrom(dedup as unknown as Record<string, unknown>, DEDUP_MEMORY_DEFAULTS);
  if (!store.ok) errors.push(...store.errors.map((e) => `dedup.${e}`));
  if (!source || !store.ok) return null;
  return {
    source,
    namespace: text(dedup.namespace),
    ttlMs: ttl * 1000,
    inFlightTtlMs: inFlight * 1000,
    faultTolerant: dedup.fault_tolerant !== false,
    store: store.config,
  };
}

export function compileConfig(raw: unknown): CompileResult {
  const config = withDefaults(raw) as unknown as Config;
  const errors: string[] = [];
  if (!(SCHEMES as readonly string[]).includes(config.scheme)) {
    return { ok: false, errors: [`scheme: "${String(config.scheme)}" is not one of ${SCHEMES.join(', ')}`] };
  }
  if (!(SECRET_ENCODINGS as readonly string[]).includes(config.secret_encoding)) {
    errors.push(`secret_encoding: "${String(config.secret_encoding as SecretEncoding)}" is not one of ${SECRET_ENCODINGS.join(', ')}`);
  }
  const keys = errors.length === 0 ? compileKeys(config, errors) : [];
  const scheme = compileScheme(config, errors);
  const tolerance = integer(config.tolerance, 'tolerance', 1, errors);
  const maxBodySize = integer(config.max_body_size, 'max_body_size', 1, errors);
  const dedup = compileDedup(config.dedup, scheme, errors);
  if (errors.length > 0 || !scheme) return { ok: false, errors };
  return { ok: true, config: { scheme, keys, tolerance, maxBodySize, dedup, markPassed: config.mark_passed === true } };
}
