/**
 * GitHub, Stripe and Slack write their hex signatures in lowercase, and their official libraries
 * compare the signature as text: @octokit/webhooks-methods compares `sha256=<hex>` byte for byte,
 * stripe-node `secureCompare`s the hex of each `v1=`, @slack/bolt `tsscmp`s the hex after `v0=`.
 * Found by the SDK differential tests (sdk-oracles.test.ts): the plugin decoded hex in either case,
 * so the same digest had 2^64 spellings (every letter in either case) that all passed as the
 * sender's one signature, where every reference library refuses all but the lowercase one. The
 * same reasoning as the canonical base64 rule (signature-base64-canonical.test.ts): a relay could
 * rewrite a genuine signature into text the sender never produced and still get through, while an
 * upstream re-verifying with the provider's library refuses it.
 *
 * The custom scheme keeps accepting either case: a custom sender may write uppercase hex (.NET's
 * Convert.ToHexString does), and there is no reference library to agree with.
 */
import { createHmac } from 'node:crypto';
import { sign as githubSign, verify as githubVerify } from '@octokit/webhooks-methods';
import { isValidSlackRequest } from '@slack/bolt';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { decodeSignature } from '../../../plugins/webhook-signature/signature';
import { compiled, verdict } from './pure';

const T = 1_700_000_000;
const body = '{"type":"invoice.paid","id":"evt_1"}';
const stripe = new Stripe('sk_test_oracle');

/** The hex with its letters upper-cased, and with only the first letter upper-cased. */
function otherSpellings(hex: string): string[] {
  const first = hex.search(/[a-f]/);
  expect(first).toBeGreaterThanOrEqual(0); // a 64-digit digest without a letter: not with these inputs
  return [hex.toUpperCase(), `${hex.slice(0, first)}${hex[first]!.toUpperCase()}${hex.slice(first + 1)}`];
}

describe('hex signatures of github, stripe and slack: lowercase only, as their libraries compare them', () => {
  it('github: @octokit/webhooks-methods and the plugin refuse the upper-case spellings', async () => {
    const secret = "It's a Secret to Everybody";
    const config = compiled({ scheme: 'github', secrets: [secret] });
    const header = await githubSign(secret, body);
    expect(verdict(config, [['X-Hub-Signature-256', header]], body, T)).toBe('ok'); // control
    for (const hex of otherSpellings(header.slice('sha256='.length))) {
      expect(await githubVerify(secret, body, `sha256=${hex}`)).toBe(false);
      expect(verdict(config, [['X-Hub-Signature-256', `sha256=${hex}`]], body, T)).toBe('malformed_header: X-Hub-Signature-256');
    }
  });

  it('stripe: stripe-node and the plugin refuse the upper-case spellings', () => {
    const secret = 'whsec_oracle';
    const config = compiled({ scheme: 'stripe', secrets: [secret] });
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: T });
    expect(verdict(config, [['Stripe-Signature', header]], body, T)).toBe('ok'); // control
    const hex = header.split('v1=')[1]!;
    for (const other of otherSpellings(hex)) {
      const forged = `t=${T},v1=${other}`;
      expect(() => stripe.webhooks.signature!.verifyHeader(body, forged, secret, 300, undefined, T * 1000)).toThrow(/No signatures found matching/);
      expect(verdict(config, [['Stripe-Signature', forged]], body, T)).toBe('malformed_header: Stripe-Signature');
    }
  });

  it('slack: @slack/bolt and the plugin refuse the upper-case spellings', () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const config = compiled({ scheme: 'slack', secrets: [secret] });
    const hex = createHmac('sha256', secret).update(`v0:${T}:${body}`).digest('hex');
    const check = (signature: string) =>
      isValidSlackRequest({ signingSecret: secret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': T }, nowMilliseconds: T * 1000 });
    const headers = (signature: string): Array<[string, string]> => [['X-Slack-Signature', signature], ['X-Slack-Request-Timestamp', String(T)]];
    expect(check(`v0=${hex}`)).toBe(true); // control: the library's own HMAC is ours
    expect(verdict(config, headers(`v0=${hex}`), body, T)).toBe('ok');
    for (const other of otherSpellings(hex)) {
      expect(check(`v0=${other}`)).toBe(false);
      expect(verdict(config, headers(`v0=${other}`), body, T)).toBe('malformed_header: X-Slack-Signature');
    }
  });

  it('custom hex still accepts either case (no reference library; some senders write uppercase)', () => {
    const config = compiled({ scheme: 'custom', secrets: ['acme'], custom: { signature_header: 'X-Sig' } });
    const hex = createHmac('sha256', 'acme').update(body).digest('hex');
    for (const spelling of [hex, ...otherSpellings(hex)]) expect(verdict(config, [['X-Sig', spelling]], body, T)).toBe('ok');
  });

  it('decodeSignature: lowercase-hex takes only lowercase digits; hex takes both', () => {
    const digest = Buffer.alloc(32, 0xab);
    expect(decodeSignature(digest.toString('hex'), 'lowercase-hex', 32)).toEqual(digest);
    expect(decodeSignature(digest.toString('hex').toUpperCase(), 'lowercase-hex', 32)).toBeUndefined();
    expect(decodeSignature(digest.toString('hex').toUpperCase(), 'hex', 32)).toEqual(digest);
  });
});
