/**
 * The kernel's spin-wait idiom, `while (!READ_ONCE(flag)) cpu_relax();`, written as users
 * write it (`while ((yield* readOnce(i32, flag)) === 0) {}`, no IDLE), in sim: a re-read
 * of an unchanged word is a wait for others to every strategy, so a flag that is set
 * never makes a false livelock and an ABBA behind the spin is found in every strategy;
 * a flag nobody can set is a livelock naming the word, within a bounded number of steps;
 * shrinking a finding behind a spin ends and states its bounds; dfs keeps a bounded path.
 * Budgets are executions and steps, never time.
 */
import { describe, expect, it } from 'vitest';
import { newLockGraph } from '../src/sync/lockdep-graph.js';
import { shrinkExecution } from '../src/exec/shrink.js';
import { simExecution } from '../src/exec/sim.js';
import { SPIN_LIVELOCK_STEPS } from '../src/exec/spin.js';
import { DFS_MAX_DECISIONS, DfsStrategy } from '../src/exec/strategies/dfs.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { ReplayStrategy } from '../src/exec/strategies/replay.js';
import { shrinkText } from '../src/report/text.js';
import spinAbba from './fixtures/spin-abba.js';
import { cli } from './cli-helpers.js';

const FIXTURE = 'test/fixtures/spin-abba.ts';
const QUIET = 'test/fixtures/spin-abba-quiet.ts';
/** Old code spun until this limit: a test that fails there fails rather than hangs. */
const LIMIT = ['--execution-limit', '30s'];

function run(file: string, variant: string, strategy: string, more: string[] = []) {
  const r = cli(['run', file, '--variant', variant, '--strategy', strategy, '--executions', '500', '--jobs', '1', ...LIMIT, '--json', ...more], { timeoutMs: 110_000 });
  return { code: r.code, doc: JSON.parse(r.out) };
}

describe('a spin-wait on READ_ONCE in sim', () => {
  it.each(['random', 'pct', 'dfs'])('the ABBA behind a spin on a flag that is set is a lock-order-cycle under %s, in the first executions, on a short schedule', (strategy) => {
    const { code, doc } = run(QUIET, 'set', strategy);
    expect(code).toBe(1);
    expect(doc.observed).toBe('lock-order-cycle');
    expect(doc.executions).toBeLessThanOrEqual(5);
    expect(doc.shrink.capped).toBe(false); // shrinking ended on its own, not at a limit
    // the schedule reported (shrunk or as found) is a few dozen steps, not a spin a million long
    expect(doc.shrink.to.steps).toBeLessThan(200);
  });

  it.each(['pct', 'dfs'])('a flag that is set makes no false livelock under %s: 500 clean executions (dfs: its whole bounded space)', (strategy) => {
    const { code, doc } = run(FIXTURE, 'clean', strategy);
    expect(doc.observed).toBe('ok');
    expect(code).toBe(0);
    if (strategy === 'pct') expect(doc.executions).toBe(500);
  });

  it('a flag never set is a livelock on that word, reported within a bounded number of steps, with or without progress declared', () => {
    for (const file of [FIXTURE, QUIET]) {
      const { code, doc } = run(file, 'never', 'random');
      expect(code).toBe(1);
      expect(doc.observed).toBe('invariant');
      const v = doc.violations[0];
      expect(v.task).toBe('irq0');
      expect(v.message).toContain('livelock: every task that can run spin-waits on words nobody writes (irq0 re-reads ready)');
      expect(v.details).toContain('  ready = 0 (last stored by probe0, after step 15)');
      expect(v.details).toContain('probe0 has finished');
      // READ_ONCE and WRITE_ONCE are in the trace (sc memory), the word named by its region
      expect(v.trace.map((e: { op: string }) => e.op)).toContain('READ_ONCE(ready) = 0');
      expect(doc.executions).toBe(1);
      // found at once: the spin bound and a poll interval or two, not a progress window of a million steps
      expect(doc.shrink.from.steps).toBeLessThanOrEqual(SPIN_LIVELOCK_STEPS + 3 * 1024);
    }
  });

  it('shrinking a finding behind a spin ends on its own and states its bounds', () => {
    const { code, doc } = run(QUIET, 'set', 'random');
    expect(code).toBe(1);
    expect(doc.shrink.capped).toBe(false);
    expect(doc.shrink.to.steps).toBeLessThanOrEqual(doc.shrink.from.steps);
    expect(doc.shrink.bounds).toMatch(/^each try at most [\d,]+ scheduling steps \(2x the finding's [\d,]+, \+1024\); at most \d+ tries/);
  });

  it('a shrink stopped by its budget says so, and by which bound', () => {
    // seed 1's random finding departs from the default schedule at several steps: two tries cannot drop them all
    const def = spinAbba;
    const params = { ...def.params };
    const first = simExecution(def, params, 'set', 1, new RandomStrategy(), { keepSchedule: true, lockGraph: newLockGraph(def, 1) });
    expect(first.violation?.kind).toBe('lock-order-cycle');
    const s = first.schedule;
    if (!s || !first.violation) throw new Error('no schedule');
    const r = shrinkExecution(def, params, 'set', 1, new ReplayStrategy(s), first.violation, { lockdep: true, attempts: 1, windowSteps: 1_000_000 });
    expect(r?.shrink.capped).toBe(true);
    expect(r?.shrink.stopped).toBe('the 1 tries');
    expect(shrinkText(r?.shrink as NonNullable<typeof r>['shrink'])).toMatch(/stopped early by the 1 tries; its bounds: each try at most [\d,]+ scheduling steps/);
  });

  it(`dfs keeps at most ${DFS_MAX_DECISIONS} decisions of an execution, follows the default schedule past them, and says so`, () => {
    const def = spinAbba;
    // the irq thread spins (runnable) while the probe takes both locks rounds times: a decision at every step
    const params = { ...def.params, rounds: 30_000 };
    const dfs = new DfsStrategy(2);
    const r = simExecution(def, params, 'clean', 1, dfs, { lockGraph: newLockGraph(def, 1) });
    expect(r.violation).toBeNull();
    expect(r.scheduled).toBeGreaterThan(2 * DFS_MAX_DECISIONS);
    expect(dfs.kept).toBe(DFS_MAX_DECISIONS);
    dfs.finished(r.pruned === true);
    expect(dfs.result()).toMatchObject({ depthBound: DFS_MAX_DECISIONS, beyond: 1, schedules: 1 });
  });
});
