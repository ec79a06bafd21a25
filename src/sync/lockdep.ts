/**
 * Lockdep hooks: every acquire and release goes through here, so each task knows the
 * locks it holds, and "may sleep" points can check them (might_sleep()).
 */
import { heldLocks, lockLabel, reportViolation } from '../check/violation.js';
import { MODE_MUTEX, MODE_NAMES, MODE_SRCU_READ, type Task } from '../exec/task.js';

/** Modes that make a context atomic: spinlocks and rwlocks (mmu_lock) spin; mutexes and SRCU read sections may sleep. */
export function isAtomicMode(mode: number): boolean {
  return mode !== MODE_MUTEX && mode !== MODE_SRCU_READ;
}

export function lockAcquired(t: Task, lock: number, mode: number, step: number, site?: string): void {
  t.held.push(site ? { lock, mode, step, site } : { lock, mode, step });
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

/** lockdep_assert_held_write() / lockdep_assert_held(): `mode` is the mode required. */
export function lockdepAssertHeld(t: Task, lock: number, modes: number[], what: string): void {
  if (t.held.some((h) => h.lock === lock && modes.includes(h.mode))) return;
  reportViolation('lock-not-held', `${t.name}: ${what} requires ${lockLabel(lock)} held (${modes.map((m) => MODE_NAMES[m]).join(' or ')})`, [
    `held: ${heldLocks(t).join(', ') || 'nothing'}`,
  ]);
}
