/**
 * The providers' official libraries as test oracles (sdk-oracles*.test.ts), behind one small
 * interface each, and the fast-check arbitraries the differential tests share.
 *
 * - Standard Webhooks: `standardwebhooks`, the reference library of standard-webhooks/standard-webhooks.
 * - Stripe: `stripe` (stripe-node): webhooks.generateTestHeaderString, and the verification
 *   constructEvent runs (webhooks.signature.verifyHeader, which takes any body, not only JSON).
 * - GitHub: `@octokit/webhooks-methods` (ESM-only; vitest imports it as is).
 * - Slack: `@slack/bolt`'s isValidSlackRequest (Slack signs nothing for us: we sign per Slack's docs).
 * - Shopify: none. `@shopify/shopify-api` needs Node >= 22 and a whole app config
 *   (shopifyApi({apiSecretKey, hostName, apiVersion...}) and a runtime adapter) to validate one
 *   webhook; the published vector (vectors.test.ts) is what Shopify is checked against.
 *
 * Every library here takes the body as a JavaScript string (stripe-node and standardwebhooks also
 * take a Buffer, but decode it to a string first), so what they sign or verify is the UTF-8 of
 * that string: `bytes.toString('utf8')` for bytes that are not UTF-8, U+FFFD in place of each
 * invalid sequence. `sdkText`/`sdkSigned` model exactly that.
 */
import { isUtf8 } from 'node:buffer';
import { createHmac } from 'node:crypto';
import { sign as octokitSign, verifyWithFallback } from '@octokit/webhooks-methods';
import { isValidSlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import Stripe from 'stripe';
import { vi } from 'vitest';

/** Fixed, so a run is reproducible; FC_SEED=<n> explores other cases (fast-check prints the seed
 *  and path of any failure). */
export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 0x5eed_0b5;
export const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed: SEED });

/** A body as bytes on the wire. */
export interface Body {
  bytes: Buffer;
  /** Whether the bytes are UTF-8 (what a string-only library can sign as they are). */
  utf8: boolean;
}

export const body = (bytes: Buffer | string): Body => {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  return { bytes: b, utf8: isUtf8(b) };
};

/** The string a library is given for the body, and the bytes it therefore signs. */
export const sdkText = (b: Body): string => b.bytes.toString('utf8');
export const sdkSigned = (b: Body): Buffer => Buffer.from(sdkText(b), 'utf8');

const large = fc
  .tuple(fc.integer({ min: 64 * 1024, max: 256 * 1024 }), fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.uint8Array({ minLength: 1, maxLength: 8 })))
  .map(([size, unit]) => {
    const chunk = typeof unit === 'string' ? Buffer.from(unit, 'utf8') : Buffer.from(unit);
    return Buffer.alloc(size, chunk);
  });

/**
 * Empty, text (BMP graphemes, astral code points, JSON), arbitrary bytes (mostly not UTF-8) and
 * large bodies (64-256 KiB, text or bytes; `Buffer.alloc` may cut the last character).
 */
export function bodyArb(options: { large?: boolean; maxLength?: number } = {}): fc.Arbitrary<Body> {
  const maxLength = options.maxLength ?? 200;
  const arbitraries: Array<fc.WeightedArbitrary<Buffer | string>> = [
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 3, arbitrary: fc.uint8Array({ maxLength }).map((a) => Buffer.from(a)) },
  ];
  if (options.large !== false) arbitraries.push({ weight: 1, arbitrary: large });
  return fc.oneof(...arbitraries).map(body);
}

/** `bytes` with the byte at `index` (mod length) XORed with `mask` (1..255): always different. */
export function flipByte(bytes: Buffer, index: number, mask: number): Buffer {
  const out = Buffer.from(bytes);
  const i = index % out.length;
  out[i] = out[i]! ^ mask;
  return out;
}

/** Unix seconds, and a sub-second part of the verifier's clock (both sides floor it). */
export const nowArb = fc.record({ seconds: fc.integer({ min: 1_500_000_000, max: 2_000_000_000 }), ms: fc.integer({ min: 0, max: 999 }) });
export type Now = { seconds: number; ms: number };
export const nowMs = (now: Now): number => now.seconds * 1000 + now.ms;
/** The plugin's `now` (pure.ts verdict): fractional seconds, floored by the plugin. */
export const nowFractional = (now: Now): number => now.seconds + now.ms / 1000;

/** Runs `fn` with Date.now() at `ms` (standardwebhooks reads the clock itself). */
export function atClock<T>(ms: number, fn: () => T): T {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(ms);
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
}

// ---------------------------------------------------------------------------------------------
// Standard Webhooks

/** `whsec_` + base64 of 1..64 random bytes (senders use 24..64), sometimes without the prefix. */
export const whsecArb = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean())
  .map(([bytes, prefixed]) => `${prefixed ? 'whsec_' : ''}${Buffer.from(bytes).toString('base64')}`);

/** White space that is not HTTP's OWS (SP, HTAB), so part of a header value when it ends one. */
const UNICODE_SPACE = fc.constantFrom('', '', '\u00a0', '\u3000', '\ufeff', '\u2028', '\u200b');

/**
 * Message ids: Svix-like, any visible ASCII with inner spaces, or text (non-ASCII graphemes) that
 * may start or end with Unicode white space; never SP/HTAB at either end (HTTP strips those) nor
 * control characters (not allowed in a header).
 */
export const msgIdArb = fc.oneof(
  fc.stringMatching(/^msg_[A-Za-z0-9]{20,27}$/),
  fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/),
  fc
    .tuple(UNICODE_SPACE, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), UNICODE_SPACE)
    .map(([a, s, b]) => `${a}${s}${b}`)
    .filter((s) => !/^[ \t]|[ \t]$/.test(s) && !/[\u0000-\u001f\u007f]/.test(s)),
);

export const standardWebhooks = {
  /** The library's `v1,<base64>` for this delivery. */
  sign(secret: string, id: string, ts: number, payload: string): string {
    return new Webhook(secret).sign(id, new Date(ts * 1000), payload);
  },
  /** Whether the library verifies it at `ms` (its tolerance is fixed: 300 s both ways). */
  verify(secret: string, payload: string | Buffer, headers: Record<string, string>, ms: number): boolean {
    return atClock(ms, () => {
      try {
        new Webhook(secret).verify(payload, headers, { jsonParse: false });
        return true;
      } catch (error) {
        if (error instanceof WebhookVerificationError) return false;
        throw error;
      }
    });
  },
  TOLERANCE: 300,
};

// ---------------------------------------------------------------------------------------------
// Stripe

const stripeClient = new Stripe('sk_test_oracle');

/** Stripe's endpoint secrets: `whsec_` and 32+ alphanumerics, used as text. */
export const stripeSecretArb = fc.stringMatching(/^whsec_[A-Za-z0-9]{32,48}$/);

export const stripe = {
  /** `t=<ts>,<scheme>=<hex>` as stripe-node writes it (scheme v1 unless given). */
  header(secret: string, ts: number, payload: string, scheme?: string): string {
    return stripeClient.webhooks.generateTestHeaderString({ payload, secret, timestamp: ts, ...(scheme ? { scheme } : {}) });
  },
  /** The hex signature alone. */
  signature(secret: string, ts: number, payload: string, scheme = 'v1'): string {
    const header = stripe.header(secret, ts, payload, scheme);
    return header.slice(header.indexOf(`,${scheme}=`) + scheme.length + 2);
  },
  /** What constructEvent checks before parsing the JSON (signature, then age), at `ms`. */
  verify(payload: string, header: string, secret: string, tolerance: number, ms: number): boolean {
    try {
      stripeClient.webhooks.signature!.verifyHeader(payload, header, secret, tolerance, undefined, ms);
      return true;
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) return false;
      throw error;
    }
  },
  /** constructEvent itself, for JSON event bodies: the parsed event, or undefined when refused. */
  constructEvent(payload: string, header: string, secret: string, tolerance: number, ms: number): unknown {
    try {
      return stripeClient.webhooks.constructEvent(payload, header, secret, tolerance, undefined, ms);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) return undefined;
      throw error;
    }
  },
};

// ---------------------------------------------------------------------------------------------
// GitHub

/** Any text secret without surrounding whitespace (GitHub takes what the user types). */
export const githubSecretArb = fc.oneof(fc.stringMatching(/^[!-~]{1,40}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 })).filter((s) => s.trim() === s && s !== '');

export const github = {
  /** `sha256=<hex>`; octokit refuses an empty payload (TypeError). */
  sign: (secret: string, payload: string): Promise<string> => octokitSign(secret, payload),
  /** Whether any of the secrets verifies it (octokit's rotation helper). */
  verify: async (secrets: readonly string[], payload: string, signature: string): Promise<boolean> =>
    (await verifyWithFallback(secrets[0]!, payload, signature, secrets.slice(1))) === true,
};

// ---------------------------------------------------------------------------------------------
// Slack

/** Slack signing secrets: 32 lowercase hex digits. */
export const slackSecretArb = fc.stringMatching(/^[0-9a-f]{32}$/);

export const slack = {
  /** Slack's documented signature: `v0=` + hex HMAC of `v0:<timestamp>:<body>`. */
  sign(secret: string, ts: number | string, payload: Buffer | string): string {
    return `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(payload).digest('hex')}`;
  },
  /** Bolt's check, as its HTTPReceiver calls it (the timestamp header as a Number), at `ms`. */
  verify(secret: string, payload: string, signature: string, timestamp: string, ms: number): boolean {
    return isValidSlackRequest({
      signingSecret: secret,
      body: payload,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) },
      nowMilliseconds: ms,
    });
  },
  TOLERANCE: 300,
};
