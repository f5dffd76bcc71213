/**
 * Kong answers 500 `{"message":"An unexpected error occurred"}` when its database
 * falters (kong/api/endpoints.lua: DATABASE_ERROR -> 500, handle_error -> yield_error), e.g. a
 * Postgres timeout or a failover under a burst of writes. decK retries exactly these, with
 * backoff, because "Kong can temporarily fail to process a valid request (e.g. when the database
 * is under heavy load)" (Kong/go-database-reconciler pkg/diff/diff.go defaultBackOff /
 * handleEvent), and users hit them (decK issues 105, 149, 173: intermittent 500s on create).
 * kong-ctl's writes are idempotent by construction (PUT by id, PATCH of absolute values, DELETE
 * with 404 accepted: apply/requests.ts), so a 500 can be repeated safely; RETRYABLE_STATUSES
 * (kong/retry.ts) leaves 500 out, and one transient database error fails the apply.
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../cli/src/apply/execute';
import { createAdminClient } from '../../../cli/src/kong/client';
import { UUID_PATH, body, create, entity } from './helpers';

const KONG = 'http://kong-review-500.test:8001';

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('a transient 500 from Kong on an idempotent write', () => {
  it('is retried: the PUT create succeeds on the second attempt', async () => {
    const attempts: string[] = [];
    nock(KONG)
      .put(new RegExp(`^/services/${UUID_PATH}$`))
      .reply((uri) => {
        attempts.push(uri);
        return [500, { message: 'An unexpected error occurred' }];
      })
      .put(new RegExp(`^/services/${UUID_PATH}$`))
      .optionally()
      .reply((uri) => {
        attempts.push(uri);
        const b = body('057');
        b.id = uri.split('/').pop();
        return [200, b];
      });
    const c = createAdminClient({ kongAddr: KONG, headers: [] }, { sleep: async () => {} });
    try {
      const report = await applyPlan(
        { changes: [create(entity('service', { name: 'orders', host: 'orders.internal' }))] },
        c,
        { parallelism: 10, dryRun: false, currentIds: new Map(), selectTags: [] },
      );
      expect(report.results[0].error).toBeUndefined();
      expect(report.results[0].status).toBe('done');
      // Both attempts went to the same id: the retry replaced, it did not duplicate.
      expect(attempts).toHaveLength(2);
      expect(attempts[0]).toBe(attempts[1]);
    } finally {
      c.close();
    }
  });
});
