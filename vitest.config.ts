import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * One pool, two files at a time. Every file holds beside any other on a machine carrying
 * other load (the suite is run beside two CPU-bound processes, which is all a neighbour
 * file is): the sim files assert no clock at all, and the files of real threads,
 * watchdogs, signals and time budgets keep margins a loaded machine meets. dist/ is made
 * fresh once before any file runs (test/global-setup.ts), so the files that install the
 * package as a user does never rebuild it from under a command another file runs.
 */

/**
 * The longest files, started first so that no long one is left to run
 * alone at its end (a fresh clone has no timings for vitest to order by). Their order
 * changes only when each starts, never what they assert.
 */
const LONGEST_FIRST = ['variants-sim', 'limits', 'cli', 'dfs-reductions', 'variants-threads', 'campaign-scale', 'executors', 'package', 'zap-oldest', 'rare-events', 'scenario-error', 'dfs', 'spin-wait-user', 'locks', 'lkmm', 'weak-memory', 'litmus'];

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
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // a user's project's own test file, copied into a temporary project by external-project.test.ts
    exclude: ['test/fixtures/external/**', '**/node_modules/**'],
    maxWorkers: 2,
  },
});
