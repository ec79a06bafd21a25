/**
 * rwlock_t (x86-64's mmu_lock): many readers or one writer. A waiting writer sets
 * WRITER_WAITING so new readers queue behind it, as qrwlock does in process context;
 * otherwise a stream of TDP faults (read_lock) could starve every write_lock forever. The
 * same words and steps make the percpu rw-semaphore (cpus_read_lock / cpus_write_lock),
 * which sleeps.
 *
 * `recursiveRead`: read_lock() as a recursive reader, the one a waiting writer does not
 * hold back: queued_read_lock_slowpath() in interrupt context waits only for a writer
 * that holds the lock, and so does every rwlock without CONFIG_QUEUED_RWLOCKS. Lockdep
 * then records the read as recursive (read == 2: read_lock_is_recursive(),
 * e918188611f0, v5.10), and lib/locking-selftest.c runs its rwlock cases that way
 * (force_read_lock_recursive = 1). The default is the process-context reader of a queued
 * rwlock, which a waiting writer blocks and lockdep records as a non-recursive read.
 */
import type { Arena } from '../shm/arena.js';
import { AT_POINT, blockedStep, DONE_STATE, FINISHED, type Op, OpMachine } from '../rt/op.js';
import { current, MODE_READ, MODE_WRITE } from '../rt/task.js';
import { lockAcquired } from './lockdep.js';
import { blockStep, type LockKind, LockWord, OWNER, READERS, STATE, Unlock, WRITER_LOCKED, WRITER_WAITING, waited } from './lock-word.js';
import { T_LOCK } from './trace-ops.js';
import { shared } from '../rt/shared.js';

export interface RwLockOptions {
  /** read_lock() is a recursive read: a waiting writer does not block it, and lockdep records read == 2. */
  recursiveRead?: boolean;
}

export class RwLock extends LockWord {
  constructor(arena: Arena, name: string, cls = name, kind: LockKind = 'rwlock_t', opts: RwLockOptions = {}) {
    super(arena, name, cls, kind);
    this.recursiveRead = opts.recursiveRead === true;
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
  return new Unlock(l, MODE_WRITE);
}

/** Take `l` for read in `mode` (MODE_READ, or a rwsem's MODE_SEM_READ). */
export function readAcquire(l: RwLock, mode: number, site?: string): Op {
  return new RwAcquire(l, mode, false, site);
}

export function readRelease(l: RwLock, mode: number): Op {
  return new Unlock(l, mode);
}

/** Take `l` exclusively in `mode` (MODE_WRITE, or a rwsem's MODE_SEM_WRITE). */
export function writeAcquire(l: RwLock, mode: number, site?: string): Op {
  return new RwAcquire(l, mode, true, site);
}

/** What a try at the state word returns when the lock was taken (a state word is never negative). */
const TAKEN = -1;

/**
 * One try at read_lock: TAKEN, or the state word seen (a writer holds it or, for a
 * non-recursive reader, waits for it).
 */
function tryRead(l: RwLock, recursive: boolean): number {
  const s = l.word + STATE;
  const blockers = recursive ? WRITER_LOCKED : WRITER_LOCKED | WRITER_WAITING;
  for (;;) {
    const v = shared.load(l.i32, s);
    if ((v & blockers) !== 0) return v;
    if (shared.compareExchange(l.i32, s, v, v + 1) === v) return TAKEN;
    // another reader got in first: not blocked, just retry
  }
}

/** One try at write_lock: TAKEN, or the state word to wait on, with WRITER_WAITING now set in it. */
function tryWrite(l: RwLock): number {
  const s = l.word + STATE;
  for (;;) {
    const v = shared.load(l.i32, s);
    if ((v & ~WRITER_WAITING) === 0) {
      if (shared.compareExchange(l.i32, s, v, WRITER_LOCKED) === v) return TAKEN;
      continue;
    }
    if ((v & WRITER_WAITING) === 0 && shared.compareExchange(l.i32, s, v, v | WRITER_WAITING) !== v) continue;
    return v | WRITER_WAITING;
  }
}

/** read_lock / write_lock (and the rwsem's two sides): they differ only in the try and in how the holder is recorded. */
class RwAcquire extends OpMachine {
  private declare readonly l: RwLock;
  private declare readonly mode: number;
  private declare readonly write: boolean;
  private declare readonly site: string | undefined;
  /** When the wait began (-1: it has not blocked). */
  private declare since: number;
  constructor(l: RwLock, mode: number, write: boolean, site: string | undefined) {
    super();
    this.s = 0;
    this.l = l;
    this.mode = mode;
    this.write = write;
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
    this.s = DONE_STATE; // a step that throws leaves the op finished, as it leaves a generator
    // only read_lock() itself can be recursive, never a rwsem's down_read
    const recursive = !this.write && mode === MODE_READ && l.recursiveRead;
    const seen = this.write ? tryWrite(l) : tryRead(l, recursive);
    if (seen !== TAKEN) {
      this.since = blockStep(t, l, mode, seen, this.since, site);
      this.s = 1;
      return blockedStep(l.id);
    }
    if (this.write) shared.store(l.i32, l.word + OWNER, t.id + 1);
    else shared.or(l.i32, l.word + READERS, 1 << t.id);
    waited(t, l, this.since);
    lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site, false, recursive);
    return FINISHED;
  }
}
