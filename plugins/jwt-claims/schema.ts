/**
 * jwt-claims config, in Kong's schema format (validated by Kong on every Admin API write and by
 * `kong-ctl validate` offline) and as the TypeScript type the handler reads after defaults.
 * What Kong's format cannot express (regex syntax, header name syntax, PEM parsing) is checked
 * when an instance starts (config.ts) and fails closed.
 */
import { markPassedField } from '../shared/ctx-marker';
import type { KongFieldList } from '../shared/kong-schema';
import { Name } from './meta';

/** Asymmetric JWS algorithms (RFC 7518 §3, RFC 8037). HS* and `none` are never accepted: with
 *  public keys in the config, HMAC would let anyone who knows a public key forge tokens. */
/** Upper bound of `consumer_cache_ttl`, in seconds. */
export const MAX_CONSUMER_CACHE_TTL_S = 3600;

export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export interface IssuerConfig {
  issuer: string;
  jwks_uri: string | null;
  public_keys: string[];
  audiences: string[];
}

export interface ClaimRuleConfig {
  path: string;
  equals: string | null;
  one_of: string[];
  contains: string[];
  regex: string | null;
}

export interface ClaimHeaderConfig {
  claim: string;
  header: string;
}

export interface Config {
  issuers: IssuerConfig[];
  audiences: string[];
  token_types: string[];
  algorithms: Algorithm[];
  header_names: string[];
  cookie_names: string[];
  query_param_names: string[];
  leeway: number;
  max_token_age: number | null;
  required_claims: string[];
  claim_rules: ClaimRuleConfig[];
  claims_to_headers: ClaimHeaderConfig[];
  consumer_claim: string | null;
  consumer_optional: boolean;
  consumer_cache_ttl: number;
  hide_credentials: boolean;
  realm: string | null;
  run_on_preflight: boolean;
  mark_passed: boolean;
  cache_size: number;
  cache_ttl: number;
  jwks_cache_ttl: number;
  jwks_refresh_cooldown: number;
  jwks_timeout: number;
}

const stringArray = (description: string, defaultValue: string[] = []) => ({
  type: 'array' as const,
  elements: { type: 'string' as const, len_min: 1 },
  default: defaultValue,
  description,
});

export const Schema: KongFieldList = [
  {
    issuers: {
      type: 'array',
      required: true,
      len_min: 1,
      description:
        'Trusted token issuers. A token is accepted only if its `iss` equals one of them, and only keys of that issuer can verify it.',
      elements: {
        type: 'record',
        fields: [
          { issuer: { type: 'string', required: true, len_min: 1, description: 'The exact `iss` claim value.' } },
          {
            jwks_uri: {
              type: 'string',
              default: null,
              description: "URL of the issuer's JSON Web Key Set (http or https).",
            },
          },
          {
            public_keys: stringArray('PEM-encoded public keys (SPKI or X.509 certificate) of the issuer.'),
          },
          {
            audiences: stringArray(
              "Accepted audiences for this issuer's tokens; when not empty, replaces the top-level `audiences`.",
            ),
          },
        ],
      },
    },
  },
  {
    audiences: stringArray('The token `aud` must contain at least one of these. Empty: `aud` is not checked.'),
  },
  {
    token_types: stringArray(
      'Accepted values of the JOSE header `typ` (explicit typing, RFC 8725 §3.11; `at+jwt` for RFC 9068 access tokens, so that an ID token of the same issuer and audience does not pass), compared ignoring case and an `application/` prefix. Empty: `typ` is not checked.',
    ),
  },
  {
    algorithms: {
      type: 'set',
      elements: { type: 'string', one_of: [...SUPPORTED_ALGORITHMS] },
      default: [...SUPPORTED_ALGORITHMS],
      description: 'Accepted JWS algorithms (asymmetric only; `none` and HS* are always refused).',
    },
  },
  {
    header_names: {
      type: 'set',
      elements: { type: 'string', len_min: 1 },
      default: ['authorization'],
      description:
        'Request headers that may carry the token. `Authorization` needs the Bearer scheme; other headers take `Bearer <token>` or the bare token.',
    },
  },
  { cookie_names: { ...stringArray('Cookies that may carry the token.'), type: 'set' } },
  { query_param_names: { ...stringArray('Query parameters that may carry the token.'), type: 'set' } },
  {
    leeway: {
      type: 'integer',
      between: [0, 300],
      default: 30,
      description: 'Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.',
    },
  },
  {
    max_token_age: {
      type: 'integer',
      between: [1, 31536000],
      default: null,
      description: 'If set, tokens must carry `iat` and be at most this many seconds old.',
    },
  },
  {
    required_claims: {
      ...stringArray('Claims every token must carry.', ['exp']),
      type: 'set',
    },
  },
  {
    claim_rules: {
      type: 'array',
      default: [],
      description: 'Rules on claims (all must hold, else 403 insufficient_scope).',
      elements: {
        type: 'record',
        fields: [
          {
            path: {
              type: 'string',
              required: true,
              len_min: 1,
              description: 'Claim path, dot-separated for nested claims (`realm_access.roles`).',
            },
          },
          { equals: { type: 'string', default: null, description: 'The claim, as text, must equal this.' } },
          { one_of: stringArray('The claim, as text, must be one of these.') },
          {
            contains: stringArray(
              'The claim (an array, or a space-separated string such as `scope`) must contain all of these.',
            ),
          },
          {
            regex: {
              type: 'string',
              default: null,
              description: 'The claim, as text, must match this JavaScript regular expression (unanchored).',
            },
          },
        ],
        entity_checks: [{ at_least_one_of: ['equals', 'one_of', 'contains', 'regex'] }],
      },
    },
  },
  {
    claims_to_headers: {
      type: 'array',
      default: [],
      description:
        'Claims forwarded to the upstream as headers. Client-sent headers of these names are always removed first.',
      elements: {
        type: 'record',
        fields: [
          { claim: { type: 'string', required: true, len_min: 1, description: 'Claim path (dot-separated).' } },
          { header: { type: 'string', required: true, len_min: 1, description: 'Upstream request header name.' } },
        ],
      },
    },
  },
  {
    consumer_claim: {
      type: 'string',
      default: null,
      len_min: 1,
      description:
        'Claim path (dot-separated) naming the Kong consumer the request authenticates as: its id when the value is a UUID, ' +
        'else its username (kong.client.load_consumer). Null: no consumer is set.',
    },
  },
  {
    consumer_optional: {
      type: 'boolean',
      default: false,
      description: 'With consumer_claim: a token whose claim names no consumer passes without one (otherwise 401).',
    },
  },
  {
    consumer_cache_ttl: {
      type: 'integer',
      between: [0, MAX_CONSUMER_CACHE_TTL_S],
      default: 60,
      description:
        'Seconds a consumer lookup, found or not, is remembered by the plugin server (0: every request asks Kong, which reads its database).',
    },
  },
  {
    hide_credentials: {
      type: 'boolean',
      default: false,
      description: 'Remove the token (header, cookie or query parameter) before proxying.',
    },
  },
  { realm: { type: 'string', default: null, description: 'Realm for the WWW-Authenticate header.' } },
  {
    run_on_preflight: {
      type: 'boolean',
      default: true,
      description: 'Authenticate CORS preflight (OPTIONS) requests too. If false, they pass unauthenticated.',
    },
  },
  markPassedField(Name),
  {
    cache_size: {
      type: 'integer',
      between: [0, 1000000],
      default: 10000,
      description: 'Verified tokens kept in memory (0 disables the cache).',
    },
  },
  {
    cache_ttl: {
      type: 'integer',
      between: [1, 86400],
      default: 300,
      description: 'Longest time a verified token stays cached, in seconds (never beyond its `exp`).',
    },
  },
  {
    jwks_cache_ttl: {
      type: 'integer',
      between: [1, 604800],
      default: 600,
      description: 'Age in seconds after which a JWKS is refreshed in the background (stale keys keep serving).',
    },
  },
  {
    jwks_refresh_cooldown: {
      type: 'integer',
      between: [0, 3600],
      default: 30,
      description: 'Minimum seconds between two fetches of the same JWKS (a token no cached key verifies, failures).',
    },
  },
  {
    jwks_timeout: {
      type: 'integer',
      between: [100, 60000],
      default: 3000,
      description: 'Timeout of a JWKS fetch, in milliseconds.',
    },
  },
];
