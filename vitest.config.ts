import { defineConfig } from 'vitest/config';

/**
 * Files with no clock in any assertion, run two at a time first: those that only run sim
 * (one busy thread, a sim worker or two at most, fixed seeds and execution counts), and
 * the command-line file, whose processes run sim and bad input and whose outcomes no speed
 * decides (NO_CLOCK_PROCESSES). Everything else (real worker threads, watchdogs, signals,
 * time budgets, chromium, and the files that may rebuild dist/ under the command's feet:
 * external-project, package, spin-wait-user) runs afterwards, one file at a time, with
 * the machine to itself.
 */
const NO_CLOCK_PROCESSES = ['cli'];
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
const FIRST = [...SIM_ONLY, ...NO_CLOCK_PROCESSES.map((f) => `test/${f}.test.ts`)];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 30_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'sim', include: FIRST, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'threads',
          include: ['test/**/*.test.ts'],
          // a user's project's own test file, copied into a temporary project by external-project.test.ts
          exclude: ['test/fixtures/external/**', '**/node_modules/**', ...FIRST],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
