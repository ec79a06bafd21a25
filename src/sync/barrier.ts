/**
 * Ordered accesses as ops: READ_ONCE / WRITE_ONCE / cmpxchg, and
 * smp_load_acquire / smp_store_release. JavaScript Atomics are sequentially
 * consistent, so on the hardware these are all SC; each is still an op boundary,
 * which is where sim interleaves (weaker orders are future work in sim only).
 */
import { POINT, type Op } from '../exec/op.js';
import { current } from '../exec/task.js';
import { T_LOAD_ACQUIRE, T_STORE_RELEASE } from './trace-ops.js';

export function* readOnce(i32: Int32Array, idx: number): Op<number> {
  yield POINT;
  return Atomics.load(i32, idx);
}

export function* writeOnce(i32: Int32Array, idx: number, v: number): Op {
  yield POINT;
  Atomics.store(i32, idx, v);
}

/** Returns the old value, like the kernel's cmpxchg(). */
export function* cmpxchg(i32: Int32Array, idx: number, old: number, v: number): Op<number> {
  yield POINT;
  return Atomics.compareExchange(i32, idx, old, v);
}

export function* smpLoadAcquire(i32: Int32Array, idx: number): Op<number> {
  yield POINT;
  const v = Atomics.load(i32, idx);
  current.trace(T_LOAD_ACQUIRE, idx, v);
  return v;
}

export function* smpStoreRelease(i32: Int32Array, idx: number, v: number): Op {
  yield POINT;
  Atomics.store(i32, idx, v);
  current.trace(T_STORE_RELEASE, idx, v);
}
