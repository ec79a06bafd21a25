import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { THREADS_DEFAULTS, ThreadsExecutor } from '../src/exec/threads.js';
import { type LoadedScenario, loadScenario } from '../src/load/scenarios.js';
import { blocked, POINT } from '../src/rt/op.js';
import { Mutex, mutexLock, mutexTrylock, mutexUnlock, RwLock, readLock, readOnce, readUnlock, writeLock, writeOnce } from '../src/sync/index.js';
import { runOp, solo } from './helpers.js';

const fixture = (): Promise<LoadedScenario> => loadScenario(join(import.meta.dirname, 'fixtures', 'locks.ts'));

describe('locks under real worker threads', () => {
  const threads = new ThreadsExecutor();
  afterAll(() => threads.close());

  for (const variant of ['spinlock', 'mutex', 'trylock', 'rwlock']) {
    it(`${variant}: no lost update over 2 writers x 20000 iterations`, async () => {
      const sc = await fixture();
      const params = { writers: 2, readers: variant === 'rwlock' ? 2 : 0, iterations: 20000 };
      const r = await run({ scenario: sc, variant, params, mode: 'threads', seed: 1, executions: 3, timeMs: null, threads });
      expect(r.harnessError).toBeNull();
      expect(r.violation).toBeNull();
      expect(r.stats['writer.increments']).toBe(3 * 2 * 20000);
    });
  }

  it('every unlock wakes its futex waiters: no wait outlives a release (strict wake-ups, long waits)', async () => {
    const sc = await fixture();
    const threadsOptions = { ...THREADS_DEFAULTS, drive: { ...THREADS_DEFAULTS.drive, spinsBeforeWait: 0, futexWaitMs: 500, strictWakeups: true } };
    for (const variant of ['mutex', 'rwlock']) {
      const params = { writers: 2, readers: variant === 'rwlock' ? 1 : 0, iterations: 3000 };
      const r = await run({ scenario: sc, variant, params, mode: 'threads', seed: 1, executions: 2, timeMs: null, threads, threadsOptions });
      expect(r.harnessError).toBeNull();
      expect(r.violation).toBeNull();
      expect(r.stats['writer.futex-waits']).toBeGreaterThan(0); // the waits really happened
    }
  });

  it('without a lock the same loop loses updates (the test can fail)', async () => {
    const sc = await fixture();
    const r = await run({
      scenario: sc,
      variant: 'no-lock',
      params: { writers: 2, readers: 0, iterations: 200000 },
      mode: 'threads',
      seed: 1,
      executions: 20,
      timeMs: null,
      threads,
    });
    expect(r.violation?.kind).toBe('invariant');
    expect(r.violation?.message).toContain('lost updates');
  });
});

describe('locks in sim', () => {
  it('rwlock: readers share (two inside at once), writers exclude', async () => {
    const sc = await fixture();
    const r = await run({ scenario: sc, variant: 'rwlock', params: { writers: 2, readers: 3, iterations: 200 }, mode: 'sim', seed: 1, executions: 20, timeMs: null });
    expect(r.violation).toBeNull();
    expect(r.stats['reader.max-readers-inside']).toBeGreaterThanOrEqual(2);
  });

  it('no-lock is caught as a lost update', async () => {
    const sc = await fixture();
    const r = await run({ scenario: sc, variant: 'no-lock', params: { writers: 2, readers: 0, iterations: 200 }, mode: 'sim', seed: 1, executions: 20, timeMs: null });
    expect(r.violation?.kind).toBe('invariant');
  });

  it('mutex_trylock fails while the mutex is held and succeeds once it is released', () => {
    const { world: m } = solo((a) => new Mutex(a, 'm'));
    expect(runOp(mutexTrylock(m))).toBe(true);
    expect(runOp(mutexTrylock(m))).toBe(false);
    runOp(mutexUnlock(m));
    expect(runOp(mutexTrylock(m))).toBe(true);
  });

  it('mutex_trylock names the function taking it, as mutex_lock does: a report of the lock held says where it was taken', () => {
    const { world: m, task } = solo((a) => new Mutex(a, 'm'));
    expect(runOp(mutexTrylock(m, 'my_shrink_scan'))).toBe(true);
    expect(task.held.at(-1)).toMatchObject({ site: 'my_shrink_scan', trylock: true });
  });

  it('a waiting writer makes new readers queue behind it (no writer starvation)', () => {
    const { world: l } = solo((a) => new RwLock(a, 'rw'));
    runOp(readLock(l));
    const w = writeLock(l);
    w.next();
    expect(w.next().value).toBe(l.id); // the writer waits for the reader...
    const r2 = readLock(l);
    r2.next();
    expect(r2.next().value).toBe(l.id); // ...and a new reader waits behind the writer
    runOp(readUnlock(l));
    expect(runOp(w)).toBeUndefined();
  });

  it('recursiveRead: a recursive reader gets in past a waiting writer (interrupt context, !QUEUED_RWLOCKS), and still waits for a writer that holds it', () => {
    const { world: l, task } = solo((a) => new RwLock(a, 'rw', 'rw', 'rwlock_t', { recursiveRead: true }));
    runOp(readLock(l));
    const w = writeLock(l);
    w.next();
    expect(w.next().value).toBe(l.id); // the writer waits for the reader
    expect(runOp(readLock(l))).toBeUndefined(); // a recursive reader is not held back by it
    expect(task.held.filter((h) => h.lock === l.id).map((h) => h.recursive)).toEqual([true, true]);
    runOp(readUnlock(l));
    runOp(readUnlock(l));
    expect(runOp(w)).toBeUndefined();
    const r = readLock(l);
    r.next();
    expect(r.next().value).toBe(l.id); // the writer holds it: even a recursive reader waits
  });

  it('write_lock blocks while a reader holds the rwlock; read_lock does not', () => {
    const { world: l } = solo((a) => new RwLock(a, 'rw'));
    runOp(readLock(l));
    runOp(readLock(l)); // a second reader shares
    const w = writeLock(l);
    expect(w.next().value).toBe(-1); // op boundary
    expect(w.next().value).toBe(l.id); // blocked on the rwlock
    runOp(readUnlock(l));
    runOp(readUnlock(l));
    expect(runOp(w)).toBeUndefined(); // now it gets in
  });

  it('an op machine keeps the generator protocol: a boundary, blocked steps, the value through yield*, then done for good', () => {
    const { world, task } = solo((a) => ({ m: new Mutex(a, 'm'), word: a.region('word', 1), i32: a.i32 }));
    runOp(mutexLock(world.m));
    const waiter = mutexLock(world.m);
    expect(waiter.next()).toEqual({ value: POINT, done: false });
    expect(waiter.next()).toEqual({ value: world.m.id, done: false });
    expect(blocked.lock).toBe(world.m.word); // what a threads driver futex-waits on
    expect(waiter.next()).toEqual({ value: world.m.id, done: false }); // woken too early: blocked again
    runOp(mutexUnlock(world.m));
    expect(waiter.next()).toEqual({ value: undefined, done: true });
    expect(waiter.next()).toEqual({ value: undefined, done: true }); // finished stays finished
    expect(task.held.map((h) => h.lock)).toEqual([world.m.id]);
    expect(task.stats['waits:m']).toBe(1);
    function* role() {
      yield* writeOnce(world.i32, world.word, 7);
      return (yield* readOnce(world.i32, world.word)) + 1;
    }
    const g = role();
    expect([g.next().value, g.next().value]).toEqual([POINT, POINT]);
    expect(g.next()).toEqual({ value: 8, done: true });
    const closed = readOnce(world.i32, world.word);
    closed.next();
    expect(closed.return(5)).toEqual({ value: 5, done: true });
    expect(closed.next().done).toBe(true);
  });
});

describe('SRCU', () => {
  const srcuFixture = (): Promise<LoadedScenario> => loadScenario(join(import.meta.dirname, 'fixtures', 'srcu.ts'));
  const threads = new ThreadsExecutor();
  afterAll(() => threads.close());

  for (const mode of ['sim', 'threads'] as const) {
    it(`${mode}: synchronize_srcu() outwaits every reader that began before it; without it readers see freed objects`, async () => {
      const sc = await srcuFixture();
      const params = { readers: 2, updaters: 1, updates: 40, reads: mode === 'sim' ? 200 : 20000 };
      const ok = await run({ scenario: sc, variant: 'synchronize', params, mode, seed: 1, executions: mode === 'sim' ? 200 : 5, timeMs: null, threads });
      expect(ok.harnessError).toBeNull();
      expect(ok.violation).toBeNull();
      expect(ok.stats['updater.grace-periods']).toBe((mode === 'sim' ? 200 : 5) * 40);
      const bad = await run({ scenario: sc, variant: 'no-synchronize', params, mode, seed: 1, executions: 200, timeMs: 60_000, threads });
      expect(bad.violation?.kind).toBe('invariant');
    });
  }

  it('sim: two updaters take turns: a grace period waits for the one in progress, and no reader sees a freed object', async () => {
    const sc = await srcuFixture();
    const r = await run({ scenario: sc, variant: 'synchronize', params: { readers: 2, updaters: 2, updates: 20, reads: 200 }, mode: 'sim', seed: 1, executions: 300, timeMs: null });
    expect(r.violation).toBeNull();
    expect(r.stats['updater.grace-periods']).toBe(300 * 2 * 20);
    expect(r.stats['updater.waits:test_srcu']).toBeGreaterThan(0);
  });

  it('sim, lockdep off: a lock held across synchronize_srcu() that a reader takes inside its read section deadlocks, and the report says who waits for whom', async () => {
    const sc = await srcuFixture();
    const r = await run({ scenario: sc, variant: 'lock-across-synchronize', params: { readers: 1, updaters: 1, updates: 40, reads: 200 }, mode: 'sim', seed: 1, executions: 200, timeMs: null, lockdep: false });
    expect(r.violation?.kind).toBe('deadlock');
    const text = [r.violation?.message, ...(r.violation?.details ?? [])].join('\n');
    expect(text).toMatch(/updater0 waits for test_srcu held by reader0/);
    expect(text).toMatch(/reader0 waits for test_mutex held by updater0/);
  });
});
