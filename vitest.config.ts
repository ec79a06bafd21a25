import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // a user's project's own test file, copied into a temporary project by external-project.test.ts
    exclude: ['test/fixtures/external/**', '**/node_modules/**'],
    pool: 'forks',
    // Threads-mode tests start their own worker threads; on 2 cores, files run one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 30_000,
    teardownTimeout: 30_000,
  },
});
