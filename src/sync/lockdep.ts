/**
 * Lockdep hooks: every acquire and release goes through here, so each task knows the
 * locks it holds, "may sleep" points can check them (might_sleep()), and every blocking
 * acquisition adds its dependencies to the run's lock graph (lockdep-graph.ts)
 * before it waits, as lock_acquire() does: a cycle is reported where it closes, whether
 * or not anything deadlocks.
 */
import { cycleReport, cycleSeeds, type DepType, type LockGraph } from './lockdep-graph.js';
import { heldLocks, lockClass, lockLabel } from '../rt/names.js';
import { reportViolation } from '../rt/oracle.js';
import { shared } from '../rt/shared.js';
import { T_ACQUIRE } from './trace-ops.js';
import { type HeldLock, MODE_MAP, MODE_MUTEX, MODE_NAMES, MODE_READ, MODE_SEM_READ, MODE_SEM_WRITE, MODE_SRCU_READ, type Task } from '../rt/task.js';

/** Modes that make a context atomic: spinlocks and rwlocks (mmu_lock) spin; mutexes, rwsems and SRCU read sections may sleep. */
export function isAtomicMode(mode: number): boolean {
  return mode !== MODE_MUTEX && mode !== MODE_SRCU_READ && mode !== MODE_SEM_READ && mode !== MODE_SEM_WRITE && mode !== MODE_MAP;
}

/**
 * How lockdep sees an acquisition in `mode` (lock_acquire()'s `read` argument): an SRCU
 * read section is a recursive read, read == 2 (srcu_read_lock() has been
 * lock_map_acquire_read() since f0f44752f5f6, v6.4; before it, rcu_lock_acquire() with
 * check == 0, outside the graph); read_lock() on a queued rwlock in process context (x86's
 * mmu_lock, and this model's rwlock by default) and a rwsem's down_read are reads a
 * waiting writer blocks, read == 1 (read_lock_is_recursive() is false there since
 * e918188611f0, v5.10); `recursive` (an rwlock made with `recursiveRead`) is read_lock()
 * where read_lock_is_recursive() is true: interrupt context, !CONFIG_QUEUED_RWLOCKS, or
 * lib/locking-selftest.c's force_read_lock_recursive. The rest is exclusive, read == 0.
 */
export function depType(mode: number, recursive = false): DepType {
  if (mode === MODE_SRCU_READ) return 'R';
  if (mode === MODE_READ) return recursive ? 'R' : 'S';
  return mode === MODE_SEM_READ ? 'S' : 'W';
}

/** How lockdep sees a held lock: its acquisition's type. */
function heldType(h: HeldLock): DepType {
  return depType(h.mode, h.recursive === true);
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
 * lock_acquire()'s checks for a blocking acquisition of `lock` in `mode` at `step`
 * (validate_chain()): check_deadlock()'s recursive locking of a class already held (unless
 * this is a recursive read and the held one any read), then check_prevs_add(): an edge
 * from the most recent held lock into this class, and from the one before it only while
 * the held lock was a trylock. The walk stops at the first held lock that is not a
 * trylock, whatever its mode: a read-held lock, an SRCU read section included, gets the
 * edge and ends the walk (621c9dac0eea "lockdep: Add recursive read locks into dependency
 * graph", v5.10; before it, recursive-read holders got no edge and the walk passed them).
 * Every lock in this model is lockdep-checked (check == 1) and in one irq context, so
 * check_prevs_add()'s other two stops never apply. An edge that closes a strong cycle is
 * `lock-order-cycle` in a reporting graph; a collecting graph (a threads worker) only
 * records it for the run's graph to judge.
 */
export function lockdepAcquire(t: Task, lock: number, mode: number, step: number, site?: string, recursive = false): void {
  const cls = lockClass(lock);
  const type = depType(mode, recursive);
  let same: HeldLock | undefined;
  for (const h of t.held) if (lockClass(h.lock) === cls) same = h;
  // check_deadlock(): a recursive read of a class held for any read is fine
  if (same && graph?.reports && !(type === 'R' && heldType(same) !== 'W')) {
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
    const held = heldType(h);
    // check_prev_add(); the common case, an order seen before, allocates nothing
    if (!graph.knows(lockClass(h.lock), cls, held, type)) {
      const cycle = graph.add({
        from: lockClass(h.lock),
        to: cls,
        held,
        acq: type,
        place: { task: t.name, role: t.role, site, step, heldStep: h.step, heldSite: h.site, seed: graph.seed, heldLock: heldText(h), takenLock: `${lockLabel(lock)} (${MODE_NAMES[mode]})` },
      });
      if (cycle && graph.mode === 'report' && graph.reports) {
        const r = cycleReport(cycle);
        const earlier = cycleSeeds(cycle).some((s) => s < (graph as LockGraph).seed);
        reportViolation('lock-order-cycle', r.message, r.details, earlier ? { replayFrom: (graph as LockGraph).firstSeed } : {});
        return;
      }
    }
    // check_prevs_add(): "Stop after the first non-trylock entry, as non-trylock entries
    // have added their own direct dependencies already" (read-held ones too, since v5.10)
    if (!h.trylock) break;
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
 * `recursive`: a read_lock() lockdep sees as a recursive read (see depType()).
 */
export function lockAcquired(t: Task, lock: number, mode: number, step: number, site?: string, trylock = false, recursive = false): void {
  // under --memory weak, a lock orders this CPU's critical sections (po-unlock-lock-po)
  shared.lockAcquired();
  if (!trylock && t.lockdepRecorded !== lock) lockdepAcquire(t, lock, mode, step, site, recursive);
  t.lockdepRecorded = -1;
  const h: HeldLock = { lock, mode, step };
  if (site) h.site = site;
  if (trylock) h.trylock = true;
  if (recursive) h.recursive = true;
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
