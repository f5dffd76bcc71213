/**
 * With `scope: service_host` the keys are the client's Host headers (wildcard or host-less
 * routes): random Hosts must not make the node's plugin server hold more than a fixed budget
 * (found by review). A breaker costs about 225 bytes per window bucket, and the family took
 * 10 000 of them whatever window_buckets was: 2.2 GB at window_buckets 1000, past the heap of the
 * process every circuit of the node lives in. Service and route keys stay bounded by count only.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { breakerFor, familyFor } from '../../../plugins/circuit-breaker/runtime';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const BUDGET_BYTES = 256 * 1024 * 1024;

function retained(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it('random Host headers cannot make a service_host family retain more than a fixed memory budget', () => {
  const rawConfig = { scope: 'service_host', window_ms: 10_000, window_buckets: 1000, __plugin_id: 'p-memory' };
  const family = familyFor(rawConfig);
  const config = family.config!;
  expect(config).toBeDefined();
  const now = 1_800_000_000_000;
  const base = retained();
  let grown = 0;
  let created = 0;
  for (let i = 0; i < 10_000; i++) {
    // what access does for a request with `Host: h<i>.tenants.example.com`
    const entry = breakerFor(family, config, { scope: 'service_host', serviceId: 'svc', host: `h${i}.tenants.example.com` }, now);
    entry.breaker.admit(now);
    created++;
    if (i % 250 === 249) {
      grown = retained() - base;
      if (grown > BUDGET_BYTES) break; // stop before the test process itself runs out of heap
    }
  }
  // without a budget in buckets, 256 MB were passed after ~1 200 hosts (about 225 KB per breaker)
  expect({ created, breakersKept: family.breakers.size, overBudget: grown > BUDGET_BYTES }).toEqual({
    created: 10_000,
    breakersKept: 200, // 200 000 buckets of 1000
    overBudget: false,
  });
  family.breakers.clear();
});

it('service and route keys, which the configuration bounds, are kept by count only', () => {
  const family = familyFor({ scope: 'service', window_ms: 10_000, window_buckets: 1000, __plugin_id: 'p-services' });
  const config = family.config!;
  const now = 1_800_000_000_000;
  for (let i = 0; i < 300; i++) breakerFor(family, config, { scope: 'service', serviceId: `svc-${i}` }, now).breaker.admit(now);
  expect(family.breakers.size).toBe(300);
  family.breakers.clear();
});

