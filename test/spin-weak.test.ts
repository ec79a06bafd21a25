/**
 * Under --memory weak a spinner that keeps reading a store older than its word's newest
 * (the weak model's choice, made again at every re-read) is an unfair execution, not a
 * livelock: a store reaches every CPU in the end. Such an execution ends without a verdict
 * (as a pruned one), so dfs, which does explore the always-stale branch, finds no false
 * livelock in a correct spin-wait; a flag that nobody sets is still a livelock.
 */
import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import type { Strategy } from '../src/exec/strategy.js';
import spinWeak from './fixtures/spin-weak.js';
import { join } from 'node:path';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import { runText } from '../src/report/text.js';

/** The first runnable task (the writer), and at every weak load the oldest store it may return. */
const alwaysStale = (): Strategy => ({ name: 'always-stale', start() {}, pick: () => 0, choose: (n) => n - 1 });

describe('a spin-wait under weak memory', () => {
  it('a waiter kept on the stale flag after it was set: no livelock, no verdict', () => {
    const r = simExecution(spinWeak, {}, 'set', 1, alwaysStale(), { memory: 'weak' });
    expect(r.violation?.message ?? null).toBeNull();
    expect([r.pruned, r.unfair]).toEqual([true, true]);
  });

  it('a run says how many of its executions ended unfair, apart from its evidence', async () => {
    const scenario = await loadScenario(join(import.meta.dirname, 'fixtures', 'spin-weak.ts'));
    const sim = new SimExecutor();
    const threads = new ThreadsExecutor();
    try {
      const r = await run({ scenario, variant: 'set', params: {}, mode: 'sim', seed: 1, executions: 3, timeMs: null, threads, sim });
      expect(r.unfair ?? 0).toBe(0); // random lets the store through long before the spin bound
      const text = runText({ ...r, unfair: 2 }, { replay: null, limitFlags: { time: '--time', 'execution-limit': '--execution-limit' } });
      expect(text).toContain('(2 more executions ended unfair, with no verdict and not counted: a spinner the weak model kept on a store older than its word');
    } finally {
      await sim.close();
      await threads.close();
    }
  }, 60_000);

  it('a flag nobody sets is still a livelock on that word', () => {
    const r = simExecution(spinWeak, {}, 'never', 1, alwaysStale(), { memory: 'weak' });
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toContain('livelock: every task that can run spin-waits on words nobody writes (waiter0 re-reads flag)');
  });

  it('with the newest store chosen the waiter sees the flag: clean', () => {
    const r = simExecution(spinWeak, {}, 'set', 1, { ...alwaysStale(), choose: () => 0 }, { memory: 'weak' });
    expect([r.violation, r.pruned ?? false]).toEqual([null, false]);
  });
});
