/**
 * The words every lock keeps in the arena: its state, its owner (task id + 1, for
 * exclusive holders), how many threads wait on it (so unlock notifies only when
 * someone waits) and a bitmask of the tasks holding it for read.
 */
import type { Arena } from '../shm/arena.js';
import { blocked, POINT, type Op } from '../exec/op.js';
import { current, type Task } from '../exec/task.js';
import { T_BLOCK } from './trace-ops.js';

export const STATE = 0;
export const OWNER = 1;
export const WAITERS = 2;
export const READERS = 3;
export const LOCK_WORDS = 4;

export type LockKind = 'spinlock_t' | 'rwlock_t' | 'struct mutex';

export class LockWord {
  readonly id: number;
  readonly word: number;
  readonly i32: Int32Array;

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

  owner(): number {
    return Atomics.load(this.i32, this.word + OWNER) - 1;
  }

  readers(): number {
    return Atomics.load(this.i32, this.word + READERS);
  }
}

/**
 * Yield "blocked on `lock`, having seen `observed` in its state word". The first time a
 * task blocks in one acquisition it is traced and the wait clock starts; returns that start.
 */
export function* blockOn(t: Task, lock: LockWord, mode: number, observed: number, since: number): Op<number> {
  if (since < 0) {
    t.trace(T_BLOCK, lock.id, mode);
    since = t.hooks.clock();
  }
  blocked.word = lock.word + STATE;
  blocked.value = observed;
  yield lock.id;
  return since;
}

/** Account the time a task waited for `lock` (if it did). */
export function waited(t: Task, lock: LockWord, since: number): void {
  if (since < 0) return;
  const w = t.hooks.clock() - since;
  t.count(`wait:${lock.cls}`, w);
  t.count(`waits:${lock.cls}`);
  t.max(`maxwait:${lock.cls}`, w);
}

/** Every acquire and release starts with an op boundary. */
export function* opBoundary(): Op<Task> {
  yield POINT;
  return current;
}
