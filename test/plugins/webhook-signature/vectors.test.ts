/**
 * Every published vector of test/fixtures/vectors/webhook_vectors.json through the plugin's checks
 * (the same vectors go through the real plugin server in verify.harness.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { compiled, verdict } from './pure';
import { VECTORS } from './signing';

const sw = VECTORS.standard_webhooks.vectors;

describe('Standard Webhooks (official vectors)', () => {
  // each vector under the standard header names, then under Svix's (svix-id, svix-timestamp, svix-signature)
  const signed = sw.filter((v) => v.expected_signature);
  it.each([...signed.map((v) => ({ v, prefix: 'webhook' })), ...signed.map((v) => ({ v, prefix: 'svix' }))])('$v.name, $prefix-* headers', ({ v, prefix }) => {
    const config = compiled({ scheme: 'standard-webhooks', secrets: [v.secret] });
    const headers: Array<[string, string]> = [
      [`${prefix}-id`, v['webhook-id']],
      [`${prefix}-timestamp`, String(v['webhook-timestamp'])],
      [`${prefix}-signature`, String(v.expected_signature)],
    ];
    expect(verdict(config, headers, v.body, v['webhook-timestamp'])).toBe('ok');
  });

  it('refuses the official invalid signature', () => {
    const v = sw.find((x) => x.expect === 'reject')!;
    const config = compiled({ secrets: [v.secret] });
    const headers: Array<[string, string]> = [
      ['webhook-id', v['webhook-id']],
      ['webhook-timestamp', String(v['webhook-timestamp'])],
      ['webhook-signature', String(v.presented_signature)],
    ];
    expect(verdict(config, headers, v.body, v['webhook-timestamp'])).toBe('signature_mismatch');
  });

  it('accepts the official multi-signature header (decoys and a v2 entry around the valid one)', () => {
    const v = sw.find((x) => String(x.name).includes('multisig'))!;
    const config = compiled({ secrets: [v.secret] });
    const headers: Array<[string, string]> = [
      ['webhook-id', v['webhook-id']],
      ['webhook-timestamp', String(v['webhook-timestamp'])],
      ['webhook-signature', String(v.presented_signature)],
    ];
    expect(verdict(config, headers, v.body, v['webhook-timestamp'])).toBe('ok');
  });

  it("decodes the whsec_ secret: Kong's standard-webhooks keys (raw secret text) do not verify by default", () => {
    const v = sw[0]!;
    const kongStyle = 'v1,TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b+LcUg='; // HMAC keyed with "whsec_MfKQ…" as text
    const headers: Array<[string, string]> = [
      ['webhook-id', v['webhook-id']],
      ['webhook-timestamp', String(v['webhook-timestamp'])],
      ['webhook-signature', kongStyle],
    ];
    expect(verdict(compiled({ secrets: [v.secret] }), headers, v.body, v['webhook-timestamp'])).toBe('signature_mismatch');
    // …and secret_encoding text reproduces them, for senders that sign like Kong's plugin
    expect(verdict(compiled({ secrets: [v.secret], secret_encoding: 'text' }), headers, v.body, v['webhook-timestamp'])).toBe('ok');
  });
});

describe('GitHub (official vector)', () => {
  it.each(VECTORS.github.vectors)('$expected_header', (v) => {
    const config = compiled({ scheme: 'github', secrets: [v.secret] });
    expect(verdict(config, [['X-Hub-Signature-256', v.expected_header]], v.body, 0)).toBe('ok');
    expect(verdict(config, [['X-Hub-Signature-256', v.expected_header]], `${v.body} `, 0)).toBe('signature_mismatch');
  });
});

describe('Slack (official worked example)', () => {
  it.each(VECTORS.slack.vectors)('$expected_header', (v) => {
    const config = compiled({ scheme: 'slack', secrets: [v.signing_secret] });
    const ts = v['X-Slack-Request-Timestamp'];
    const headers: Array<[string, string]> = [
      ['X-Slack-Request-Timestamp', ts],
      ['X-Slack-Signature', v.expected_header],
    ];
    expect(verdict(config, headers, v.body, Number(ts))).toBe('ok');
    expect(verdict(config, headers, v.body, Number(ts) + 301)).toBe('timestamp_too_old');
  });
});

describe('Stripe (derived vectors: Stripe publishes none)', () => {
  it('single v1 signature', () => {
    const v = VECTORS.stripe.vectors[0]!;
    const config = compiled({ scheme: 'stripe', secrets: [v.secret] });
    expect(verdict(config, [['Stripe-Signature', String(v.expected_header)]], v.body, v.t)).toBe('ok');
  });

  it('rotation: two v1 entries, only the second secret configured', () => {
    const v = VECTORS.stripe.vectors[1]!;
    const config = compiled({ scheme: 'stripe', secrets: [v.secret] });
    expect(verdict(config, [['Stripe-Signature', String(v.header)]], v.body, v.t)).toBe('ok');
  });
});

describe('Shopify (derived vector)', () => {
  it.each(VECTORS.shopify.vectors)('$expected_header', (v) => {
    const config = compiled({ scheme: 'shopify', secrets: [v.secret] });
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', v.expected_header]], v.body, 0)).toBe('ok');
    expect(verdict(compiled({ scheme: 'shopify', secrets: ['other'] }), [['X-Shopify-Hmac-Sha256', v.expected_header]], v.body, 0)).toBe('signature_mismatch');
  });
});
