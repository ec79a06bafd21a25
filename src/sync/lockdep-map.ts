/**
 * struct lockdep_map on its own: a lock that exists only for lockdep, never blocks, and
 * is held across a section so that lockdep learns what is taken inside it (the kernel's
 * fs_reclaim map, lock_map_acquire / lock_map_release).
 */
import { type Op, POINT } from '../rt/op.js';
import { current, MODE_MAP } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { lockAcquired, lockReleased } from './lockdep.js';
import { LockWord } from './lock-word.js';
import { T_LOCK, T_UNLOCK } from './trace-ops.js';

export class LockdepMap extends LockWord {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct lockdep_map');
  }
}

export function* lockMapAcquire(m: LockdepMap, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  lockAcquired(t, m.id, MODE_MAP, t.trace(T_LOCK, m.id, MODE_MAP), site);
}

export function* lockMapRelease(m: LockdepMap): Op {
  yield POINT; // the op boundary
  const t = current;
  t.trace(T_UNLOCK, m.id, MODE_MAP);
  lockReleased(t, m.id, MODE_MAP);
}
