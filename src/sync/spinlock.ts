/** spinlock_t: spin_lock / spin_unlock. Holding it makes the context atomic. */
import type { Op } from '../rt/op.js';
import { MODE_SPIN } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { ExclusiveAcquire, Unlock, LockWord } from './lock-word.js';

export class Spinlock extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'spinlock_t');
  }
}

export function spinLock(l: Spinlock, site?: string): Op {
  return new ExclusiveAcquire(l, MODE_SPIN, null, site);
}

export function spinUnlock(l: Spinlock): Op {
  return new Unlock(l, MODE_SPIN);
}
