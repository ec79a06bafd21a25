/**
 * rwlock_t (x86-64's mmu_lock): many readers or one writer. A waiting writer sets
 * WRITER_WAITING so new readers queue behind it, as qrwlock does; otherwise a stream
 * of TDP faults (read_lock) could starve every write_lock forever. The same words and
 * steps make the percpu rw-semaphore (cpus_read_lock / cpus_write_lock), which sleeps.
 */
import type { Arena } from '../shm/arena.js';
import { AT_POINT, blockedStep, DONE_STATE, FINISHED, type Op, OpMachine } from '../exec/op.js';
import { current, MODE_READ, MODE_WRITE } from '../exec/task.js';
import { lockAcquired, lockReleased } from './lockdep.js';
import {
  blockStep,
  ExclusiveRelease,
  type LockKind,
  LockWord,
  OWNER,
  READER_COUNT,
  READERS,
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

// the kernel's names hand back the op machine that does the work: no frame of their own per op
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
export function writeUnlock(l: RwLock): Op {
  return new ExclusiveRelease(l, MODE_WRITE);
}

/** Take `l` for read in `mode` (MODE_READ, or a rwsem's MODE_SEM_READ). */
export function readAcquire(l: RwLock, mode: number, site?: string): Op {
  return new ReadAcquire(l, mode, site);
}

class ReadAcquire extends OpMachine {
  private declare readonly l: RwLock;
  private declare readonly mode: number;
  private declare readonly site: string | undefined;
  /** When the wait began (-1: it has not blocked). */
  private declare since: number;
  constructor(l: RwLock, mode: number, site: string | undefined) {
    super();
    this.s = 0;
    this.l = l;
    this.mode = mode;
    this.site = site;
    this.since = -1;
  }
  next(): IteratorResult<number, void> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return FINISHED;
    const l = this.l;
    const mode = this.mode;
    const site = this.site;
    const t = current;
    const s = l.word + STATE;
    this.s = DONE_STATE; // a step that throws leaves the op finished, as it leaves a generator
    for (;;) {
      const v = Atomics.load(l.i32, s);
      if ((v & (WRITER_LOCKED | WRITER_WAITING)) === 0) {
        if (Atomics.compareExchange(l.i32, s, v, v + 1) === v) break;
        continue; // another reader got in first: not blocked, just retry
      }
      this.since = blockStep(t, l, mode, v, this.since, site);
      this.s = 1;
      return blockedStep(l.id);
    }
    Atomics.or(l.i32, l.word + READERS, 1 << t.id);
    waited(t, l, this.since);
    lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site);
    return FINISHED;
  }
}

export function readRelease(l: RwLock, mode: number): Op {
  return new ReadRelease(l, mode);
}

class ReadRelease extends OpMachine {
  private declare readonly l: RwLock;
  private declare readonly mode: number;
  constructor(l: RwLock, mode: number) {
    super();
    this.s = 0;
    this.l = l;
    this.mode = mode;
  }
  next(): IteratorResult<number, void> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return FINISHED;
    this.s = DONE_STATE;
    const l = this.l;
    const mode = this.mode;
    const t = current;
    t.trace(T_UNLOCK, l.id, mode);
    if (!lockReleased(t, l.id, mode)) return FINISHED;
    Atomics.and(l.i32, l.word + READERS, ~(1 << t.id));
    const now = Atomics.sub(l.i32, l.word + STATE, 1) - 1;
    if ((now & READER_COUNT) === 0) t.hooks.wake(l.id, l.word);
    return FINISHED;
  }
}

/** Take `l` exclusively in `mode` (MODE_WRITE, or a rwsem's MODE_SEM_WRITE). */
export function writeAcquire(l: RwLock, mode: number, site?: string): Op {
  return new WriteAcquire(l, mode, site);
}

class WriteAcquire extends OpMachine {
  private declare readonly l: RwLock;
  private declare readonly mode: number;
  private declare readonly site: string | undefined;
  /** When the wait began (-1: it has not blocked). */
  private declare since: number;
  constructor(l: RwLock, mode: number, site: string | undefined) {
    super();
    this.s = 0;
    this.l = l;
    this.mode = mode;
    this.site = site;
    this.since = -1;
  }
  next(): IteratorResult<number, void> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return FINISHED;
    const l = this.l;
    const mode = this.mode;
    const site = this.site;
    const t = current;
    const s = l.word + STATE;
    this.s = DONE_STATE; // a step that throws leaves the op finished, as it leaves a generator
    for (;;) {
      const v = Atomics.load(l.i32, s);
      if ((v & ~WRITER_WAITING) === 0) {
        if (Atomics.compareExchange(l.i32, s, v, WRITER_LOCKED) === v) break;
        continue;
      }
      if ((v & WRITER_WAITING) === 0) {
        if (Atomics.compareExchange(l.i32, s, v, v | WRITER_WAITING) !== v) continue;
      }
      this.since = blockStep(t, l, mode, v | WRITER_WAITING, this.since, site);
      this.s = 1;
      return blockedStep(l.id);
    }
    Atomics.store(l.i32, l.word + OWNER, t.id + 1);
    waited(t, l, this.since);
    lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site);
    return FINISHED;
  }
}
