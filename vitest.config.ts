import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Three groups, one after another:
 * - first, two at a time, the files with no clock in any assertion: those that only run
 *   sim (one busy thread, a sim worker or two at most, fixed seeds and execution counts),
 *   and the files that drive the command line (and --jobs' sim workers) through runs of
 *   sim and bad input whose outcomes no speed decides (NO_CLOCK_PROCESSES);
 * - then, two at a time, everything else: real worker threads, watchdogs, signals, time
 *   budgets, chromium. Each of these files holds on a machine carrying other load (the
 *   suite is run beside two CPU-bound processes), which is all a neighbour file is;
 * - last, one at a time, the files that may rebuild dist/ (REBUILDS_DIST) when it is older
 *   than the sources, which would pull it from under any command another file runs.
 */
const NO_CLOCK_PROCESSES = ['cli', 'jobs'];
const SIM_ONLY = [
  'api',
  'arm64-memcache',
  'dfs',
  'dfs-reductions',
  'docs',
  'fault-path',
  'footprint',
  'kvm-lock-order',
  'litmus',
  'litmus-format',
  'lkmm',
  'memory-cache',
  'order-replay',
  'sync-record',
  'pct',
  'plain-bundle',
  'pool',
  'pos',
  'pte-list-desc',
  'public-api',
  'rare-events',
  'rare-placement',
  'read-from',
  'round-robin',
  'run-notes',
  'shared-memory',
  'shrink',
  'sim-determinism',
  'spin-wait',
  'topup-minimums',
  'urw',
  'variants-sim',
  'weak-coherence',
  'weak-memory',
  'weak-vs-lkmm',
  'zap-oldest',
].map((f) => `test/${f}.test.ts`);
const FIRST = [...SIM_ONLY, ...NO_CLOCK_PROCESSES.map((f) => `test/${f}.test.ts`)];
const REBUILDS_DIST = ['external-project', 'package', 'spin-wait-user'].map((f) => `test/${f}.test.ts`);

/**
 * Each group's longest files, started first so that no long one is left to run
 * alone at its end (a fresh clone has no timings for vitest to order by). Their order
 * changes only when each starts, never what they assert.
 */
const LONGEST_FIRST = ['variants-sim', 'cli', 'zap-oldest', 'rare-events', 'dfs', 'weak-memory', 'litmus', 'lkmm', 'limits', 'variants-threads', 'executors', 'campaign-scale'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const k = LONGEST_FIRST.findIndex((n) => f.moduleId.endsWith(`/test/${n}.test.ts`));
      return k < 0 ? LONGEST_FIRST.length : k;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
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
          exclude: ['test/fixtures/external/**', '**/node_modules/**', ...FIRST, ...REBUILDS_DIST],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      { extends: true, test: { name: 'dist', include: REBUILDS_DIST, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
