/**
 * The vitest config of the store contract run in a child process (test/support/contract-child.ts):
 * only the file below, which the main config does not include (it needs its Redis from the env).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/plugins/store/in-child/contract.child.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
