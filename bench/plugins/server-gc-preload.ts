/**
 * Preloaded into a plugin server by server-floor.ts (`node --expose-gc -r <this file>`), so that
 * kong-pdk's server and ours are measured alike: on SIGUSR2, collect garbage fully, then print
 * `BENCH-MEMORY <n> <process.memoryUsage() as JSON>` on stdout (the harness keeps the lines).
 */
let settles = 0;

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  const n = ++settles;
  gc?.();
  // a second full collection after a turn of the loop frees what the first one's finalizers released
  setImmediate(() => {
    gc?.();
    process.stdout.write(`BENCH-MEMORY ${n} ${JSON.stringify(process.memoryUsage())}\n`);
  });
});
