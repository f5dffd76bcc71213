/**
 * From the config Kong sends to what the handler uses: defaults applied, then what Kong's schema
 * format cannot check (header name syntax, the store's topology) checked once per config.
 * Problems come back as messages; the handler then refuses requests with a 500 and logs them.
 */
import { applySchemaDefaults } from '../shared/schema-defaults';
import { storeConfigFrom } from '../shared/store/schema';
import type { StoreConfig } from '../shared/store/types';
import { MEMORY_DEFAULTS, METHODS, STATUS_CLASSES, Schema, type Config } from './schema';

export interface CompiledConfig {
  /** Lower-cased, as request header names arrive. */
  headerName: string;
  /** As configured, for messages. */
  headerLabel: string;
  methods: ReadonlySet<string>;
  required: boolean;
  maxKeyLength: number;
  ttlMs: number;
  lockTtlMs: number;
  retryAfterSeconds: number;
  /** First digits of stored status classes (2 for 2xx). */
  storedClasses: ReadonlySet<number>;
  neverStored: ReadonlySet<number>;
  maxResponseSize: number;
  maxRequestBodySize: number;
  clientHeader: string | null;
  /** As configured, for messages. */
  clientHeaderLabel: string | null;
  faultTolerant: boolean;
  store: StoreConfig;
}

export type CompileResult = { ok: true; config: CompiledConfig } | { ok: false; errors: string[] };

/** RFC 9110 §5.6.2 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function withDefaults(raw: unknown): Record<string, unknown> {
  const input = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return applySchemaDefaults(Schema, input);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function integer(value: unknown, name: string, min: number, max: number, errors: string[]): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors.push(`${name}: must be an integer between ${min} and ${max}`);
    return min;
  }
  return n;
}

export function compileConfig(raw: unknown): CompileResult {
  const config = withDefaults(raw) as unknown as Config;
  const errors: string[] = [];

  const headerLabel = typeof config.header_name === 'string' ? config.header_name : '';
  if (!HEADER_NAME.test(headerLabel)) errors.push('header_name: not a valid header name');

  const methods = new Set<string>();
  for (const m of strings(config.methods)) {
    if ((METHODS as readonly string[]).includes(m)) methods.add(m);
    else errors.push(`methods: "${m}" is not supported`);
  }
  if (methods.size === 0) errors.push('methods: at least one method is required');

  const storedClasses = new Set<number>();
  for (const c of strings(config.stored_status_classes)) {
    if ((STATUS_CLASSES as readonly string[]).includes(c)) storedClasses.add(Number(c[0]));
    else errors.push(`stored_status_classes: "${c}" is not a status class`);
  }
  const neverStored = new Set<number>();
  for (const s of Array.isArray(config.never_stored_statuses) ? config.never_stored_statuses : []) {
    neverStored.add(integer(s, 'never_stored_statuses', 100, 599, errors));
  }

  let clientHeader: string | null = null;
  if (typeof config.client_header === 'string' && config.client_header !== '') {
    if (!HEADER_NAME.test(config.client_header)) errors.push('client_header: not a valid header name');
    clientHeader = config.client_header.toLowerCase();
  }

  const maxKeyLength = integer(config.max_key_length, 'max_key_length', 1, 1024, errors);
  const ttl = integer(config.ttl, 'ttl', 1, 31536000, errors);
  const lockTtl = integer(config.lock_ttl, 'lock_ttl', 1, 86400, errors);
  const retryAfter = integer(config.retry_after, 'retry_after', 1, 3600, errors);
  const maxResponseSize = integer(config.max_response_size, 'max_response_size', 0, 104857600, errors);
  const maxRequestBodySize = integer(config.max_request_body_size, 'max_request_body_size', 0, 1073741824, errors);

  const store = storeConfigFrom(config as unknown as Record<string, unknown>, MEMORY_DEFAULTS);
  if (!store.ok) errors.push(...store.errors);
  if (errors.length > 0 || !store.ok) return { ok: false, errors };

  return {
    ok: true,
    config: {
      headerName: headerLabel.toLowerCase(),
      headerLabel,
      methods,
      required: config.required === true,
      maxKeyLength,
      ttlMs: ttl * 1000,
      lockTtlMs: lockTtl * 1000,
      retryAfterSeconds: retryAfter,
      storedClasses,
      neverStored,
      maxResponseSize,
      maxRequestBodySize,
      clientHeader,
      clientHeaderLabel: clientHeader === null ? null : (config.client_header as string),
      faultTolerant: config.fault_tolerant === true,
      store: store.config,
    },
  };
}

/** Whether an upstream status's response is kept for replay. */
export function isStoredStatus(config: CompiledConfig, status: number): boolean {
  return config.storedClasses.has(Math.floor(status / 100)) && !config.neverStored.has(status);
}
