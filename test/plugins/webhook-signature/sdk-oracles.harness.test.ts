/**
 * The differential tests of sdk-oracles.test.ts end to end: deliveries signed by the providers'
 * official libraries (standardwebhooks, stripe-node, @octokit/webhooks-methods; Slack's signed per
 * its docs and checked by @slack/bolt) go through KongSim and the real plugin server
 * (TEST_PLUGIN_SERVER picks the project's or kong-pdk's) to a loopback upstream. A handful of
 * fast-check runs per provider (fixed seed): each signed delivery is forwarded with its body byte
 * for byte, the library verifies it too, and the same delivery with one body byte changed is
 * refused by both. Then the tolerance bounds, where stripe-node and bolt differ from the plugin on
 * purpose (see sdk-oracles.test.ts), and the two plugin fixes the oracles found.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import {
  body as bodyOf,
  bodyArb,
  flipByte,
  github,
  githubSecretArb,
  msgIdArb,
  nowArb,
  nowFractional,
  nowMs,
  runs,
  sdkSigned,
  sdkText,
  slack,
  slackSecretArb,
  standardWebhooks,
  stripe,
  stripeSecretArb,
  whsecArb,
  type Body,
  type Now,
} from './sdk-oracles';

/** Bodies up to 256 KiB verify whatever Kong's version: nginx keeps them in memory. */
const BUFFER_1M = 1048576;
const HARNESS_RUNS = runs(8);

let env: WebhookEnv;
const secrets = {
  standard: [] as string[],
  stripe: [] as string[],
  github: [] as string[],
  slack: [] as string[],
};
const routes: Record<keyof typeof secrets, string> = { standard: '', stripe: '', github: '', slack: '' };

beforeAll(async () => {
  env = await startWebhookEnv({ clientBodyBufferSize: BUFFER_1M });
  // two secrets per route, as during a rotation: the providers' own formats, from the arbitraries
  const two = <T>(arb: fc.Arbitrary<T>) => fc.sample(fc.uniqueArray(arb, { minLength: 2, maxLength: 2 }), { numRuns: 1, seed: 7 })[0]!;
  secrets.standard = two(whsecArb);
  secrets.stripe = two(stripeSecretArb);
  secrets.github = two(githubSecretArb);
  secrets.slack = two(slackSecretArb);
  routes.standard = env.route('sdk-standard', { scheme: 'standard-webhooks', secrets: secrets.standard });
  routes.stripe = env.route('sdk-stripe', { scheme: 'stripe', secrets: secrets.stripe });
  routes.github = env.route('sdk-github', { scheme: 'github', secrets: secrets.github });
  routes.slack = env.route('sdk-slack', { scheme: 'slack', secrets: secrets.slack });
});
afterAll(async () => env?.close());
afterEach(() => env.setClock(undefined));

const deliver = (path: string, headers: Array<[string, string]>, bytes: Buffer) => env.request(post(path, headers, bytes, 'application/octet-stream'));

function forwarded(res: SimResult, bytes: Buffer): void {
  expect(res.status, res.text()).toBe(200);
  expect(res.source).toBe('service');
  expect(res.upstreamRequest!.body.equals(bytes)).toBe(true);
}

function refused(res: SimResult, message: string): void {
  expect(res.status, res.text()).toBe(401);
  expect(res.json()).toEqual({ message });
  expect(res.upstreamRequest).toBeUndefined();
}

/** A signed delivery and its body with one byte changed: forwarded, then refused (401). */
async function signedThenTampered(path: string, headers: Array<[string, string]>, b: Body, at: number, mask: number): Promise<void> {
  const bytes = sdkSigned(b);
  forwarded(await deliver(path, headers, bytes), bytes);
  if (bytes.length > 0) refused(await deliver(path, headers, flipByte(bytes, at, mask)), 'No matching signature');
}

const delivery = fc.record({
  body: bodyArb({ maxLength: 300 }),
  now: nowArb,
  offset: fc.integer({ min: -300, max: 300 }),
  signer: fc.nat(1),
  at: fc.nat(),
  mask: fc.integer({ min: 1, max: 255 }),
});
type Delivery = typeof delivery extends fc.Arbitrary<infer D> ? D : never;

/**
 * Run first whatever the seed draws (counted in numRuns): a 200 KB body (beyond Kong's default
 * 8 KiB buffer), bytes that are not UTF-8 (the library signs their decoding), an empty body,
 * non-ASCII text.
 */
const EXAMPLES: Delivery[] = [
  { body: bodyOf(Buffer.alloc(200_000, '{"pad":"\u00e9"}')), now: { seconds: 1_700_000_000, ms: 999 }, offset: 300, signer: 1, at: 123_457, mask: 0x80 },
  { body: bodyOf(Buffer.from([0x7b, 0xff, 0xfe, 0x80, 0x7d])), now: { seconds: 1_700_000_000, ms: 0 }, offset: -300, signer: 0, at: 1, mask: 0x01 },
  { body: bodyOf(''), now: { seconds: 1_800_000_000, ms: 1 }, offset: 0, signer: 0, at: 0, mask: 1 },
  { body: bodyOf('{"text":"h\u00e9llo \ud83d\ude00 \u4e16\u754c"}'), now: { seconds: 1_700_000_000, ms: 250 }, offset: 17, signer: 1, at: 9, mask: 0x20 },
];

describe(`deliveries signed by the providers' libraries, through the plugin server`, () => {
  it('standard-webhooks: standardwebhooks signs (one or both secrets, v1a next to them)', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, msgIdArb, fc.boolean(), async ({ body: b, now, offset, signer, at, mask }, id, both) => {
        env.setClock(nowFractional(now));
        const ts = now.seconds + offset;
        const signers = both ? secrets.standard : [secrets.standard[signer]!];
        const signature = [...signers.map((s) => standardWebhooks.sign(s, id, ts, sdkText(b))), `v1a,${Buffer.alloc(64, 1).toString('base64')}`].join(' ');
        const headers: Array<[string, string]> = [['webhook-id', id], ['webhook-timestamp', String(ts)], ['webhook-signature', signature]];
        expect(standardWebhooks.verify(signers[0]!, sdkText(b), Object.fromEntries(headers), nowMs(now))).toBe(true);
        await signedThenTampered(routes.standard, headers, b, at, mask);
      }),
      { ...HARNESS_RUNS, examples: EXAMPLES.map((d, i): [Delivery, string, boolean] => [d, `msg_example_${i}`, i % 2 === 0]) },
    );
  });

  it('stripe: stripe-node signs (a roll: v1 by both secrets, or one)', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, fc.boolean(), async ({ body: b, now, offset, signer, at, mask }, both) => {
        env.setClock(nowFractional(now));
        const ts = now.seconds + offset;
        const text = sdkText(b);
        const signers = both ? secrets.stripe : [secrets.stripe[signer]!];
        const value = [`t=${ts}`, ...signers.map((s) => `v1=${stripe.signature(s, ts, text)}`)].join(',');
        // stripe-node refuses an empty payload whatever its signature (sdk-oracles.test.ts)
        expect(stripe.verify(text, value, signers[0]!, 300, nowMs(now))).toBe(text !== '');
        await signedThenTampered(routes.stripe, [['Stripe-Signature', value]], b, at, mask);
      }),
      { ...HARNESS_RUNS, examples: EXAMPLES.map((d, i): [Delivery, boolean] => [d, i % 2 === 1]) },
    );
  });

  it('github: octokit signs with either configured secret', async () => {
    await fc.assert(
      fc.asyncProperty(delivery.filter((d) => sdkText(d.body) !== ''), async ({ body: b, signer, at, mask }) => {
        const value = await github.sign(secrets.github[signer]!, sdkText(b));
        expect(await github.verify(secrets.github, sdkText(b), value)).toBe(true);
        await signedThenTampered(routes.github, [['X-Hub-Signature-256', value]], b, at, mask);
      }),
      { ...HARNESS_RUNS, examples: EXAMPLES.filter((d) => sdkText(d.body) !== '').map((d): [Delivery] => [d]) },
    );
  });

  it("slack: signed per Slack's docs, verified by bolt, with either configured secret", async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async ({ body: b, now, offset, signer, at, mask }) => {
        env.setClock(nowFractional(now));
        const ts = now.seconds + offset;
        const signature = slack.sign(secrets.slack[signer]!, ts, sdkText(b));
        expect(slack.verify(secrets.slack[signer]!, sdkText(b), signature, String(ts), nowMs(now))).toBe(true);
        await signedThenTampered(routes.slack, [['X-Slack-Signature', signature], ['X-Slack-Request-Timestamp', String(ts)]], b, at, mask);
      }),
      { ...HARNESS_RUNS, examples: EXAMPLES.map((d): [Delivery] => [d]) },
    );
  });
});

describe('the tolerance at its bounds, against each library', () => {
  const now: Now = { seconds: 1_700_000_000, ms: 500 };
  const payload = Buffer.from('{"id":"evt_1"}');
  const TOO_OLD = 'Timestamp outside the tolerance zone (too old)';
  const TOO_NEW = 'Timestamp outside the tolerance zone (in the future)';

  /** age = now - ts: the plugin's answer (forwarded or refused) and the library's verdict. */
  it.each([
    [-301, TOO_NEW],
    [-300, undefined],
    [300, undefined],
    [301, TOO_OLD],
  ])('age %i s', async (age, refusal) => {
    env.setClock(nowFractional(now));
    const ts = now.seconds - age;
    const text = payload.toString();
    const check = async (path: string, headers: Array<[string, string]>) => {
      const res = await deliver(path, headers, payload);
      if (refusal) refused(res, refusal);
      else forwarded(res, payload);
    };

    const id = 'msg_bounds';
    const sw: Array<[string, string]> = [['webhook-id', id], ['webhook-timestamp', String(ts)], ['webhook-signature', standardWebhooks.sign(secrets.standard[0]!, id, ts, text)]];
    await check(routes.standard, sw);
    // the reference library has the same bounds, both ways
    expect(standardWebhooks.verify(secrets.standard[0]!, text, Object.fromEntries(sw), nowMs(now))).toBe(refusal === undefined);

    const stripeValue = stripe.header(secrets.stripe[0]!, ts, text);
    await check(routes.stripe, [['Stripe-Signature', stripeValue]]);
    // DIVERGENCE (deliberate): stripe-node only refuses old timestamps
    expect(stripe.verify(text, stripeValue, secrets.stripe[0]!, 300, nowMs(now))).toBe(refusal !== TOO_OLD);

    const slackSignature = slack.sign(secrets.slack[0]!, ts, text);
    await check(routes.slack, [['X-Slack-Signature', slackSignature], ['X-Slack-Request-Timestamp', String(ts)]]);
    // DIVERGENCE (deliberate): bolt only refuses old timestamps
    expect(slack.verify(secrets.slack[0]!, text, slackSignature, String(ts), nowMs(now))).toBe(refusal !== TOO_OLD);
  });
});

describe('the two plugin fixes the oracles found, end to end', () => {
  it('an upper-case hex signature is malformed, as octokit, stripe-node and bolt refuse it', async () => {
    const body = Buffer.from('{"action":"opened"}');
    const value = await github.sign(secrets.github[0]!, body.toString());
    expect(await github.verify(secrets.github, body.toString(), value.toUpperCase().replace('SHA256=', 'sha256='))).toBe(false);
    const res = await deliver(routes.github, [['X-Hub-Signature-256', `sha256=${value.slice(7).toUpperCase()}`]], body);
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Malformed X-Hub-Signature-256 header' });
  });

  it('a webhook-id ending in U+00A0 is signed with it, as the reference library signs it', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const id = 'msg_nbsp\u00a0';
    const body = Buffer.from('{"type":"user.created"}');
    const headers: Array<[string, string]> = [['webhook-id', id], ['webhook-timestamp', String(ts)], ['webhook-signature', standardWebhooks.sign(secrets.standard[1]!, id, ts, body.toString())]];
    forwarded(await deliver(routes.standard, headers, body), body);
  });
});
