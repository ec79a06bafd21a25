/**
 * The words every lock keeps in the arena: its state, its owner (task id + 1, for
 * exclusive holders), how many threads wait on it (so unlock notifies only when
 * someone waits) and a bitmask of the tasks holding it for read. Also the exclusive
 * acquisition spinlock and mutex share, and the unlock every lock here shares.
 */
import { AT_POINT, blocked, blockedStep, DONE_STATE, FINISHED, type Op, OpMachine } from '../rt/op.js';
import { current, MODE_READ, MODE_SEM_READ, MODE_SEM_WRITE, MODE_SRCU_SYNC, MODE_WAIT, MODE_WRITE, type Task } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { lockAcquired, lockdepAcquire, lockdepBeforeMightSleep, lockReleased, mightSleep } from './lockdep.js';
import { T_BLOCK, T_LOCK, T_UNLOCK } from './trace-ops.js';
import { shared } from '../rt/shared.js';

export const STATE = 0;
export const OWNER = 1;
export const WAITERS = 2;
export const READERS = 3;
/** How many times an unlock notified futex waiters (threads mode), to tell a lost wake-up from a late one. */
export const NOTIFIES = 4;
export const LOCK_WORDS = 5;

/** The exclusive holder's value of STATE for spinlocks and mutexes. */
const LOCKED = 1;
/** rwlock STATE: a writer holds it; a writer waits (new readers queue behind it); the reader count below. */
export const WRITER_LOCKED = 1 << 30;
export const WRITER_WAITING = 1 << 29;
export const READER_COUNT = WRITER_WAITING - 1;

/** Could a task blocked in `mode` take the lock with this STATE? (For the lost-wake-up check.) */
export function canAcquire(mode: number, state: number): boolean {
  if (mode === MODE_SRCU_SYNC) return (state & SRCU_GP) === 0 || srcuDrained(state);
  if (mode === MODE_WAIT) return false; // a wait queue's word says nothing about the condition

  if (mode === MODE_READ || mode === MODE_SEM_READ) return (state & (WRITER_LOCKED | WRITER_WAITING)) === 0;
  if (mode === MODE_WRITE || mode === MODE_SEM_WRITE) return (state & ~WRITER_WAITING) === 0;
  return state === 0;
}

export type LockKind = 'spinlock_t' | 'rwlock_t' | 'struct mutex' | 'struct srcu_struct' | 'struct percpu_rw_semaphore' | 'struct lockdep_map' | 'wait_queue_head_t';

/**
 * srcu_struct STATE: the current index in bit 30, the readers that entered under index 0
 * in bits 0..14 and under index 1 in bits 15..29.
 */
export const SRCU_IDX = 1 << 30;
/** srcu_struct STATE bit 31: a grace period is in progress (grace periods run one at a time). */
export const SRCU_GP = 1 << 31;
export const SRCU_COUNT_BITS = 15;
export function srcuCount(state: number, idx: number): number {
  return (state >>> (SRCU_COUNT_BITS * idx)) & ((1 << SRCU_COUNT_BITS) - 1);
}
/** Has the index synchronize_srcu() flipped away from drained? */
export function srcuDrained(state: number): boolean {
  const idx = state & SRCU_IDX ? 1 : 0;
  return srcuCount(state, 1 - idx) === 0;
}

export class LockWord {
  readonly id: number;
  /** Offset of the lock's first word (STATE) in the arena. */
  readonly word: number;
  readonly i32: Int32Array;

  /** The statistics a wait for this lock adds to (built at its first wait). */
  waitKeys?: [string, string, string];
  /** An rwlock whose read_lock() is a recursive read (RwLock's `recursiveRead`); false for every other lock. */
  recursiveRead = false;
  /** `name` is the instance ("vcpu0.mmu_memory_cache_lock"); `cls` the lockdep class. */
  constructor(
    arena: Arena,
    readonly name: string,
    readonly cls: string,
    readonly kind: LockKind,
  ) {
    this.word = arena.region(`lock:${name}`, LOCK_WORDS);
    this.id = arena.addLock(name, cls, kind, this.word);
    this.i32 = arena.i32;
  }
}

/**
 * Yield "blocked on `lock`, having seen `observed` in its state word". The first time a
 * task blocks in one acquisition it is traced, lockdep records the acquisition's
 * dependencies (before the wait, as lock_acquire() does), and the wait clock starts;
 * returns that start.
 */
export function* blockOn(t: Task, lock: LockWord, mode: number, observed: number, since: number, site?: string): Op<number> {
  since = blockStep(t, lock, mode, observed, since, site);
  yield lock.id;
  return since;
}

/** What blockOn() does before it yields the lock's id (an op machine then returns blockedStep(lock.id)); returns the wait's start. */
export function blockStep(t: Task, lock: LockWord, mode: number, observed: number, since: number, site?: string): number {
  if (since < 0) {
    const step = t.trace(T_BLOCK, lock.id, mode);
    if (t.lockdepRecorded !== lock.id && lock.kind !== 'wait_queue_head_t') {
      lockdepAcquire(t, lock.id, mode, step, site, lock.recursiveRead && mode === MODE_READ);
      t.lockdepRecorded = lock.id;
    }
    since = t.hooks.clock();
  }
  blocked.lock = lock.word;
  blocked.value = observed;
  blocked.mode = mode;
  return since;
}

/** Account the time a task waited for `lock` (if it did). */
export function waited(t: Task, lock: LockWord, since: number): void {
  if (since < 0) return;
  const w = t.hooks.clock() - since;
  // the keys once per lock, not three new strings per wait
  lock.waitKeys ??= [`wait:${lock.cls}`, `waits:${lock.cls}`, `maxwait:${lock.cls}`];
  t.count(lock.waitKeys[0], w);
  t.count(lock.waitKeys[1]);
  t.max(lock.waitKeys[2], w);
}

/** The lock is now `t`'s: its owner, the wait it took (since: -1 if none), lockdep and the trace. */
function exclusiveTaken(t: Task, l: LockWord, mode: number, since: number, site?: string): void {
  shared.store(l.i32, l.word + OWNER, t.id + 1);
  waited(t, l, since);
  lockAcquired(t, l.id, mode, t.trace(T_LOCK, l.id, mode), site);
}

/**
 * Take `l` exclusively (spin_lock, mutex_lock): CAS 0 -> LOCKED, blocking while taken.
 * `sleeper` (mutex_lock) is what might_sleep() names: such a lock first checks that
 * it is not taken in atomic context; a spinlock passes null.
 */
export class ExclusiveAcquire extends OpMachine {
  private declare readonly l: LockWord;
  private declare readonly mode: number;
  private declare readonly sleeper: string | null;
  private declare readonly site: string | undefined;
  /** When the wait began (-1: it has not blocked). */
  private declare since: number;
  constructor(l: LockWord, mode: number, sleeper: string | null, site: string | undefined) {
    super();
    this.s = 0;
    this.l = l;
    this.mode = mode;
    this.sleeper = sleeper;
    this.site = site;
    this.since = -1;
  }
  next(): IteratorResult<number, void> {
    const state = this.s;
    if (state === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (state === DONE_STATE) return FINISHED;
    const l = this.l;
    const mode = this.mode;
    const site = this.site;
    const t = current;
    this.s = DONE_STATE; // a step that throws leaves the op finished, as it leaves a generator
    if (state === 1 && this.sleeper !== null) {
      lockdepBeforeMightSleep(t, l.id, mode, site);
      mightSleep(t, this.sleeper);
    }
    if (shared.compareExchange(l.i32, l.word + STATE, 0, LOCKED) !== 0) {
      this.since = blockStep(t, l, mode, LOCKED, this.since, site);
      this.s = 2; // from here on, each call is one more try
      return blockedStep(l.id);
    }
    exclusiveTaken(t, l, mode, this.since, site);
    return FINISHED;
  }
}

/**
 * Every unlock as an op: spin_unlock, mutex_unlock, write_unlock, read_unlock and the
 * rwsem's up_read / up_write. A read mode releases one reader; any other, the holder.
 */
export class Unlock extends OpMachine {
  private declare readonly l: LockWord;
  private declare readonly mode: number;
  constructor(l: LockWord, mode: number) {
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
    if (this.mode === MODE_READ || this.mode === MODE_SEM_READ) releaseShared(current, this.l, this.mode);
    else releaseExclusive(current, this.l, this.mode);
    return FINISHED;
  }
}

/** Release one reader's hold (read_unlock, up_read); the last reader out wakes the waiters. */
function releaseShared(t: Task, l: LockWord, mode: number): void {
  t.trace(T_UNLOCK, l.id, mode);
  if (!lockReleased(t, l.id, mode)) return;
  const later = t.hooks.freeAtStepEnd;
  if (later === undefined) freeShared(t, l);
  else later(() => freeShared(t, l));
}

function freeShared(t: Task, l: LockWord): void {
  shared.and(l.i32, l.word + READERS, ~(1 << t.id));
  const now = shared.sub(l.i32, l.word + STATE, 1) - 1;
  if ((now & READER_COUNT) === 0) t.hooks.wake(l.id, l.word);
}

/**
 * Release an exclusive hold (spin_unlock, mutex_unlock, write_unlock) and wake waiters.
 * A threads run that records for its replay frees the lock's words once the releasing
 * step has ended (ExecHooks.freeAtStepEnd): sim runs a step whole, so a waiter taking
 * the lock between the unlock and the releaser's next op is an interleaving no sim
 * schedule gives back (docs/replay.md).
 */
export function releaseExclusive(t: Task, l: LockWord, mode: number): void {
  t.trace(T_UNLOCK, l.id, mode);
  if (!lockReleased(t, l.id, mode)) return;
  const later = t.hooks.freeAtStepEnd;
  if (later === undefined) freeExclusive(t, l);
  else later(() => freeExclusive(t, l));
}

function freeExclusive(t: Task, l: LockWord): void {
  shared.store(l.i32, l.word + OWNER, 0);
  shared.store(l.i32, l.word + STATE, 0);
  t.hooks.wake(l.id, l.word);
}
