/**
 * rwlock_t (x86-64's mmu_lock): many readers or one writer. A waiting writer sets
 * WRITER_WAITING so new readers queue behind it, as qrwlock does; otherwise a stream
 * of TDP faults (read_lock) could starve every write_lock forever. The same words and
 * steps make the percpu rw-semaphore (cpus_read_lock / cpus_write_lock), which sleeps.
 */
import type { Arena } from '../shm/arena.js';
import { type Op, POINT } from '../exec/op.js';
import { current, MODE_READ, MODE_WRITE } from '../exec/task.js';
import { lockAcquired, lockReleased } from './lockdep.js';
import {
  blockOn,
  type LockKind,
  LockWord,
  OWNER,
  
  READER_COUNT,
  READERS,
  releaseExclusive,
  STATE,
  WRITER_LOCKED,
  WRITER_WAITING,
  waited,
} from './lock-word.js';
import { T_LOCK, T_UNLOCK } from './trace-ops.js';


export class RwLock extends LockWord {
  constructor(arena: Arena, name: string, cls = name, kind: LockKind = 'rwlock_t') {
    super(arena, name, cls, kind);
  }
}

// the kernel's names hand back the generator that does the work: no frame of their own per op
export function readLock(l: RwLock, site?: string): Op {
  return readAcquire(l, MODE_READ, site);
}

export function readUnlock(l: RwLock): Op {
  return readRelease(l, MODE_READ);
}

export function writeLock(l: RwLock, site?: string): Op {
  return writeAcquire(l, MODE_WRITE, site);
}

/** write_unlock(): clears WRITER_WAITING too; a writer still waiting sets it again. */
export function* writeUnlock(l: RwLock): Op {
  yield POINT; // the op boundary
  const t = current;
  releaseExclusive(t, l, MODE_WRITE);
}

/** Take `l` for read in `mode` (MODE_READ, or a rwsem's MODE_SEM_READ). */
export function* readAcquire(l: RwLock, mode: number, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  const s = l.word + STATE;
  let since = -1;
  for (;;) {
    const v = Atomics.load(l.i32, s);
    if ((v & (WRITER_LOCKED | WRITER_WAITING)) === 0) {
      if (Atomics.compareExchange(l.i32, s, v, v + 1) === v) break;
      continue; // another reader got in first: not blocked, just retry
    }
    since = yield* blockOn(t, l, mode, v, since, site);
  }
  Atomics.or(l.i32, l.word + READERS, 1 << t.id);
  waited(t, l, since);
  lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site);
}

export function* readRelease(l: RwLock, mode: number): Op {
  yield POINT; // the op boundary
  const t = current;
  t.trace(T_UNLOCK, l.id, mode);
  if (!lockReleased(t, l.id, mode)) return;
  Atomics.and(l.i32, l.word + READERS, ~(1 << t.id));
  const now = Atomics.sub(l.i32, l.word + STATE, 1) - 1;
  if ((now & READER_COUNT) === 0) t.hooks.wake(l.id, l.word);
}

/** Take `l` exclusively in `mode` (MODE_WRITE, or a rwsem's MODE_SEM_WRITE). */
export function* writeAcquire(l: RwLock, mode: number, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  const s = l.word + STATE;
  let since = -1;
  for (;;) {
    const v = Atomics.load(l.i32, s);
    if ((v & ~WRITER_WAITING) === 0) {
      if (Atomics.compareExchange(l.i32, s, v, WRITER_LOCKED) === v) break;
      continue;
    }
    if ((v & WRITER_WAITING) === 0) {
      if (Atomics.compareExchange(l.i32, s, v, v | WRITER_WAITING) !== v) continue;
    }
    since = yield* blockOn(t, l, mode, v | WRITER_WAITING, since, site);
  }
  Atomics.store(l.i32, l.word + OWNER, t.id + 1);
  waited(t, l, since);
  lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site);
}
