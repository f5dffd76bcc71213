/**
 * idempotency config, in Kong's schema format (validated by Kong on every Admin API write and by
 * `kong-ctl validate` offline) and as the TypeScript type the handler reads after defaults.
 */
import type { KongFieldList } from '../shared/kong-schema';
import { storeSchemaFields } from '../shared/store/schema';
import type { MemoryStoreOptions } from '../shared/store/types';

export const METHODS = ['POST', 'PATCH', 'PUT', 'DELETE', 'GET', 'HEAD', 'OPTIONS'] as const;
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export const MEMORY_DEFAULTS: MemoryStoreOptions = { maxEntries: 100000, maxBytes: 64 * 1024 * 1024 };

export interface Config {
  header_name: string;
  methods: string[];
  required: boolean;
  max_key_length: number;
  ttl: number;
  lock_ttl: number;
  retry_after: number;
  stored_status_classes: StatusClass[];
  never_stored_statuses: number[];
  max_response_size: number;
  max_request_body_size: number;
  client_header: string | null;
  fault_tolerant: boolean;
  strategy: 'memory' | 'redis';
  memory: { max_entries: number; max_bytes: number };
  redis: Record<string, unknown>;
}

export const Schema: KongFieldList = [
  {
    header_name: {
      type: 'string',
      len_min: 1,
      default: 'Idempotency-Key',
      description: 'Request header carrying the key (a structured-field string `"…"` or a bare token).',
    },
  },
  {
    methods: {
      type: 'set',
      elements: { type: 'string', one_of: [...METHODS] },
      default: ['POST', 'PATCH'],
      description: 'Methods the plugin applies to; requests with other methods pass untouched.',
    },
  },
  {
    required: {
      type: 'boolean',
      default: false,
      description: 'Refuse requests of these methods without a key (400).',
    },
  },
  {
    max_key_length: {
      type: 'integer',
      between: [1, 1024],
      default: 255,
      description: 'Longest key accepted, in characters; longer keys get a 400.',
    },
  },
  {
    ttl: {
      type: 'integer',
      between: [1, 31536000],
      default: 86400,
      description: 'Seconds a completed response is kept and replayed for its key.',
    },
  },
  {
    lock_ttl: {
      type: 'integer',
      between: [1, 86400],
      default: 300,
      description:
        'Seconds a key stays locked while its first request is in flight (a bound for crashed requests; keep it above the upstream timeouts).',
    },
  },
  {
    retry_after: {
      type: 'integer',
      between: [1, 3600],
      default: 1,
      description: '`Retry-After` seconds sent with 409 (request still in flight) and 503 (store unavailable).',
    },
  },
  {
    stored_status_classes: {
      type: 'set',
      elements: { type: 'string', one_of: [...STATUS_CLASSES] },
      default: ['2xx', '3xx', '4xx'],
      description:
        'Upstream status classes whose response is stored and replayed. Others release the key so the client can retry.',
    },
  },
  {
    never_stored_statuses: {
      type: 'set',
      elements: { type: 'integer', between: [100, 599] },
      default: [408, 425, 429],
      description: 'Statuses never stored even when their class is (the request was not processed): they release the key.',
    },
  },
  {
    max_response_size: {
      type: 'integer',
      between: [0, 104857600],
      default: 1048576,
      description: 'Largest response body stored, in bytes. A larger response is passed on, not stored, and releases the key.',
    },
  },
  {
    max_request_body_size: {
      type: 'integer',
      between: [0, 1073741824],
      default: 8192,
      description:
        "Largest request body (Content-Length) accepted with a key, in bytes; larger get 413, bodies of unknown length 411. The body is read with this limit, so from Kong 3.8 a body nginx buffered to a file (beyond `nginx_http_client_body_buffer_size`, 8k by default) is read too. Kong before 3.8 hands plugins only bodies held in memory: there, keep this at most `nginx_http_client_body_buffer_size`, or a larger body makes Kong answer 500.",
    },
  },
  {
    client_header: {
      type: 'string',
      default: null,
      description:
        'Request header identifying the client when no consumer or credential is authenticated (else the client IP). Only use a header your clients cannot forge.',
    },
  },
  {
    fault_tolerant: {
      type: 'boolean',
      default: false,
      description:
        'When the store is unavailable: true proxies requests carrying a key WITHOUT the idempotency guarantee (logged); false (default) answers 503 so the client retries later.',
    },
  },
  ...storeSchemaFields(MEMORY_DEFAULTS),
];
