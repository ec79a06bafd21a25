import { defineConfig } from 'vitest/config';

/**
 * Files that only run sim: each is one busy thread (a sim worker or two at most), with
 * fixed seeds and execution counts and no clock in any assertion, so two of them can
 * share the 2 cores. Everything else (real worker threads, watchdogs, signals, time
 * budgets, the CLI, chromium) runs afterwards, one file at a time, with the machine to
 * itself.
 */
const SIM_ONLY = [
  'api',
  'arm64-memcache',
  'dfs',
  'docs',
  'fault-path',
  'footprint',
  'kvm-lock-order',
  'litmus',
  'litmus-format',
  'lkmm',
  'memory-cache',
  'pct',
  'pool',
  'pos',
  'pte-list-desc',
  'public-api',
  'rare-events',
  'round-robin',
  'shared-memory',
  'shrink',
  'sim-determinism',
  'spin-wait',
  'topup-minimums',
  'urw',
  'variants-sim',
  'weak-memory',
  'weak-vs-lkmm',
  'zap-oldest',
].map((f) => `test/${f}.test.ts`);

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 30_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'sim', include: SIM_ONLY, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'threads',
          include: ['test/**/*.test.ts'],
          // a user's project's own test file, copied into a temporary project by external-project.test.ts
          exclude: ['test/fixtures/external/**', '**/node_modules/**', ...SIM_ONLY],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
