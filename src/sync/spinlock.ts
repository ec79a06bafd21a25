/** spinlock_t: spin_lock / spin_unlock. Holding it makes the context atomic. */
import type { Arena } from '../shm/arena.js';
import type { Op } from '../exec/op.js';
import { MODE_SPIN } from '../exec/task.js';
import { lockAcquired, lockReleased } from './lockdep.js';
import { blockOn, LockWord, OWNER, opBoundary, STATE, waited } from './lock-word.js';
import { T_LOCK, T_UNLOCK } from './trace-ops.js';

export class Spinlock extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'spinlock_t');
  }
}

export function* spinLock(l: Spinlock): Op {
  const t = yield* opBoundary();
  let since = -1;
  while (Atomics.compareExchange(l.i32, l.word + STATE, 0, 1) !== 0) {
    since = yield* blockOn(t, l, MODE_SPIN, 1, since);
  }
  Atomics.store(l.i32, l.word + OWNER, t.id + 1);
  waited(t, l, since);
  lockAcquired(t, l.id, MODE_SPIN, t.trace(T_LOCK, l.id, MODE_SPIN));
}

export function* spinUnlock(l: Spinlock): Op {
  const t = yield* opBoundary();
  t.trace(T_UNLOCK, l.id, MODE_SPIN);
  if (!lockReleased(t, l.id, MODE_SPIN)) return;
  Atomics.store(l.i32, l.word + OWNER, 0);
  Atomics.store(l.i32, l.word + STATE, 0);
  t.hooks.wake(l.id, l.word + STATE);
}
