/** spinlock_t: spin_lock / spin_unlock. Holding it makes the context atomic. */
import { type Op, POINT } from '../exec/op.js';
import { current, MODE_SPIN } from '../exec/task.js';
import type { Arena } from '../shm/arena.js';
import { acquireExclusive, takeExclusive, LockWord, releaseExclusive } from './lock-word.js';

export class Spinlock extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'spinlock_t');
  }
}

export function* spinLock(l: Spinlock, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  if (!takeExclusive(t, l, MODE_SPIN, site)) yield* acquireExclusive(t, l, MODE_SPIN, site);
}

export function* spinUnlock(l: Spinlock): Op {
  yield POINT; // the op boundary
  const t = current;
  releaseExclusive(t, l, MODE_SPIN);
}
