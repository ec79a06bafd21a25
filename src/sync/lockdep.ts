/**
 * Lockdep hooks: every acquire and release goes through here, so each task knows the
 * locks it holds, "may sleep" points can check them (might_sleep()), and every blocking
 * acquisition adds its dependencies to the run's lock graph (check/lockdep-graph.ts)
 * before it waits, as lock_acquire() does: a cycle is reported where it closes, whether
 * or not anything deadlocks.
 */
import { weakMemoryNow } from '../memory/sim-weak.js';
import { cycleReport, cycleSeeds, type DepType, type LockGraph } from '../check/lockdep-graph.js';
import { heldLocks, lockClass, lockLabel, reportViolation } from '../check/violation.js';
import { T_ACQUIRE } from './trace-ops.js';
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

/**
 * How lockdep sees an acquisition in `mode`: an SRCU read section is a recursive read (no
 * writer ever blocks it); read_lock on a queued rwlock in process context (x86's
 * mmu_lock, and this model's rwlock, where a waiting writer holds new readers back) and
 * a rwsem's down_read are reads a writer can block (read_lock_is_recursive() is false
 * there since 2020); the rest is exclusive.
 */
export function depType(mode: number): DepType {
  if (mode === MODE_SRCU_READ) return 'R';
  return mode === MODE_READ || mode === MODE_SEM_READ ? 'S' : 'W';
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
  // check_deadlock(): a recursive read of a class held for any read is fine
  if (same && graph?.reports && !(type === 'R' && depType(same.mode) !== 'W')) {
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
    // Past a trylock, and past a recursive read (an SRCU read section), the lock held
    // before it depends on this one too: with only the read section's edge, lockdep's
    // strong-path rule would never see a chain through it.
    const lookFurther = h.trylock || depType(h.mode) === 'R';
    // the common case, an order seen before: no allocation
    if (graph.knows(lockClass(h.lock), cls, depType(h.mode), type)) {
      if (!lookFurther) break;
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
    if (!lookFurther) break;
  }
}

/**
 * A sleeping acquisition in atomic context: the kernel prints might_sleep()'s splat and
 * then lock_acquire()'s; one verdict is kept here, and an order that breaks is the more
 * specific finding, so lockdep is asked first (then might_sleep() speaks if it found
 * nothing). Called before mightSleep() by every sleeping lock.
 */
export function lockdepBeforeMightSleep(t: Task, lock: number, mode: number, site?: string): void {
  if (!t.held.some((h) => isAtomicMode(h.mode))) return;
  lockdepAcquire(t, lock, mode, t.trace(T_ACQUIRE, lock, mode), site);
  t.lockdepRecorded = lock;
}

/**
 * The lock is now held. A blocking acquisition that did not block records its
 * dependencies here (one that blocked did so at its first block); a trylock records none.
 */
export function lockAcquired(t: Task, lock: number, mode: number, step: number, site?: string, trylock = false): void {
  // under --memory weak, a lock orders this CPU's critical sections (po-unlock-lock-po)
  weakMemoryNow()?.lockAcquired();
  if (!trylock && t.lockdepRecorded !== lock) lockdepAcquire(t, lock, mode, step, site);
  t.lockdepRecorded = -1;
  const h: HeldLock = { lock, mode, step };
  if (site) h.site = site;
  if (trylock) h.trylock = true;
  t.held.push(h);
}

/** Returns false (and reports lock-not-held) when the task did not hold the lock. */
export function lockReleased(t: Task, lock: number, mode: number): boolean {
  const held = t.held;
  for (let k = held.length - 1; k >= 0; k--) {
    if (held[k].lock === lock && held[k].mode === mode) {
      if (k === held.length - 1) held.pop(); // the usual case: the lock taken last
      else held.splice(k, 1);
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
