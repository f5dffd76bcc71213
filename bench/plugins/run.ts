/**
 * `npm run bench:plugins`: the plugins served by real plugin-server processes (the project's own by
 * default, kong-pdk's with BENCH_SERVER=kong-pdk), with the test
 * harness's KongSim playing Kong (MessagePack-RPC over unix sockets, as Kong does), each side by
 * side in the same run with the floor: test/fixtures/plugins/floor, a plugin making ONE PDK call.
 * Prints figures next to the targets; asserts nothing.
 *
 *   jwt-claims.ts           jwt-claims cached/uncached in memory, then end to end over real HTTP
 *                           (e2e.ts: client and Service processes around the harness's HTTP front),
 *                           and the plugin server's memory
 *   idempotency-webhook.ts  idempotency first request and replay (memory, Redis), webhook-signature
 *                           with a 1 KiB and a 64 KiB body, then replay against the floor end to end
 *   circuit-breaker.ts      circuit-breaker closed and open
 *
 * Scenarios are measured in interleaved rounds so that drift hits all of them alike. The in-memory
 * upstream answers at once by default: the figures are plugin + protocol cost, not network.
 * Options (env): BENCH_SECONDS per scenario and round (default 2), BENCH_ROUNDS (4),
 * BENCH_CONCURRENCY (8), BENCH_REJECTIONS (100000), BENCH_UNLOADED_SECONDS (2), BENCH_UPSTREAM_MS
 * (0: the upstream answers at once; a whole number of ms delays every upstream answer),
 * BENCH_UPSTREAM_SWEEP (1,2,5: the end-to-end Service times the idempotency replay is also compared
 * at). About 6 minutes with the defaults.
 */
import { circuitBreakerSection } from './circuit-breaker';
import { BENCH_SERVER } from './common';
import { idempotencyWebhookSection } from './idempotency-webhook';
import { jwtClaimsSection } from './jwt-claims';

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`plugin server: ${BENCH_SERVER === 'project' ? "the project's (plugins/server)" : "kong-pdk 0.6.0's kong-js-pluginserver"} (BENCH_SERVER=project|kong-pdk)`);
  await jwtClaimsSection();
  await idempotencyWebhookSection();
  await circuitBreakerSection();
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
