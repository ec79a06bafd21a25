/**
 * Deadlocks, starvation, livelock, role failures and the limits, in both executors:
 * no run hangs, no failure is lost, and a verdict is only given for a real lack of
 * progress, never for a long healthy execution.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitGraph } from '../src/check/deadlock.js';
import { exitCodeOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import type { NameTable } from '../src/shm/arena.js';
import { OWNER } from '../src/sync/lock-word.js';

const abba = await loadScenario(join(import.meta.dirname, 'fixtures', 'abba.ts'));
const misuse = await loadScenario(join(import.meta.dirname, 'fixtures', 'misuse.ts'));
const threads = new ThreadsExecutor();
const sim = new SimExecutor();
afterAll(async () => {
  await threads.close();
  await sim.close();
});

const base = { params: abba.def.params, seed: 1, timeMs: null, threads, sim };

describe('generic oracles, end to end in both executors', () => {
  for (const [variant, v] of Object.entries(misuse.def.variants)) {
    for (const mode of ['sim', 'threads'] as const) {
      it(`${variant} in ${mode}: ${v.expect}`, async () => {
        const r = await run({ scenario: misuse, variant, params: misuse.def.params, mode, seed: 1, executions: 3, timeMs: null, threads, sim });
        expect(r.harnessError).toBeNull();
        expect(r.observed).toBe(v.expect);
      });
    }
  }
});

describe('deadlock and starvation', () => {
  it('sim reports an ABBA deadlock with its wait-for cycle (lockdep off), naming the lock-order cycle lockdep saw', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'abba', mode: 'sim', executions: 50, lockdep: false });
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ab0 -> ba0|ba0 -> ab0/);
    expect(r.violation?.details.join('\n')).toMatch(/waits for lock_[ab] held by/);
    expect(r.violation?.details.join('\n')).toMatch(/lockdep had already seen the cycle behind it: possible circular locking dependency: lock_[ab] -> lock_[ab] -> lock_[ab]/);
  });

  it('threads: the watchdog finds the cycle and stops the workers (lockdep off)', async () => {
    // A long watchdog: only the cycle detection can report this in time.
    const r = await run({ ...base, scenario: abba, variant: 'abba', mode: 'threads', executions: 20, watchdogMs: 600_000, lockdep: false });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ab0 -> ba0|ba0 -> ab0/);
    expect(r.violation?.details.join('\n')).toMatch(/waits for lock_[ab] held by/);
  });

  for (const mode of ['sim', 'threads'] as const) {
    it(`${mode}: with lockdep on, the opposite orders are a lock-order-cycle before anything deadlocks`, async () => {
      const r = await run({ ...base, scenario: abba, variant: 'abba', mode, executions: 20, watchdogMs: 600_000 });
      expect(r.harnessError).toBeNull();
      expect(r.violation?.kind).toBe('lock-order-cycle');
      expect(r.violation?.message).toMatch(/^possible circular locking dependency: lock_([ab]) -> lock_[ab] -> lock_\1$/);
      const text = r.violation?.details.join('\n') ?? '';
      expect(text).toMatch(/(ab0|ba0) \(role \w+\) at step \d+, execution seed \d+: holding lock_[ab] \(mutex\) \(taken at step \d+\), takes lock_[ab] \(mutex\)/);
      expect(text).toMatch(/\*\*\* DEADLOCK \*\*\*/);
    });
  }

  it('a waiter on a free lock: sim (frozen state) says it was never woken; threads says only what it sampled', () => {
    const names: NameTable = { locks: [{ name: 'mmu_lock', cls: 'mmu_lock', kind: 'rwlock', word: 0 }], caches: [], tasks: ['vcpu0', 'vcpu1'] };
    const i32 = new Int32Array(new SharedArrayBuffer(64)); // owner and reader words 0: the lock is free
    expect(waitGraph(i32, names, [0, -1], 'sim').lines).toEqual(['vcpu0 waits for mmu_lock, which is free: the waiter was never woken']);
    expect(waitGraph(i32, names, [0, -1], 'threads').lines).toEqual(['vcpu0 waits for mmu_lock, free when sampled']);
    Atomics.store(i32, OWNER, 2); // vcpu1 holds it
    expect(waitGraph(i32, names, [0, -1], 'threads').lines).toEqual(['vcpu0 waits for mmu_lock held by vcpu1']);
  });

  it('threads: a task blocked behind a holder that keeps running is reported after the watchdog period', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'starve', mode: 'threads', executions: 1, watchdogMs: 1000 });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ba0 has been blocked on lock_a for more than 1000 ms/);
    expect(r.violation?.details.join('\n')).toContain('ba0 waits for lock_a held by ab0');
  });

  it('sim: a window smaller than ordinary lock waits gives verdicts, never a harness error', async () => {
    const sc = await loadScenario('shrinker-vs-fault');
    const params = { ...sc.def.params, vcpus: 8, faults: 50 };
    const r = await run({ scenario: sc, variant: 'removed', params, mode: 'sim', seed: 1, executions: 40, timeMs: null, sim, windowSteps: 100 });
    expect(r.harnessError).toBeNull();
    // 100 steps is shorter than a vCPU's ordinary wait for mmu_lock behind 7 others: the
    // window the user chose calls it starvation, as a verdict with the wait named
    expect(r.violation?.message).toMatch(/^sim: vcpu\d has been blocked on mmu_lock for more than 100 scheduling steps while others ran$/);
  });

  it('sim: the same starvation, judged in scheduling steps', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'starve', mode: 'sim', executions: 1, windowSteps: 20_000 });
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ba0 has been blocked on lock_a for more than 20000 scheduling steps while others ran/);
  });
});

describe('livelock is a lack of progress, not a long time', () => {
  it('threads: tasks that keep running without a progress mark are a livelock after the watchdog period', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'spin', mode: 'threads', executions: 1, watchdogMs: 1000 });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toMatch(/^livelock: no progress \(a round of taking both locks, or a role that ends\) for \d+ ms, while tasks kept running/);
    expect(r.violation?.details.join('\n')).toMatch(/ab0 took \d+ ops since then/);
  });

  it('sim: the same livelock, in scheduling steps, replayably', async () => {
    const once = () => run({ ...base, scenario: abba, variant: 'spin', mode: 'sim', executions: 1, windowSteps: 20_000 });
    const [a, b] = [await once(), await once()];
    expect(a.violation?.kind).toBe('invariant');
    expect(a.violation?.message).toMatch(/^livelock: no progress .* in the last 20000 scheduling steps/);
    expect(b.violation?.step).toBe(a.violation?.step);
  });

  it('threads: a long execution that keeps making progress outlives a short watchdog', async () => {
    // busy runs for 3 s of wall-clock time, however fast the machine; the watchdog is 1 s
    const r = await run({ ...base, scenario: abba, variant: 'busy', mode: 'threads', executions: 1, watchdogMs: 1000 });
    expect(r.harnessError).toBeNull();
    expect(r.observed).toBe('ok');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
  });

  it('sim: a long healthy execution is never a livelock, however small the window', async () => {
    const sc = await loadScenario('shrinker-vs-fault');
    const r = await run({ scenario: sc, variant: 'cache-lock', params: { ...sc.def.params, faults: 5000 }, mode: 'sim', seed: 1, executions: 1, timeMs: null, sim, windowSteps: 5000 });
    expect(r.observed).toBe('ok');
    expect(r.stats['vcpu.faults']).toBe(10_000);
  });

  it('threads: the execution limit stops a progressing execution as incomplete, exit 3, never a violation', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'busy', mode: 'threads', executions: 1, executionLimitMs: 1000 });
    expect(r.violation).toBeNull();
    expect(r.observed).toBe('incomplete');
    expect(r.incomplete).toMatchObject({ seed: 1, limit: 'execution-limit' });
    expect(r.incomplete?.note).toMatch(/^still making progress: \d+ progress marks/);
    expect(exitCodeOf(r)).toBe(3);
  });
});

describe('a run stopped before its first execution', () => {
  for (const mode of ['sim', 'threads'] as const) {
    it(`${mode}: an early signal leaves it incomplete, with the limit named, never ok`, async () => {
      const abort = AbortSignal.abort();
      const r = await run({ ...base, scenario: abba, variant: 'abba', mode, executions: 5, abort });
      expect(r.observed).toBe('incomplete');
      expect(r.executions).toBe(0);
      expect(r.incomplete).toMatchObject({ seed: 1, limit: 'signal' });
      expect(exitCodeOf(r)).toBe(3);
    });
  }
});

describe('harness failures are reported, never lost', () => {
  it('threads: a role that throws is the scenario\'s error, and the pool still works after it', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'throws', mode: 'threads', executions: 1 });
    expect(r.observed).toBe('scenario-error');
    expect(r.harnessError).toBeNull();
    expect(r.scenarioError?.line).toMatch(/^scenario error: role 'ab' \(ab0\) threw at test\/fixtures\/abba\.ts:\d+:\d+: Error: role failed on purpose$/);
    expect(r.scenarioError?.stack).toMatch(/abba\.ts:\d+:\d+/); // the stack points into the source, not the bundle
    const sc = await loadScenario('shrinker-vs-fault');
    const again = await run({ scenario: sc, variant: 'removed', params: sc.def.params, mode: 'threads', seed: 1, executions: 2, timeMs: null, threads });
    expect(again.observed).toBe('ok');
  });

  it('sim: a role that throws is the scenario\'s error', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'throws', mode: 'sim', executions: 1 });
    expect([r.observed, r.harnessError, exitCodeOf(r)]).toEqual(['scenario-error', null, 3]);
    expect(r.scenarioError?.line).toMatch(/^scenario error: role 'ab' \(ab0\) threw at test\/fixtures\/abba\.ts:\d+:\d+: Error: role failed on purpose$/);
  });

  it("sim: a role that never yields is named once the watchdog period passes (the scenario's error), and the executor is usable after", async () => {
    const r = await run({ ...base, scenario: abba, variant: 'hog', mode: 'sim', executions: 1, watchdogMs: 1000 });
    expect([r.observed, r.harnessError, exitCodeOf(r)]).toEqual(['scenario-error', null, 3]);
    expect(r.scenarioError?.line).toMatch(/^scenario error: role 'ab' \(ab0\) of test\/fixtures\/abba\.ts reached no op boundary for \d+ ms: its code loops without an op/);
    const again = await run({ ...base, scenario: abba, variant: 'abba', mode: 'sim', executions: 5, lockdep: false });
    expect(again.violation?.kind).toBe('deadlock');
  });

  it('sim: a setup() still running at the time budget leaves that execution incomplete, not a role to blame', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'slow-setup', mode: 'sim', executions: 1, timeMs: 1000 });
    expect(r.harnessError).toBeNull();
    expect(r.observed).toBe('incomplete');
    expect(r.incomplete).toMatchObject({ limit: 'time' });
    expect(r.incomplete?.note).toMatch(/still being set up or checked/);
    expect(r.elapsedMs).toBeLessThan(8000); // stopped (about 2 s: the budget and the grace), not waited for (10 s)
  });

  it('threads: the same role is named, and its worker torn down', async () => {
    const r = await run({ ...base, scenario: abba, variant: 'hog', mode: 'threads', executions: 1, watchdogMs: 1000 });
    expect([r.observed, r.harnessError, exitCodeOf(r)]).toEqual(['scenario-error', null, 3]);
    expect(r.scenarioError?.line).toMatch(/^scenario error: role 'ab' \(ab0\) of test\/fixtures\/abba\.ts reached no op boundary for \d+ ms: its code loops without an op/);
  });
});
