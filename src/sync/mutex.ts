/** struct mutex: mutex_lock (may sleep), mutex_trylock (never sleeps), mutex_unlock. */
import { AT_POINT, DONE_STATE, type Op, OpMachine } from '../rt/op.js';
import { current, MODE_MUTEX } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { lockAcquired } from './lockdep.js';
import { ExclusiveAcquire, Unlock, LockWord, OWNER, STATE } from './lock-word.js';
import { T_TRYLOCK } from './trace-ops.js';
import { shared } from '../rt/shared.js';

export class Mutex extends LockWord {
  /** What might_sleep() names when mutex_lock() is called in atomic context (built once, not per call). */
  readonly sleeper: string;
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct mutex');
    this.sleeper = `mutex_lock(${name})`;
  }
}

/** `site` names the model function taking it, for reports of locks held too long. */
export function mutexLock(m: Mutex, site?: string): Op {
  return new ExclusiveAcquire(m, MODE_MUTEX, m.sleeper, site);
}

/** Returns true when the mutex was taken; `site` names the model function taking it, as mutexLock's does (a trylock adds no lockdep edge into it, but is held from there). */
export function mutexTrylock(m: Mutex, site?: string): Op<boolean> {
  return new MutexTrylock(m, site);
}

const TAKEN: IteratorResult<number, boolean> = { value: true, done: true };
const NOT_TAKEN: IteratorResult<number, boolean> = { value: false, done: true };

class MutexTrylock extends OpMachine<boolean> {
  private declare readonly m: Mutex;
  private declare readonly site: string | undefined;
  constructor(m: Mutex, site: string | undefined) {
    super();
    this.s = 0;
    this.m = m;
    this.site = site;
  }
  next(): IteratorResult<number, boolean> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return { value: undefined as never, done: true };
    this.s = DONE_STATE;
    const m = this.m;
    const t = current;
    const ok = shared.compareExchange(m.i32, m.word + STATE, 0, 1) === 0;
    const step = t.trace(T_TRYLOCK, m.id, ok ? 1 : 0);
    if (!ok) return NOT_TAKEN;
    shared.store(m.i32, m.word + OWNER, t.id + 1);
    lockAcquired(t, m.id, MODE_MUTEX, step, this.site, true);
    return TAKEN;
  }
}

export function mutexUnlock(m: Mutex): Op {
  return new Unlock(m, MODE_MUTEX);
}
