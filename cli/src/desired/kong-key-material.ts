/**
 * The key material of a `keys` entity as Kong 3.4+ checks it in Lua, which `/schemas/keys` does
 * not show (it shows the custom entity check only as its field sources, and `pem` as a plain
 * record): kong/db/schema/entities/keys.lua's `custom_entity_check` and kong/db/schema/typedefs.lua
 * `validate_jwk`, `typedefs.jwk` and `validate_pem_keys`.
 *
 * Kong loads the keys with lua-resty-openssl's `pkey.new`; kong-ctl loads them with Node's
 * crypto where the two agree (an EC point on its curve, a PEM OpenSSL reads), and follows
 * resty.openssl's own rules where they are narrower than Node's (which key types and curves a
 * JWK may have), so that what Kong refuses is refused here, and nothing Kong takes.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { FieldList } from '../model/schema';
import { checkRecord, formatFieldPath, isPlainObject, isVaultReference, type FieldProblem } from './kong-schema-check';

export const JWK_DECODE = 'could not json decode jwk string';
export const JWK_KID = 'kid in jwk.kid must be equal to keys.kid';
/** typedefs.lua `validate_jwk`; Kong drops resty.openssl's reason, kong-ctl adds it in parentheses. */
export const JWK_NOT_LOADED = 'could not load JWK, likely not a valid key';
export const PEM_PUBLIC = 'could not load public key';
/** Kong appends OpenSSL's error text to it, which differs between OpenSSL builds. */
export const PEM_PRIVATE = 'could not load private key';
export const PEM_MISMATCH = 'public key does not match private key';

/** typedefs.jwk, the record keys.lua validates a decoded JWK against (`kid` required, the rest optional). */
const JWK_FIELDS: FieldList = [
  ...['issuer', 'kty', 'use'].map((n) => ({ [n]: { type: 'string' as const, required: false } })),
  { key_ops: { type: 'array', required: false, elements: { type: 'string', required: false } } },
  { alg: { type: 'string', required: false } },
  { kid: { type: 'string', required: true } },
  { x5u: { type: 'string', required: false } },
  { x5c: { type: 'array', required: false, elements: { type: 'string', required: false } } },
  ...['x5t', 'x5t#S256', 'k', 'x', 'y', 'crv', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't'].map((n) => ({
    [n]: { type: 'string' as const, required: false },
  })),
] as FieldList;

/**
 * nginx's `ngx_decode_base64url`, which resty.openssl decodes JWK parameters with: the URL-safe
 * alphabet up to an optional `=`, never a length of 4n+1. Undefined when it refuses the value
 * (Node's decoder skips what it does not know, so it cannot tell).
 */
function base64url(v: unknown): Buffer | undefined {
  if (typeof v !== 'string') return undefined;
  const body = v.split('=')[0];
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length % 4 === 1) return undefined;
  return Buffer.from(body, 'base64url');
}

/**
 * resty.openssl's `load_jwk` tests its parameters for truth: a member is there unless absent or
 * `false`. JSON null is there (cjson's null is a truthy value in Lua), and then fails to decode.
 */
const given = (v: unknown) => v !== undefined && v !== false;

/** JWK EC curves resty.openssl names (`ec_curves` in auxiliary/jwk.lua). */
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
/** JWK OKP curves resty.openssl names (`ecx_curves` in include/evp.lua) and their raw key lengths. */
const OKP_KEY_BYTES: Record<string, number> = { Ed25519: 32, X25519: 32, Ed448: 57, X448: 56 };

/**
 * Why lua-resty-openssl's `pkey.new(jwk, { format = "JWK" })` (auxiliary/jwk.lua `load_jwk`)
 * refuses a decoded JWK, in its words, or undefined when it loads it:
 * - `kty` RSA, EC or OKP only: "oct" (a symmetric key) is "not yet supported jwk type", though
 *   JWKs and Node have it;
 * - EC on P-256, P-384 and P-521 only: Node also takes secp256k1, resty.openssl does not;
 * - OKP on Ed25519, X25519, Ed448 and X448, from `d` when given (`x` is then not read), else `x`;
 * - RSA needs `n` and `e`; OpenSSL does no arithmetic on them, so neither does this.
 */
export function restyJwkRefusal(jwk: Record<string, unknown>): string | undefined {
  const decode = (names: readonly string[]): string | undefined => {
    for (const n of names) {
      if (given(jwk[n]) && !base64url(jwk[n])) return `cannot decode parameter "${n}" from base64`;
    }
    return undefined;
  };
  const kty = jwk.kty;
  if (kty === 'RSA') {
    if (!given(jwk.n) || !given(jwk.e)) return 'failed to construct RSA key from JWK: at least "n" and "e" parameter is required';
    const bad = decode(['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']);
    if (bad) return `failed to construct RSA key from JWK: ${bad}`;
    // OpenSSL's RSA_set0_factors and RSA_set0_crt_params take their numbers together or not at all.
    const some = (ns: string[]) => ns.some((n) => given(jwk[n]));
    const all = (ns: string[]) => ns.every((n) => given(jwk[n]));
    if ((some(['p', 'q']) && !all(['p', 'q'])) || (some(['dp', 'dq', 'qi']) && !all(['dp', 'dq', 'qi']))) {
      return 'failed to construct RSA key from JWK: incomplete private key factors';
    }
    return undefined;
  }
  if (kty === 'EC') {
    const crv = jwk.crv;
    if (!given(crv)) return 'failed to construct EC key from JWK: "crv" not defined for EC key';
    if (!given(jwk.x) || !given(jwk.y)) return 'failed to construct EC key from JWK: at least "x" and "y" parameter is required';
    if (typeof crv !== 'string' || !EC_CURVES.has(crv)) return `failed to construct EC key from JWK: curve "${String(crv)}" is not supported by this library`;
    const bad = decode(['x', 'y', 'd']);
    if (bad) return `failed to construct EC key from JWK: ${bad}`;
    // OpenSSL's EC_KEY_set_public_key_affine_coordinates: the point must be on the curve. Node
    // reads x and y as big-endian numbers as OpenSSL does, and asks OpenSSL the same question.
    try {
      createPublicKey({ key: { kty: 'EC', crv, x: jwk.x as string, y: jwk.y as string }, format: 'jwk' });
    } catch {
      return `failed to construct EC key from JWK: the point (x, y) is not on curve ${crv}`;
    }
    return undefined;
  }
  if (kty === 'OKP') {
    const crv = jwk.crv;
    const length = typeof crv === 'string' && Object.hasOwn(OKP_KEY_BYTES, crv) ? OKP_KEY_BYTES[crv] : undefined;
    if (length === undefined) return `unknown curve "${crv === undefined ? 'nil' : String(crv)}`; // Lua's tostring
    const member = given(jwk.d) ? 'd' : given(jwk.x) ? 'x' : undefined;
    if (!member) return 'failed to construct OKP key from JWK: at least "x" or "d" parameter is required';
    // EVP_PKEY_new_raw_{private,public}_key: the raw key has the curve's length exactly.
    const raw = base64url(jwk[member]);
    if (!raw || raw.length !== length) return `failed to construct OKP key from JWK: "${member}" is not a ${length}-byte ${crv} key`;
    return undefined;
  }
  return `not yet supported jwk type "${given(kty) ? String(kty) : 'nil'}"`;
}

/**
 * Kong's `Schema:errors_to_string` of the decoded JWK against typedefs.jwk: "Validation error: "
 * and each field's problem. An array's element problems come nested as Kong nests them
 * ("key_ops: Validation error: expected a string"), those from the first element on only (Lua's
 * `ipairs` stops at the first element without one). Kong lists the fields in Lua's hash order,
 * which no file can predict; here they come in the schema's order.
 */
function jwkSchemaMessage(problems: FieldProblem[]): string | undefined {
  if (problems.length === 0) return undefined;
  const byField = new Map<string, FieldProblem[]>();
  for (const p of problems) {
    const field = String(p.path[0]);
    byField.set(field, [...(byField.get(field) ?? []), p]);
  }
  const parts: string[] = [];
  for (const [field, ps] of byField) {
    const own = ps.find((p) => p.path.length === 1);
    if (own) {
      parts.push(`${field}: ${own.unknownField ? 'unknown field' : own.message}`);
      continue;
    }
    const byIndex = new Map(ps.map((p) => [p.path[1], p.message]));
    const nested: string[] = [];
    for (let i = 0; byIndex.has(i); i++) nested.push(byIndex.get(i)!);
    parts.push(`${field}: Validation error: ${nested.join('; ')}`);
  }
  return `Validation error: ${parts.join('; ')}`;
}

export interface KeyProblem {
  /** `jwk`, `kid` or `pem`: the field the problem is reported at. */
  field: 'jwk' | 'kid' | 'pem';
  message: string;
}

/**
 * keys.lua's custom entity check of a `jwk` (Kong reports its failures under `@entity`; kong-ctl
 * points at the field they are about): JSON, the same `kid` as the key's, a key resty.openssl
 * loads, and a record typedefs.jwk takes. A vault reference is Kong's to resolve.
 */
export function jwkProblem(jwk: string, kid: string): KeyProblem | undefined {
  if (isVaultReference(jwk)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwk);
  } catch {
    return { field: 'jwk', message: JWK_DECODE };
  }
  if (!isPlainObject(parsed) || parsed.kid !== kid) return { field: 'kid', message: JWK_KID };
  const refusal = restyJwkRefusal(parsed);
  if (refusal) return { field: 'jwk', message: `${JWK_NOT_LOADED} (resty.openssl: ${refusal})` };
  const schema = jwkSchemaMessage(checkRecord(parsed, JWK_FIELDS));
  return schema ? { field: 'jwk', message: schema } : undefined;
}

/** `pkey.new(pem, { format = "PEM", type = "pu" })`: a public key in PEM, never a certificate. */
function loadPublicPem(pem: string): KeyObject | undefined {
  // Node derives a public key from a certificate; OpenSSL's PEM_read_bio_PUBKEY does not.
  if (/-----BEGIN [A-Z0-9 ]*CERTIFICATE-----/.test(pem)) return undefined;
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return undefined;
  }
}

/** `pkey.new(pem, { format = "PEM", type = "pr" })`: an unencrypted private key in PEM (Kong gives no passphrase). */
function loadPrivatePem(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return undefined;
  }
}

const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');

/**
 * typedefs.pem's custom validator `validate_pem_keys`, which Kong reports at the field `pem`. It
 * runs only on a record the schema took, so a key that is not a non-empty string (reported by
 * the schema check) leaves it unchecked; a vault reference in either key skips both, as in Kong.
 */
export function pemProblem(pem: unknown): KeyProblem | undefined {
  if (!isPlainObject(pem)) return undefined;
  const [pub, priv] = [pem.public_key, pem.private_key];
  const ok = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v !== '');
  if (!ok(pub) || !ok(priv) || (typeof pub !== 'string' && typeof priv !== 'string')) return undefined;
  if (isVaultReference(pub) || isVaultReference(priv)) return undefined;
  const publicKey = typeof pub === 'string' ? loadPublicPem(pub) : undefined;
  if (typeof pub === 'string' && !publicKey) return { field: 'pem', message: PEM_PUBLIC };
  const privateKey = typeof priv === 'string' ? loadPrivatePem(priv) : undefined;
  if (typeof priv === 'string' && !privateKey) {
    return { field: 'pem', message: `${PEM_PRIVATE}: OpenSSL cannot read it as an unencrypted PEM private key` };
  }
  if (publicKey && privateKey && spki(createPublicKey(privateKey)) !== spki(publicKey)) return { field: 'pem', message: PEM_MISMATCH };
  return undefined;
}
