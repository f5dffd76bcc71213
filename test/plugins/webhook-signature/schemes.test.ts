/**
 * What each scheme reads from the headers and which check fails first: missing, repeated, empty
 * or malformed headers, signatures of unsupported versions, timestamps on both sides of the
 * tolerance, rotation, and the custom scheme's template.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SIGNATURES } from '../../../plugins/webhook-signature/schemes';
import { checkTimestamp } from '../../../plugins/webhook-signature/verify';
import { compiled, verdict } from './pure';
import { githubHeader, newWhsec, shopifyHeader, slackHeader, standardHeaders, standardSignature, stripeHeader, stripeV1, svixHeaders } from './signing';

const T = 1_700_000_000;
const body = '{"type":"invoice.paid","id":"evt_1"}';

describe('timestamp tolerance', () => {
  it.each([
    [T - 300, undefined],
    [T - 301, 'timestamp_too_old'],
    [T + 300, undefined],
    [T + 301, 'timestamp_too_new'],
    [T, undefined],
  ])('ts %i at now %i', (ts, expected) => {
    expect(checkTimestamp(ts, T, 300)?.code).toBe(expected);
  });

  it('fractional clocks are floored, as senders use whole seconds', () => {
    const secret = newWhsec();
    const config = compiled({ secrets: [secret] });
    expect(verdict(config, standardHeaders(secret, 'msg_1', T - 300, body), body, T + 0.999)).toBe('ok');
    expect(verdict(config, standardHeaders(secret, 'msg_1', T + 300, body), body, T - 0.5)).toBe('timestamp_too_new');
  });
});

describe('standard-webhooks', () => {
  const secret = newWhsec();
  const config = compiled({ secrets: [secret] });
  const good = standardHeaders(secret, 'msg_1', T, body);
  const without = (name: string) => good.filter(([k]) => k !== name);
  const replaced = (name: string, value: string): Array<[string, string]> => good.map(([k, v]) => [k, k === name ? value : v]);

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('missing %s', (name) => {
    expect(verdict(config, without(name), body, T)).toBe(`missing_header: ${name}`);
  });

  it.each([
    ['webhook-timestamp', '1614265330abc'],
    ['webhook-timestamp', '-5'],
    ['webhook-timestamp', '1.5e9'],
    ['webhook-signature', 'v1,'],
    ['webhook-signature', 'v1,not*base64'],
    ['webhook-signature', `v1,${Buffer.alloc(31).toString('base64')}`],
  ])('malformed %s: %s', (name, value) => {
    expect(verdict(config, replaced(name, value), body, T)).toBe(`malformed_header: ${name}`);
  });

  it('a header sent twice is malformed', () => {
    expect(verdict(config, [...good, ['webhook-timestamp', String(T)]], body, T)).toBe('malformed_header: webhook-timestamp');
  });

  it('only unsupported versions (v1a ed25519, v2): no supported signature', () => {
    const sig = standardSignature(secret, 'msg_1', T, body).slice(3);
    expect(verdict(config, replaced('webhook-signature', `v1a,${sig} v2,${sig}`), body, T)).toBe('no_supported_signature: webhook-signature');
  });

  it('unknown versions and broken entries are skipped when a valid v1 is present', () => {
    const valid = standardSignature(secret, 'msg_1', T, body);
    expect(verdict(config, replaced('webhook-signature', `v2,abc v1, junk ${valid}`), body, T)).toBe('ok');
  });

  it(`more than ${MAX_SIGNATURES} signatures is malformed`, () => {
    const valid = standardSignature(secret, 'msg_1', T, body);
    expect(verdict(config, replaced('webhook-signature', Array(MAX_SIGNATURES + 1).fill(valid).join(' ')), body, T)).toBe('malformed_header: webhook-signature');
  });

  it('the id and timestamp are signed: changing either breaks the signature', () => {
    expect(verdict(config, replaced('webhook-id', 'msg_2'), body, T)).toBe('signature_mismatch');
    expect(verdict(config, replaced('webhook-timestamp', String(T + 1)), body, T)).toBe('signature_mismatch');
  });

  it('an empty body is signed like any other (reference libraries accept it)', () => {
    expect(verdict(config, standardHeaders(secret, 'msg_e', T, ''), '', T)).toBe('ok');
  });

  it('rotation: two secrets configured, the header carries signatures by both', () => {
    const next = newWhsec();
    const both = compiled({ secrets: [secret, next] });
    expect(verdict(both, standardHeaders([secret, next], 'msg_r', T, body), body, T)).toBe('ok');
    expect(verdict(both, standardHeaders([next], 'msg_r', T, body), body, T)).toBe('ok');
    expect(verdict(both, standardHeaders([newWhsec()], 'msg_r', T, body), body, T)).toBe('signature_mismatch');
    expect(verdict(compiled({ secrets: [next] }), standardHeaders([secret], 'msg_r', T, body), body, T)).toBe('signature_mismatch');
  });

  it('header names are case-insensitive', () => {
    const upper = good.map(([k, v]) => [k.toUpperCase(), v] as [string, string]);
    expect(verdict(config, upper, body, T)).toBe('ok');
  });
});

describe("standard-webhooks with Svix's header names", () => {
  const secret = newWhsec();
  const config = compiled({ secrets: [secret] });
  const svix = svixHeaders(secret, 'msg_s', T, body);
  const without = (name: string) => svix.filter(([k]) => k !== name);

  it('verifies svix-id, svix-timestamp and svix-signature as the webhook-* set', () => {
    expect(verdict(config, svix, body, T)).toBe('ok');
    expect(verdict(config, svixHeaders(secret, 'msg_s', T - 301, body), body, T)).toBe('timestamp_too_old');
    expect(verdict(config, svix.map(([k, v]) => [k, k === 'svix-id' ? 'msg_t' : v] as [string, string]), body, T)).toBe('signature_mismatch');
  });

  it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('a missing %s is named as such', (name) => {
    expect(verdict(config, without(name), body, T)).toBe(`missing_header: ${name}`);
  });

  it('never mixes the sets: one webhook-* header makes it the set read, and its missing headers are named', () => {
    const mixed: Array<[string, string]> = [['webhook-id', 'msg_s'], ...without('svix-id')];
    expect(verdict(config, mixed, body, T)).toBe('missing_header: webhook-timestamp');
    // both full sets: webhook-* is the one verified
    const both = [...standardHeaders(secret, 'msg_w', T, body), ...svixHeaders(newWhsec(), 'msg_s', T, body)];
    expect(verdict(config, both, body, T)).toBe('ok');
    const wrongWebhook = [...standardHeaders(newWhsec(), 'msg_w', T, body), ...svix];
    expect(verdict(config, wrongWebhook, body, T)).toBe('signature_mismatch');
  });

  it('neither set: the failure names the standard header', () => {
    expect(verdict(config, [], body, T)).toBe('missing_header: webhook-id');
  });
});

describe('stripe', () => {
  const secret = 'whsec_stripe_test';
  const config = compiled({ scheme: 'stripe', secrets: [secret] });
  it.each([
    ['no t', `v1=${stripeV1(secret, T, body)}`, 'malformed_header: Stripe-Signature'],
    ['two t', `t=${T},t=${T},v1=${stripeV1(secret, T, body)}`, 'malformed_header: Stripe-Signature'],
    ['t not a number', `t=abc,v1=${stripeV1(secret, T, body)}`, 'malformed_header: Stripe-Signature'],
    ['only v0', `t=${T},v0=${stripeV1(secret, T, body)}`, 'no_supported_signature: Stripe-Signature'],
    ['v1 not hex', `t=${T},v1=zz`, 'malformed_header: Stripe-Signature'],
    ['wrong secret', stripeHeader(['whsec_other'], T, body), 'signature_mismatch'],
    ['too old', stripeHeader([secret], T - 301, body), 'timestamp_too_old'],
    ['too new', stripeHeader([secret], T + 301, body), 'timestamp_too_new'],
    ['v0 and v1 together', `t=${T},v0=abcd,v1=${stripeV1(secret, T, body)}`, 'ok'],
    ['spaces after commas', `t=${T}, v1=${stripeV1(secret, T, body)}`, 'ok'],
  ])('%s', (_, header, expected) => {
    expect(verdict(config, [['Stripe-Signature', header]], body, T)).toBe(expected);
  });

  it('the secret is used as text, whsec_ prefix included (not base64-decoded)', () => {
    const b64ish = 'whsec_abcd1234efgh';
    const header: Array<[string, string]> = [['Stripe-Signature', stripeHeader([b64ish], T, body)]];
    expect(verdict(compiled({ scheme: 'stripe', secrets: [b64ish] }), header, body, T)).toBe('ok');
    expect(verdict(compiled({ scheme: 'stripe', secrets: [b64ish], secret_encoding: 'base64' }), header, body, T)).toBe('signature_mismatch');
  });
});

describe('github', () => {
  const secret = "It's a Secret to Everybody";
  it('sha256 by default; the legacy sha1 header does not count', () => {
    const config = compiled({ scheme: 'github', secrets: [secret] });
    expect(verdict(config, [['X-Hub-Signature', githubHeader(secret, body, 'sha1')]], body, 0)).toBe('missing_header: X-Hub-Signature-256');
    expect(verdict(config, [['X-Hub-Signature-256', githubHeader(secret, body, 'sha1')]], body, 0)).toBe('malformed_header: X-Hub-Signature-256');
    expect(verdict(config, [['X-Hub-Signature-256', githubHeader(secret, body).toUpperCase()]], body, 0)).toBe('malformed_header: X-Hub-Signature-256');
  });

  it('algorithm sha1 verifies X-Hub-Signature', () => {
    const config = compiled({ scheme: 'github', secrets: [secret], algorithm: 'sha1' });
    expect(verdict(config, [['X-Hub-Signature', githubHeader(secret, body, 'sha1')]], body, 0)).toBe('ok');
    expect(verdict(config, [['X-Hub-Signature-256', githubHeader(secret, body)]], body, 0)).toBe('missing_header: X-Hub-Signature');
  });

  it('has no timestamp: an old delivery still verifies', () => {
    expect(verdict(compiled({ scheme: 'github', secrets: [secret] }), [['X-Hub-Signature-256', githubHeader(secret, body)]], body, 4e9)).toBe('ok');
  });
});

describe('slack', () => {
  const secret = 'slack-signing-secret';
  const config = compiled({ scheme: 'slack', secrets: [secret] });
  it('needs both headers; the signature is checked first', () => {
    expect(verdict(config, [['X-Slack-Request-Timestamp', String(T)]], body, T)).toBe('missing_header: X-Slack-Signature');
    expect(verdict(config, [['X-Slack-Signature', slackHeader(secret, T, body)]], body, T)).toBe('missing_header: X-Slack-Request-Timestamp');
  });
  it('tolerance in both directions', () => {
    const at = (ts: number): Array<[string, string]> => [['X-Slack-Signature', slackHeader(secret, ts, body)], ['X-Slack-Request-Timestamp', String(ts)]];
    expect(verdict(config, at(T - 300), body, T)).toBe('ok');
    expect(verdict(config, at(T + 300), body, T)).toBe('ok');
    expect(verdict(config, at(T - 301), body, T)).toBe('timestamp_too_old');
    expect(verdict(config, at(T + 301), body, T)).toBe('timestamp_too_new');
  });
});

describe('shopify', () => {
  it('base64 of the body HMAC; hex is malformed', () => {
    const config = compiled({ scheme: 'shopify', secrets: ['hush'] });
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', shopifyHeader('hush', body)]], body, 0)).toBe('ok');
    const hex = Buffer.from(shopifyHeader('hush', body), 'base64').toString('hex');
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', hex]], body, 0)).toBe('malformed_header: X-Shopify-Hmac-Sha256');
  });
});

describe('custom', () => {
  const secret = 'custom-secret';
  const sign = (alg: string, content: string, enc: 'hex' | 'base64') => createHmac(alg, secret).update(content).digest(enc);

  it('template with id, timestamp and literal text; sha512; base64; prefix; several signatures', () => {
    const config = compiled({
      scheme: 'custom',
      secrets: ['old-secret', secret],
      algorithm: 'sha512',
      custom: {
        signature_header: 'X-Acme-Signature',
        signature_prefix: 'sig=',
        signature_separator: ';',
        signature_encoding: 'base64',
        timestamp_header: 'X-Acme-Time',
        id_header: 'X-Acme-Id',
        signed_content: 'acme:{id}:{timestamp}:{body}',
      },
    });
    const sig = sign('sha512', `acme:d-1:${T}:${body}`, 'base64');
    const headers = (value: string, ts = T): Array<[string, string]> => [
      ['X-Acme-Signature', value],
      ['X-Acme-Time', String(ts)],
      ['X-Acme-Id', 'd-1'],
    ];
    expect(verdict(config, headers(`other=abc; sig=${sig}`), body, T)).toBe('ok');
    expect(verdict(config, headers(`sig=${sig}`), body, T + 301)).toBe('timestamp_too_old');
    expect(verdict(config, headers(`other=${sig}`), body, T)).toBe('no_supported_signature: X-Acme-Signature');
    expect(verdict(config, [['X-Acme-Signature', `sig=${sig}`], ['X-Acme-Time', String(T)]], body, T)).toBe('missing_header: X-Acme-Id');
  });

  it('body only, hex, sha1, one signature', () => {
    const config = compiled({ scheme: 'custom', secrets: [secret], algorithm: 'sha1', custom: { signature_header: 'X-Sig' } });
    expect(verdict(config, [['X-Sig', sign('sha1', body, 'hex')]], body, 0)).toBe('ok');
    expect(verdict(config, [['X-Sig', sign('sha256', body, 'hex')]], body, 0)).toBe('malformed_header: X-Sig');
  });
});
