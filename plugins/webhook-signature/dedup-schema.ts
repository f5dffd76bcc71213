/**
 * The `dedup` record of the config: de-duplication of deliveries by event id through the shared
 * store (plugins/shared/store), in memory (one Kong node) or in Redis (every node).
 */
import type { KongField } from '../shared/kong-schema';
// The schema module only (not the store index): kong-ctl loads this file and must not load ioredis.
import { storeSchemaFields } from '../shared/store/schema';
import type { MemoryStoreOptions } from '../shared/store/types';

export interface DedupConfig {
  enabled: boolean;
  id_header: string | null;
  id_json_field: string | null;
  namespace: string | null;
  ttl: number;
  in_flight_ttl: number;
  fault_tolerant: boolean;
  strategy: 'memory' | 'redis';
  memory: { max_entries: number; max_bytes: number };
  redis: Record<string, unknown>;
}

/** About 250 bytes per remembered delivery: 100k deliveries in 32 MiB. */
export const DEDUP_MEMORY_DEFAULTS: MemoryStoreOptions = { maxEntries: 100000, maxBytes: 33554432 };

export const DEDUP_FIELD: KongField = {
  type: 'record',
  description:
    'De-duplication of verified deliveries by event id: a delivery already processed gets 200 with `Webhook-Duplicate: true` without reaching the upstream; one still in progress gets 409.',
  fields: [
    { enabled: { type: 'boolean', default: false, description: 'Turn de-duplication on.' } },
    {
      id_header: {
        type: 'string',
        default: null,
        description:
          "Header holding the event id. Unset: the scheme's (webhook-id or svix-id, whichever was verified; X-GitHub-Delivery, X-Shopify-Event-Id, custom.id_header), or `id_json_field`. An id the signature does not cover (X-GitHub-Delivery, X-Shopify-Event-Id, custom.id_header outside `signed_content`, any header set here) is remembered together with the body, so a replayed body under another id cannot mark that id processed.",
      },
    },
    {
      id_json_field: {
        type: 'string',
        default: null,
        description:
          "Top-level field of the JSON body holding the event id (Stripe: `id`, Slack Events API: `event_id`, the defaults of those schemes). Set at most one of `id_header` and `id_json_field`.",
      },
    },
    {
      namespace: {
        type: 'string',
        default: null,
        description:
          'Ids are remembered per namespace. Unset: the plugin id, so plugin instances on different routes never see each other\'s ids; set the same value on instances that receive the same sender.',
      },
    },
    {
      ttl: {
        type: 'integer',
        between: [1, 2592000],
        default: 259200,
        description:
          "Seconds a processed event id is remembered. Default 3 days, Stripe's retry window; it should cover the sender's whole retry schedule.",
      },
    },
    {
      in_flight_ttl: {
        type: 'integer',
        between: [1, 3600],
        default: 120,
        description:
          'Seconds a delivery in progress holds its id (retries meanwhile get 409). Should exceed the upstream timeout; if Kong never reports the outcome, the id is free again after this.',
      },
    },
    {
      fault_tolerant: {
        type: 'boolean',
        default: true,
        description:
          'When the store cannot be reached: true proxies verified deliveries without de-duplication (and logs it); false answers 503 so the sender retries later.',
      },
    },
    ...storeSchemaFields(DEDUP_MEMORY_DEFAULTS),
  ],
};
