/**
 * Senders, written from the providers' documentation independently of the plugin's code: what
 * Standard Webhooks, Stripe, GitHub, Slack and Shopify put in their headers for a body. Plus the
 * published vectors of test/fixtures/vectors/webhook_vectors.json.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const VECTORS = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '..', '..', 'fixtures', 'vectors', 'webhook_vectors.json'), 'utf8'),
) as WebhookVectors;

export interface WebhookVectors {
  standard_webhooks: { vectors: Array<Record<string, unknown> & { secret: string; 'webhook-id': string; 'webhook-timestamp': number; body: string }> };
  github: { vectors: Array<{ secret: string; body: string; expected_header: string }> };
  slack: { vectors: Array<{ signing_secret: string; 'X-Slack-Request-Timestamp': string; body: string; expected_header: string }> };
  stripe: { vectors: Array<Record<string, unknown> & { secret: string; t: number; body: string }> };
  shopify: { vectors: Array<{ secret: string; body: string; expected_header: string }> };
}

/** A fresh Standard Webhooks secret (`whsec_` + base64 of 32 random bytes). */
export function newWhsec(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const hmac = (alg: string, key: Buffer | string, ...parts: Array<string | Buffer>) => {
  const mac = createHmac(alg, key);
  for (const p of parts) mac.update(p);
  return mac.digest();
};

export function standardSignature(secret: string, id: string, ts: number | string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${hmac('sha256', key, `${id}.${ts}.`, body).toString('base64')}`;
}

export function standardHeaders(secret: string | string[], id: string, ts: number, body: string | Buffer): Array<[string, string]> {
  const secrets = Array.isArray(secret) ? secret : [secret];
  return [
    ['webhook-id', id],
    ['webhook-timestamp', String(ts)],
    ['webhook-signature', secrets.map((s) => standardSignature(s, id, ts, body)).join(' ')],
  ];
}

/** The same delivery with Svix's names for the three headers (svix-id, svix-timestamp, svix-signature). */
export function svixHeaders(secret: string | string[], id: string, ts: number, body: string | Buffer): Array<[string, string]> {
  return standardHeaders(secret, id, ts, body).map(([name, value]) => [name.replace(/^webhook-/, 'svix-'), value]);
}

export function stripeV1(secret: string, t: number, body: string | Buffer): string {
  return hmac('sha256', secret, `${t}.`, body).toString('hex');
}

export function stripeHeader(secrets: string[], t: number, body: string | Buffer): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${stripeV1(s, t, body)}`)].join(',');
}

export function githubHeader(secret: string, body: string | Buffer, alg: 'sha256' | 'sha1' = 'sha256'): string {
  return `${alg}=${hmac(alg, secret, body).toString('hex')}`;
}

export function slackHeader(secret: string, ts: number, body: string | Buffer): string {
  return `v0=${hmac('sha256', secret, `v0:${ts}:`, body).toString('hex')}`;
}

export function shopifyHeader(secret: string, body: string | Buffer): string {
  return hmac('sha256', secret, body).toString('base64');
}

/** A JSON body of exactly `size` bytes. */
export function jsonBodyOfSize(size: number, id = 'evt_large'): string {
  const head = `{"id":"${id}","pad":"`;
  const tail = '"}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}
