/**
 * A guard word: a few instructions of mutual exclusion between threads for the
 * harness's own bookkeeping (the pool's free list, one memory-cache op). It is not a
 * modeled lock: no op boundary, no lockdep, no trace.
 */
import { shared } from '../rt/shared.js';

export function guardLock(i32: Int32Array, word: number): void {
  while (shared.compareExchange(i32, word, 0, 1) !== 0) {
    // held by another thread for a few instructions: spin
  }
}

export function guardUnlock(i32: Int32Array, word: number): void {
  shared.store(i32, word, 0);
}
