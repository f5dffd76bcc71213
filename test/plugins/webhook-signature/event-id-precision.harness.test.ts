/**
 * De-duplication by a numeric JSON event id keeps ids beyond 2^53 (64-bit snowflake ids) apart:
 * read as doubles, two different events round to one id, and the second was answered 200 +
 * Webhook-Duplicate without ever reaching the upstream. README: `dedup.id_json_field` holds the
 * event id, "a non-empty string, or a number".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { githubHeader } from './signing';

let env: WebhookEnv;
beforeAll(async () => {
  env = await startWebhookEnv();
});
afterAll(async () => env?.close());

describe('dedup by a numeric JSON event id', () => {
  it('two distinct 64-bit ids are two events, both forwarded', async () => {
    const route = env.route('numeric-ids', { scheme: 'github', secrets: ['gh'], dedup: { enabled: true, id_json_field: 'id' } });
    // distinct integers (e.g. snowflake ids), equal once rounded to a double
    const first = '{"id":9007199254740993,"action":"created"}';
    const second = '{"id":9007199254740992,"action":"created"}';
    const a = await env.request(post(route, [['X-Hub-Signature-256', githubHeader('gh', first)]], first));
    expect(a.status, a.text()).toBe(200);
    expect(a.source).toBe('service');
    const hits = env.upstream.hits.length;
    const b = await env.request(post(route, [['X-Hub-Signature-256', githubHeader('gh', second)]], second));
    expect(b.headers.first('webhook-duplicate')).toBeUndefined();
    expect(b.source).toBe('service');
    expect(env.upstream.hits.length).toBe(hits + 1);
    expect(env.upstream.hits[hits]!.body.toString()).toBe(second);
  });

  it('control: the same two ids as JSON strings are kept apart', async () => {
    const route = env.route('string-ids', { scheme: 'github', secrets: ['gh'], dedup: { enabled: true, id_json_field: 'id' } });
    const first = '{"id":"9007199254740993"}';
    const second = '{"id":"9007199254740992"}';
    expect((await env.request(post(route, [['X-Hub-Signature-256', githubHeader('gh', first)]], first))).source).toBe('service');
    expect((await env.request(post(route, [['X-Hub-Signature-256', githubHeader('gh', second)]], second))).source).toBe('service');
  });
});
