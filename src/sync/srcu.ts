/**
 * struct srcu_struct (kvm->srcu): srcu_read_lock / srcu_read_unlock around every use of
 * kvm->memslots, and synchronize_srcu(), which returns only once every reader that was
 * inside a read section when it began has left.
 *
 * As the kernel's SRCU, readers count themselves under one of two indexes: the updater
 * flips the index, so new readers count under the other, and waits for the old index's
 * count to reach zero. The index and both counts share one word, so a reader's
 * compare-and-swap either counts it before the flip (and it is waited for) or fails and
 * counts it under the new index; the kernel needs a second flip and memory barriers
 * for the same guarantee.
 *
 * A read section is held like a lock (in the task's held list, for lock-held-at-exit
 * and lockdep) but may sleep. Lockdep sees it as a recursive read of the srcu_struct's
 * class and synchronize_srcu() as a write of it, taken and released at once: that is
 * mainline since f0f44752f5f6 ("rcu: Annotate SRCU's update-side lockdep dependencies",
 * v6.4, with lock_sync() from 2f1f043e7bea). Before it srcu_read_lock() was
 * rcu_lock_acquire() (check == 0: no edges, and lockdep's walk passed over it) and
 * synchronize_srcu() told lockdep nothing, so no "read section vs synchronize_srcu"
 * cycle could be reported; variants whose finding is such a cycle say so. READERS has a bit per task inside a read section (tasks
 * 0..30; a task does not nest read sections of one srcu_struct here): the deadlock report
 * names them as what synchronize_srcu() waits for.
 */
import { type Op, POINT } from '../rt/op.js';
import { current, MODE_SRCU_READ, MODE_SRCU_SYNC } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { lockAcquired, lockdepAcquire, lockReleased, mightSleep } from './lockdep.js';
import { blockOn, LockWord, OWNER, READERS, SRCU_COUNT_BITS, SRCU_GP, SRCU_IDX, STATE, srcuCount, waited } from './lock-word.js';
import { T_LOCK, T_SRCU_FLIP, T_UNLOCK } from './trace-ops.js';
import { shared } from '../rt/shared.js';

export class Srcu extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct srcu_struct');
  }
}

/** Enters a read section; returns the index to hand to srcu_read_unlock(), as the kernel's does. */
export function* srcuReadLock(s: Srcu, site?: string): Op<number> {
  yield POINT; // the op boundary
  const t = current;
  const w = s.word + STATE;
  let v: number;
  let idx: number;
  do {
    v = shared.load(s.i32, w);
    idx = v & SRCU_IDX ? 1 : 0;
  } while (shared.compareExchange(s.i32, w, v, v + (1 << (SRCU_COUNT_BITS * idx))) !== v);
  shared.or(s.i32, s.word + READERS, 1 << t.id);
  lockAcquired(t, s.id, MODE_SRCU_READ, t.trace(T_LOCK, s.id, MODE_SRCU_READ), site);
  return idx;
}

export function* srcuReadUnlock(s: Srcu, idx: number): Op {
  yield POINT; // the op boundary
  const t = current;
  t.trace(T_UNLOCK, s.id, MODE_SRCU_READ);
  if (!lockReleased(t, s.id, MODE_SRCU_READ)) return;
  shared.and(s.i32, s.word + READERS, ~(1 << t.id));
  const now = shared.sub(s.i32, s.word + STATE, 1 << (SRCU_COUNT_BITS * idx)) - (1 << (SRCU_COUNT_BITS * idx));
  // Only updaters wait: for the old index to drain, or for the grace period before theirs.
  if (srcuCount(now, idx) === 0) t.hooks.wake(s.id, s.word);
}

/**
 * synchronize_srcu() (and _expedited, which differs only in speed): may sleep. Grace
 * periods run one at a time, as the kernel's srcu_gp_mutex has them: a second updater
 * waits for the first to finish (OWNER names the one running), then flips and waits for
 * the readers of the index it flipped away from. A task inside a read section of the
 * same srcu_struct would wait for itself.
 */
export function* synchronizeSrcu(s: Srcu, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  // for lockdep a write acquisition of the SRCU class, released at once (srcu_lock_sync()
  // -> lock_map_sync(), since f0f44752f5f6); asked before might_sleep(), as every sleeping
  // lock does (see lockdepBeforeMightSleep)
  lockdepAcquire(t, s.id, MODE_SRCU_SYNC, t.trace(T_LOCK, s.id, MODE_SRCU_SYNC), site);
  t.lockdepRecorded = s.id;
  mightSleep(t, `synchronize_srcu(${s.name})`);
  const w = s.word + STATE;
  let since = -1;
  for (;;) {
    const v = shared.load(s.i32, w);
    if ((v & SRCU_GP) === 0) {
      if (shared.compareExchange(s.i32, w, v, v | SRCU_GP) === v) break;
      continue;
    }
    since = yield* blockOn(t, s, MODE_SRCU_SYNC, v, since, site);
  }
  shared.store(s.i32, s.word + OWNER, t.id + 1);
  const old = shared.xor(s.i32, w, SRCU_IDX) & SRCU_IDX ? 1 : 0;
  t.trace(T_SRCU_FLIP, s.id, 1 - old);
  for (;;) {
    const v = shared.load(s.i32, w);
    if (srcuCount(v, old) === 0) break;
    since = yield* blockOn(t, s, MODE_SRCU_SYNC, v, since, site);
  }
  shared.store(s.i32, s.word + OWNER, 0);
  shared.and(s.i32, w, ~SRCU_GP);
  t.hooks.wake(s.id, s.word);
  waited(t, s, since);
  t.lockdepRecorded = -1;
  t.trace(T_UNLOCK, s.id, MODE_SRCU_SYNC);
}
