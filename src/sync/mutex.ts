/** struct mutex: mutex_lock (may sleep), mutex_trylock (never sleeps), mutex_unlock. */
import { type Op, POINT } from '../exec/op.js';
import { current, MODE_MUTEX } from '../exec/task.js';
import type { Arena } from '../shm/arena.js';
import { lockAcquired, lockdepBeforeMightSleep, mightSleep } from './lockdep.js';
import { acquireExclusive, LockWord, OWNER, releaseExclusive, STATE, takeExclusive } from './lock-word.js';
import { T_TRYLOCK } from './trace-ops.js';

export class Mutex extends LockWord {
  /** What might_sleep() names when mutex_lock() is called in atomic context (built once, not per call). */
  readonly sleeper: string;
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct mutex');
    this.sleeper = `mutex_lock(${name})`;
  }
}

/** `site` names the model function taking it, for reports of locks held too long. */
export function* mutexLock(m: Mutex, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  lockdepBeforeMightSleep(t, m.id, MODE_MUTEX, site);
  mightSleep(t, m.sleeper);
  if (!takeExclusive(t, m, MODE_MUTEX, site)) yield* acquireExclusive(t, m, MODE_MUTEX, site);
}

/** Returns true when the mutex was taken. */
export function* mutexTrylock(m: Mutex): Op<boolean> {
  yield POINT; // the op boundary
  const t = current;
  const ok = Atomics.compareExchange(m.i32, m.word + STATE, 0, 1) === 0;
  const step = t.trace(T_TRYLOCK, m.id, ok ? 1 : 0);
  if (ok) {
    Atomics.store(m.i32, m.word + OWNER, t.id + 1);
    lockAcquired(t, m.id, MODE_MUTEX, step, undefined, true);
  }
  return ok;
}

export function* mutexUnlock(m: Mutex): Op {
  yield POINT; // the op boundary
  const t = current;
  releaseExclusive(t, m, MODE_MUTEX);
}
