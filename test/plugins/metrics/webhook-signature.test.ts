/**
 * webhook-signature's metrics, scraped from the plugin server Kong would run (with
 * --metrics-port), with KongSim playing Kong 3.4.2 in front of the real upstream of the plugin's
 * own tests and senders signing as Standard Webhooks, GitHub and Stripe do: verified deliveries,
 * refusals by reason and duplicates, per scheme.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kongRoute, kongService } from '../../harness';
import { WEBHOOK_REJECTION_REASONS, WEBHOOK_SCHEMES } from '../../../plugins/shared/metrics';
import { KONG_VERSION, Upstream, post } from '../webhook-signature/harness-env';
import { githubHeader, newWhsec, standardHeaders, stripeHeader } from '../webhook-signature/signing';
import { delta, type Scrape } from './scrape';
import { startMetricsNode, type MetricsNode } from './env';

const T = 1_700_000_000;
const VERIFIED = 'kong_js_webhook_verified_total';
const REJECTED = 'kong_js_webhook_rejected_total';
const DUPLICATES = 'kong_js_webhook_duplicates_total';
const secret = newWhsec();

let upstream: Upstream;
let node: MetricsNode;
const routes: Record<string, string> = {};

beforeAll(async () => {
  upstream = new Upstream();
  await upstream.start();
  node = await startMetricsNode({ plugin: 'webhook-signature', clock: T, sim: { kongVersion: KONG_VERSION } });
  const service = node.sim.addService(kongService({ name: 'hooks', host: '127.0.0.1', port: upstream.port }));
  const route = (name: string, config: Record<string, unknown>) => {
    const r = node.sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } }));
    node.sim.addPlugin({ name: 'webhook-signature', route: r.id, config });
    routes[name] = `/${name}`;
  };
  route('standard', { secrets: [secret], dedup: { enabled: true } });
  route('github', { scheme: 'github', secrets: ['gh'], dedup: { enabled: true } });
  route('stripe', { scheme: 'stripe', secrets: ['whsec_s'] });
});

afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

/** Every series of `name` that moved, as `scheme[/reason]: delta`. */
function moved(after: Scrape, before: Scrape, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of after.series(name)) {
    const d = delta(after, before, name, s.labels);
    if (d !== 0) out[[s.labels.scheme, s.labels.reason].filter(Boolean).join('/')] = d;
  }
  return out;
}

describe('webhook-signature metrics', () => {
  it('exposes every scheme and reason from the start, at 0', async () => {
    const s = await node.scrape();
    expect(s.series(VERIFIED).map((x) => x.labels.scheme).sort()).toEqual([...WEBHOOK_SCHEMES].sort());
    expect(s.series(DUPLICATES).length).toBe(WEBHOOK_SCHEMES.length);
    expect(s.series(REJECTED).length).toBe(WEBHOOK_SCHEMES.length * WEBHOOK_REJECTION_REASONS.length);
    expect(s.samples.filter((x) => x.name.startsWith('kong_js_webhook_')).every((x) => x.value === 0)).toBe(true);
  });

  it('counts verified deliveries, refusals by reason and duplicates, per scheme', async () => {
    const before = await node.scrape();
    const send = async (path: string, headers: Array<[string, string]>, body: string, status: number) => {
      const res = await node.sim.request(post(path, headers, body));
      expect(res.status, `${path} ${res.text()}`).toBe(status);
    };
    const std = (id: string, opts: { ts?: number; secret?: string } = {}) => {
      const body = `{"event":"${id}"}`;
      return [standardHeaders(opts.secret ?? secret, id, opts.ts ?? T, body), body] as const;
    };

    await send(routes.standard!, ...std('msg_1'), 200);
    await send(routes.standard!, ...std('msg_2'), 200);
    await send(routes.standard!, ...std('msg_1'), 200); // duplicate: 200 + Webhook-Duplicate
    await send(routes.standard!, ...std('msg_3', { secret: newWhsec() }), 401);
    await send(routes.standard!, ...std('msg_4', { ts: T - 3600 }), 401);
    const [headers, body] = std('msg_5');
    await send(routes.standard!, headers.filter(([name]) => name !== 'webhook-signature'), body, 401);

    const zen = '{"zen":"Keep it logically awesome."}';
    const signed: Array<[string, string]> = [['X-Hub-Signature-256', githubHeader('gh', zen)]];
    await send(routes.github!, [...signed, ['X-GitHub-Delivery', 'guid-1']], zen, 200);
    await send(routes.github!, [...signed, ['X-GitHub-Delivery', 'guid-1']], zen, 200); // duplicate
    await send(routes.github!, signed, zen, 400); // verified, but no delivery id to de-duplicate by
    await send(routes.github!, [['X-Hub-Signature-256', githubHeader('not-gh', zen)], ['X-GitHub-Delivery', 'guid-2']], zen, 401);

    const invoice = JSON.stringify({ id: 'evt_1', object: 'event' });
    await send(routes.stripe!, [['Stripe-Signature', stripeHeader(['whsec_s'], T, invoice)]], invoice, 200);
    await send(routes.stripe!, [], invoice, 401);

    const after = await node.scrape();
    expect(moved(after, before, VERIFIED)).toEqual({ 'standard-webhooks': 3, github: 3, stripe: 1 });
    expect(moved(after, before, DUPLICATES)).toEqual({ 'standard-webhooks': 1, github: 1 });
    expect(moved(after, before, REJECTED)).toEqual({
      'standard-webhooks/signature_mismatch': 1,
      'standard-webhooks/timestamp_too_old': 1,
      'standard-webhooks/missing_header': 1,
      'github/missing_event_id': 1,
      'github/signature_mismatch': 1,
      'stripe/missing_header': 1,
    });
    expect(upstream.hits.length).toBe(4);
  });
});
