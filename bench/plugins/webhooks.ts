/** Standard Webhooks deliveries for the benchmark (webhook-id, -timestamp, -signature). */
import { createHmac, randomBytes } from 'node:crypto';

export function newWhsec(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A JSON body of exactly `size` bytes. */
export function jsonBody(size: number): Buffer {
  const head = '{"type":"bench","pad":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(size - head.length - tail.length) + tail, 'utf8');
}

export function standardWebhookHeaders(secret: string, id: string, timestamp: number, body: Buffer): Array<[string, string]> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return [
    ['webhook-id', id],
    ['webhook-timestamp', String(timestamp)],
    ['webhook-signature', `v1,${mac}`],
  ];
}
