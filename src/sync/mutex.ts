/** struct mutex: mutex_lock (may sleep), mutex_trylock (never sleeps), mutex_unlock. */
import type { Arena } from '../shm/arena.js';
import type { Op } from '../exec/op.js';
import { MODE_MUTEX } from '../exec/task.js';
import { lockAcquired, lockReleased, mightSleep } from './lockdep.js';
import { blockOn, LockWord, OWNER, opBoundary, STATE, waited } from './lock-word.js';
import { T_LOCK, T_TRYLOCK, T_UNLOCK } from './trace-ops.js';

export class Mutex extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct mutex');
  }
}

export function* mutexLock(m: Mutex): Op {
  const t = yield* opBoundary();
  mightSleep(t, `mutex_lock(${m.name})`);
  let since = -1;
  while (Atomics.compareExchange(m.i32, m.word + STATE, 0, 1) !== 0) {
    since = yield* blockOn(t, m, MODE_MUTEX, 1, since);
  }
  Atomics.store(m.i32, m.word + OWNER, t.id + 1);
  waited(t, m, since);
  lockAcquired(t, m.id, MODE_MUTEX, t.trace(T_LOCK, m.id, MODE_MUTEX));
}

/** Returns true when the mutex was taken. */
export function* mutexTrylock(m: Mutex): Op<boolean> {
  const t = yield* opBoundary();
  const ok = Atomics.compareExchange(m.i32, m.word + STATE, 0, 1) === 0;
  const step = t.trace(T_TRYLOCK, m.id, ok ? 1 : 0);
  if (ok) {
    Atomics.store(m.i32, m.word + OWNER, t.id + 1);
    lockAcquired(t, m.id, MODE_MUTEX, step);
  }
  return ok;
}

export function* mutexUnlock(m: Mutex): Op {
  const t = yield* opBoundary();
  t.trace(T_UNLOCK, m.id, MODE_MUTEX);
  if (!lockReleased(t, m.id, MODE_MUTEX)) return;
  Atomics.store(m.i32, m.word + OWNER, 0);
  Atomics.store(m.i32, m.word + STATE, 0);
  t.hooks.wake(m.id, m.word + STATE);
}
