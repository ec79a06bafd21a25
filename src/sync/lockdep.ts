/**
 * Lockdep hooks: every acquire and release goes through here, so each task knows the
 * locks it holds, "may sleep" points can check them (might_sleep()), and every blocking
 * acquisition adds its dependencies to the run's lock graph (check/lockdep-graph.ts)
 * before it waits, as lock_acquire() does: a cycle is reported where it closes, whether
 * or not anything deadlocks.
 */
import { cycleReport, cycleSeeds, type DepType, type LockGraph } from '../check/lockdep-graph.js';
import { heldLocks, lockClass, lockLabel, reportViolation } from '../check/violation.js';
import {
  type HeldLock,
  MODE_MAP,
  MODE_MUTEX,
  MODE_NAMES,
  MODE_READ,
  MODE_SEM_READ,
  MODE_SEM_WRITE,
  MODE_SRCU_READ,
  type Task,
} from '../exec/task.js';

/** Modes that make a context atomic: spinlocks and rwlocks (mmu_lock) spin; mutexes, rwsems and SRCU read sections may sleep. */
export function isAtomicMode(mode: number): boolean {
  return mode !== MODE_MUTEX && mode !== MODE_SRCU_READ && mode !== MODE_SEM_READ && mode !== MODE_SEM_WRITE && mode !== MODE_MAP;
}

/** How lockdep sees an acquisition in `mode`: a recursive read, a read a waiting writer blocks, or exclusive. */
export function depType(mode: number): DepType {
  if (mode === MODE_READ || mode === MODE_SRCU_READ) return 'R';
  return mode === MODE_SEM_READ ? 'S' : 'W';
}

/** The lock graph of the run in this thread (null: lockdep off, e.g. a unit test driving ops by hand). */
let graph: LockGraph | null = null;

export function setLockGraph(g: LockGraph | null): void {
  graph = g;
}

function heldText(h: HeldLock): string {
  return `${lockLabel(h.lock)} (${MODE_NAMES[h.mode]})`;
}

/**
 * lock_acquire()'s checks for a blocking acquisition of `lock` in `mode` at `step`:
 * recursive locking of a class already held (unless both are recursive reads), then an
 * edge from the most recent held lock (and past it while that one was a trylock) into
 * this class. An edge that closes a cycle is `lock-order-cycle` in a reporting graph; a
 * collecting graph (a threads worker) only records it for the run's graph to judge.
 */
export function lockdepAcquire(t: Task, lock: number, mode: number, step: number, site?: string): void {
  const cls = lockClass(lock);
  const type = depType(mode);
  let same: HeldLock | undefined;
  for (const h of t.held) if (lockClass(h.lock) === cls) same = h;
  if (same && graph?.reports && !(depType(same.mode) === 'R' && type === 'R')) {
    const self = same.lock === lock;
    const taking = `${lockLabel(lock)} (${MODE_NAMES[mode]})`;
    reportViolation(
      'lock-order-cycle',
      `possible recursive locking: ${t.name} takes ${taking} while holding ${heldText(same)}, of the same class ${cls}`,
      [
        `${heldText(same)} was taken at step ${same.step}${same.site ? ` in ${same.site}()` : ''}; ${taking} is taken at step ${step}${site ? ` in ${site}()` : ''}`,
        self ? 'it is the very same lock: this task would wait for itself (a self-deadlock)' : 'two locks of one class nest without a nesting annotation: another task may take them the other way round',
        'possible unsafe locking scenario:',
        '  CPU0',
        '  ----',
        `  lock(${cls});`,
        `  lock(${cls});`,
        '  *** DEADLOCK ***',
      ],
    );
    return;
  }
  if (!graph) return;
  for (let k = t.held.length - 1; k >= 0; k--) {
    const h = t.held[k];
    // the common case, an order seen before: no allocation
    if (graph.knows(lockClass(h.lock), cls, depType(h.mode), type)) {
      if (!h.trylock) break;
      continue;
    }
    const cycle = graph.add({
      from: lockClass(h.lock),
      to: cls,
      held: depType(h.mode),
      acq: type,
      place: { task: t.name, role: t.role, site, step, heldStep: h.step, heldSite: h.site, seed: graph.seed, heldLock: heldText(h), takenLock: `${lockLabel(lock)} (${MODE_NAMES[mode]})` },
    });
    if (cycle && graph.mode === 'report' && graph.reports) {
      const r = cycleReport(cycle);
      const earlier = cycleSeeds(cycle).some((s) => s < (graph as LockGraph).seed);
      reportViolation('lock-order-cycle', r.message, r.details, earlier ? { replayFrom: (graph as LockGraph).firstSeed } : {});
      return;
    }
    if (!h.trylock) break;
  }
}

/**
 * The lock is now held. A blocking acquisition that did not block records its
 * dependencies here (one that blocked did so at its first block); a trylock records none.
 */
export function lockAcquired(t: Task, lock: number, mode: number, step: number, site?: string, trylock = false): void {
  if (!trylock && t.lockdepRecorded !== lock) lockdepAcquire(t, lock, mode, step, site);
  t.lockdepRecorded = -1;
  const h: HeldLock = { lock, mode, step };
  if (site) h.site = site;
  if (trylock) h.trylock = true;
  t.held.push(h);
}

/** Returns false (and reports lock-not-held) when the task did not hold the lock. */
export function lockReleased(t: Task, lock: number, mode: number): boolean {
  for (let k = t.held.length - 1; k >= 0; k--) {
    if (t.held[k].lock === lock && t.held[k].mode === mode) {
      t.held.splice(k, 1);
      return true;
    }
  }
  reportViolation(
    'lock-not-held',
    `${t.name} releases ${lockLabel(lock)} (${MODE_NAMES[mode]}) which it does not hold`,
    [`held: ${heldLocks(t).join(', ') || 'nothing'}`],
  );
  return false;
}

/**
 * might_sleep(): `what` may sleep. Under a spinlock or rwlock that is a
 * "BUG: sleeping function called from invalid context".
 */
export function mightSleep(t: Task, what: string): void {
  for (let k = t.held.length - 1; k >= 0; k--) {
    const h = t.held[k];
    if (isAtomicMode(h.mode)) {
      reportViolation('sleep-in-atomic', `${t.name}: ${what} may sleep while holding ${lockLabel(h.lock)} (${MODE_NAMES[h.mode]})`, [
        `BUG: sleeping function called from invalid context: ${what}`,
        `${lockLabel(h.lock)} was taken for ${MODE_NAMES[h.mode]} at step ${h.step}; it spins, so nothing under it may sleep`,
        `locks held: ${heldLocks(t).join(', ')}`,
      ]);
      return;
    }
  }
}

/** lockdep_assert_not_held(): the task must not hold `lock`. */
export function lockdepAssertNotHeld(t: Task, lock: number, what: string): void {
  const h = t.held.find((x) => x.lock === lock);
  if (!h) return;
  reportViolation('lock-not-held', `${t.name}: ${what} requires ${lockLabel(lock)} not held, but it holds it (${MODE_NAMES[h.mode]})`, [
    `taken at step ${h.step}${h.site ? ` in ${h.site}()` : ''}`,
  ]);
}

/** lockdep_assert_held_write() / lockdep_assert_held(): `mode` is the mode required. */
export function lockdepAssertHeld(t: Task, lock: number, modes: number[], what: string): void {
  if (t.held.some((h) => h.lock === lock && modes.includes(h.mode))) return;
  reportViolation('lock-not-held', `${t.name}: ${what} requires ${lockLabel(lock)} held (${modes.map((m) => MODE_NAMES[m]).join(' or ')})`, [
    `held: ${heldLocks(t).join(', ') || 'nothing'}`,
  ]);
}
