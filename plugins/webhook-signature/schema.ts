/**
 * webhook-signature config, in Kong's schema format (validated by Kong on every Admin API write
 * and by `kong-ctl validate` offline) and as the TypeScript type the handler reads after defaults.
 * What Kong's format cannot express (secret encodings, header-name syntax, the custom template,
 * which fields a scheme needs) is checked when an instance starts (config.ts) and fails closed.
 */
import { markPassedField } from '../shared/ctx-marker';
import type { KongFieldList } from '../shared/kong-schema';
import { DEDUP_FIELD } from './dedup-schema';
import type { DedupConfig } from './dedup-schema';
import { Name } from './meta';

export const SCHEMES = ['standard-webhooks', 'stripe', 'github', 'slack', 'shopify', 'custom'] as const;
export type SchemeName = (typeof SCHEMES)[number];

export const ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const SECRET_ENCODINGS = ['scheme', 'text', 'base64', 'hex'] as const;
export type SecretEncoding = (typeof SECRET_ENCODINGS)[number];

export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

export interface CustomSchemeConfig {
  signature_header: string | null;
  signature_prefix: string;
  signature_separator: string | null;
  signature_encoding: SignatureEncoding;
  timestamp_header: string | null;
  id_header: string | null;
  signed_content: string;
}

export interface Config {
  scheme: SchemeName;
  secrets: string[];
  secret_encoding: SecretEncoding;
  algorithm: Algorithm;
  tolerance: number;
  max_body_size: number;
  custom: CustomSchemeConfig;
  dedup: DedupConfig;
  mark_passed: boolean;
}

/** Secrets may be vault references (`{vault://env/stripe-secret}`), and Kong Enterprise encrypts
 *  them at rest (keyring). Kept as a constant: Kong's element attribute `referenceable` is not in
 *  the shared KongElement type yet. */
const SECRET_ELEMENT = { type: 'string' as const, len_min: 1, referenceable: true };

/** 1 MiB. Nginx must keep bodies this large in memory: see `max_body_size`. */
export const DEFAULT_MAX_BODY_SIZE = 1048576;

export const Schema: KongFieldList = [
  {
    scheme: {
      type: 'string',
      one_of: [...SCHEMES],
      default: 'standard-webhooks',
      description:
        'Signature scheme of the sender: `standard-webhooks` (webhook-id/-timestamp/-signature, or the svix-id/-timestamp/-signature Svix sends), `stripe` (Stripe-Signature), `github` (X-Hub-Signature-256, or X-Hub-Signature with algorithm sha1), `slack` (X-Slack-Signature), `shopify` (X-Shopify-Hmac-Sha256) or `custom` (see `custom`).',
    },
  },
  {
    secrets: {
      type: 'array',
      required: true,
      len_min: 1,
      encrypted: true,
      elements: SECRET_ELEMENT,
      description:
        'Signing secrets. A delivery passes when a signature matches any of them, so a new secret can be added before the sender switches to it and the old one removed after (rotation). Never logged nor echoed.',
    },
  },
  {
    secret_encoding: {
      type: 'string',
      one_of: [...SECRET_ENCODINGS],
      default: 'scheme',
      description:
        "How a secret's text becomes HMAC key bytes. `scheme`: the sender's convention (standard-webhooks: base64 after an optional `whsec_` prefix; every other scheme: the text itself, Stripe's `whsec_` prefix included). `text`: UTF-8 bytes. `base64`: decoded (optional `whsec_` prefix, padding optional). `hex`: decoded.",
    },
  },
  {
    algorithm: {
      type: 'string',
      one_of: [...ALGORITHMS],
      default: 'sha256',
      description:
        'HMAC hash. Only `custom` and `github` use it: with `github`, `sha1` verifies the legacy X-Hub-Signature header instead of X-Hub-Signature-256. Every other scheme signs with sha256.',
    },
  },
  {
    tolerance: {
      type: 'integer',
      between: [1, 86400],
      default: 300,
      description:
        "Largest difference in seconds between the delivery's signed timestamp and the gateway clock, in both directions (too old and too far in the future are refused). Schemes without a timestamp (github, shopify) are not affected.",
    },
  },
  {
    max_body_size: {
      type: 'integer',
      between: [1, 67108864],
      default: DEFAULT_MAX_BODY_SIZE,
      description:
        "Largest request body verified, in bytes; larger bodies get 413. The body is read with this limit, so from Kong 3.8 a body nginx buffered to a file (beyond `nginx_http_client_body_buffer_size`, 8k by default) still verifies. Kong before 3.8 hands plugins only bodies held in memory: there, set `nginx_http_client_body_buffer_size` to at least this size, or a body buffered to a file makes Kong answer 500.",
    },
  },
  {
    custom: {
      type: 'record',
      description: 'The `custom` scheme: where the signature, timestamp and id are and what is signed. Ignored by the other schemes.',
      fields: [
        {
          signature_header: {
            type: 'string',
            default: null,
            description: 'Header carrying the signature(s). Required with scheme `custom`.',
          },
        },
        {
          signature_prefix: {
            type: 'string',
            default: '',
            // Kong refuses an empty string unless the field allows it: without this, the default itself.
            len_min: 0,
            description: 'Text before each signature (e.g. `sha256=`); a signature without it does not count.',
          },
        },
        {
          signature_separator: {
            type: 'string',
            default: null,
            description: 'Separator between several signatures in the header (e.g. `,` or a space). Unset: one signature.',
          },
        },
        {
          signature_encoding: {
            type: 'string',
            one_of: [...SIGNATURE_ENCODINGS],
            default: 'hex',
            description: 'Encoding of the signature bytes: `hex` or `base64`.',
          },
        },
        {
          timestamp_header: {
            type: 'string',
            default: null,
            description: 'Header carrying the delivery time in Unix seconds, checked against `tolerance`. Unset: no timestamp.',
          },
        },
        {
          id_header: {
            type: 'string',
            default: null,
            description: 'Header carrying the delivery id, for `{id}` in `signed_content` and for de-duplication.',
          },
        },
        {
          signed_content: {
            type: 'string',
            default: '{body}',
            len_min: 1,
            description:
              'What the sender signs: `{body}` (the raw body, exactly once) with optional `{id}`, `{timestamp}` (header text as sent) and literal text, e.g. `{timestamp}.{body}` or `v0:{timestamp}:{body}`.',
          },
        },
      ],
    },
  },
  { dedup: DEDUP_FIELD },
  markPassedField(Name),
];
