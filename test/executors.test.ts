/** Deadlocks, role failures and the watchdog: no run hangs, no failure is lost. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { THREADS_DEFAULTS, ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/scenarios.js';

const abba = await loadScenario(join(import.meta.dirname, 'fixtures', 'abba.ts'));
const misuse = await loadScenario(join(import.meta.dirname, 'fixtures', 'misuse.ts'));

describe('generic oracles, end to end in both executors', () => {
  const threads = new ThreadsExecutor();
  afterAll(() => threads.close());
  for (const [variant, v] of Object.entries(misuse.def.variants)) {
    for (const mode of ['sim', 'threads'] as const) {
      it(`${variant} in ${mode}: ${v.expect}`, async () => {
        const r = await run({ scenario: misuse, variant, params: misuse.def.params, mode, seed: 1, executions: 3, timeMs: null, threads });
        expect(r.harnessError).toBeNull();
        expect(r.observed).toBe(v.expect);
      });
    }
  }
});

describe('deadlock', () => {
  it('sim reports an ABBA deadlock with its wait-for cycle', async () => {
    const r = await run({ scenario: abba, variant: 'abba', params: abba.def.params, mode: 'sim', seed: 1, executions: 50, timeMs: null });
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ab0 -> ba0|ba0 -> ab0/);
    expect(r.violation?.details.join('\n')).toMatch(/waits for lock_[ab] held by/);
  });

  const threads = new ThreadsExecutor();
  afterAll(() => threads.close());

  it('threads: the watchdog finds the cycle and stops the workers', async () => {
    // A long watchdog: only the cycle detection can report this in time.
    const threadsOptions = { ...THREADS_DEFAULTS, watchdogMs: 600_000 };
    const r = await run({ scenario: abba, variant: 'abba', params: abba.def.params, mode: 'threads', seed: 1, executions: 20, timeMs: null, threads, threadsOptions });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ab0 -> ba0|ba0 -> ab0/);
    expect(r.violation?.details.join('\n')).toMatch(/waits for lock_[ab] held by/);
  });

  it('threads: a long execution that keeps making progress outlives a short watchdog', async () => {
    // busy runs for 3 s of wall-clock time, however fast the machine; the watchdog is 1 s
    const threadsOptions = { ...THREADS_DEFAULTS, watchdogMs: 1000 };
    const r = await run({ scenario: abba, variant: 'busy', params: abba.def.params, mode: 'threads', seed: 1, executions: 1, timeMs: null, threads, threadsOptions });
    expect(r.harnessError).toBeNull();
    expect(r.observed).toBe('ok');
    expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
  });

  it('threads: a task blocked behind a holder that keeps running is reported after the watchdog period', async () => {
    const threadsOptions = { ...THREADS_DEFAULTS, watchdogMs: 1000 };
    const r = await run({ scenario: abba, variant: 'starve', params: abba.def.params, mode: 'threads', seed: 1, executions: 1, timeMs: null, threads, threadsOptions });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('deadlock');
    expect(r.violation?.message).toMatch(/ba0 has been blocked on lock_a for more than 1000 ms/);
    expect(r.violation?.details.join('\n')).toContain('ba0 waits for lock_a held by ab0');
  });

  it('threads: a task that runs forever is a livelock at the execution limit', async () => {
    const threadsOptions = { ...THREADS_DEFAULTS, maxExecutionMs: 1500 };
    const r = await run({ scenario: abba, variant: 'spin', params: abba.def.params, mode: 'threads', seed: 1, executions: 1, timeMs: null, threads, threadsOptions });
    expect(r.harnessError).toBeNull();
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toMatch(/livelock: the execution still runs after 1500 ms/);
  });

  it('sim: the same starvation is a livelock once the scenario\'s step bound is spent', async () => {
    const r = await run({ scenario: abba, variant: 'starve', params: abba.def.params, mode: 'sim', seed: 1, executions: 1, timeMs: null });
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toMatch(/livelock/);
  });

  it('threads: a role that throws becomes a harness error, and the pool still works after it', async () => {
    const r = await run({ scenario: abba, variant: 'throws', params: abba.def.params, mode: 'threads', seed: 1, executions: 1, timeMs: null, threads });
    expect(r.observed).toBe('harness-error');
    expect(r.harnessError).toContain('role failed on purpose');
    const sc = await loadScenario('shrinker-vs-fault');
    const again = await run({ scenario: sc, variant: 'removed', params: sc.def.params, mode: 'threads', seed: 1, executions: 2, timeMs: null, threads });
    expect(again.observed).toBe('ok');
  });

  it('sim: a role that throws becomes a harness error', async () => {
    const r = await run({ scenario: abba, variant: 'throws', params: abba.def.params, mode: 'sim', seed: 1, executions: 1, timeMs: null });
    expect(r.harnessError).toContain('role failed on purpose');
  });
});
