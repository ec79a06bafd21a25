/**
 * Ordered accesses as ops: READ_ONCE / WRITE_ONCE / cmpxchg, smp_load_acquire /
 * smp_store_release, the barriers, and the plain C accesses whose ordering matters
 * (a pointer stored before a flag is published). Each goes to the memory in force
 * (rt/shared.ts) as the kind of access it is: JavaScript Atomics are sequentially
 * consistent, so under `--memory sc` (and always in threads) these are all SC; each is
 * still an op boundary, which is where sim interleaves. Under sim `--memory weak` the
 * memory is the weak model's view (exec/sim-weak.ts): a load may return an older
 * store, as LKMM allows for its kind.
 */
import { AT_POINT, DONE_STATE, FINISHED, OpMachine, POINT, type Op } from '../rt/op.js';
import { type Fence, shared } from '../rt/shared.js';
import { current, storeLog } from '../rt/task.js';
import { T_LOAD_ACQUIRE, T_READ_ONCE, T_STORE_RELEASE, T_WRITE_ONCE } from './trace-ops.js';

/** READ_ONCE(): `what` names the word in a weak-memory report (built only then). */
export function readOnce(i32: Int32Array, idx: number, what?: string): Op<number> {
  return new ReadOnce(i32, idx, what);
}

class ReadOnce extends OpMachine<number> {
  private declare readonly i32: Int32Array;
  private declare readonly idx: number;
  private declare readonly what: string | undefined;
  constructor(i32: Int32Array, idx: number, what: string | undefined) {
    super();
    this.s = 0;
    this.i32 = i32;
    this.idx = idx;
    this.what = what;
  }
  next(): IteratorResult<number, number> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return FINISHED as never;
    this.s = DONE_STATE;
    const idx = this.idx;
    const v = shared.loadRelaxed(this.i32, idx, 'READ_ONCE', this.what);
    const t = current;
    // in the trace, so that a report shows the access a finding turns on (the weak model traces its own, newest or older)
    if (shared.tracesMarked !== true) t.trace(T_READ_ONCE, idx, v);
    t.noteRead(idx, v); // a re-read of an unchanged word is a spin-wait (CHESS)
    return { value: v, done: true };
  }
}

export function writeOnce(i32: Int32Array, idx: number, v: number): Op {
  return new WriteOnce(i32, idx, v);
}

class WriteOnce extends OpMachine {
  private declare readonly i32: Int32Array;
  private declare readonly idx: number;
  private declare readonly v: number;
  constructor(i32: Int32Array, idx: number, v: number) {
    super();
    this.s = 0;
    this.i32 = i32;
    this.idx = idx;
    this.v = v;
  }
  next(): IteratorResult<number, void> {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    if (this.s === DONE_STATE) return FINISHED;
    this.s = DONE_STATE;
    const idx = this.idx;
    if (shared.tracesMarked !== true) current.trace(T_WRITE_ONCE, idx, this.v);
    shared.storeRelaxed(this.i32, idx, this.v);
    storeLog?.note(idx, current);
    return FINISHED;
  }
}

/** Returns the old value, like the kernel's cmpxchg(); a full barrier. */
export function* cmpxchg(i32: Int32Array, idx: number, old: number, v: number): Op<number> {
  yield POINT;
  const was = shared.cmpxchg(i32, idx, old, v);
  if (was === old) storeLog?.note(idx, current);
  return was;
}

/** `what` names the word in a weak-memory report (default `word N`). */
export function* smpLoadAcquire(i32: Int32Array, idx: number, what?: string): Op<number> {
  yield POINT;
  const v = shared.loadAcquire(i32, idx, what);
  current.trace(T_LOAD_ACQUIRE, idx, v);
  current.noteRead(idx, v);
  return v;
}

export function* smpStoreRelease(i32: Int32Array, idx: number, v: number): Op {
  yield POINT;
  // traced first: the step of a release comes before any load that sees it
  shared.storeRelease(i32, idx, v, current.trace(T_STORE_RELEASE, idx, v));
  storeLog?.note(idx, current);
}

/** smp_mb() / smp_wmb() / smp_rmb(): no-ops on SC memory, fences under --memory weak. */
export function* smpBarrier(_i32: Int32Array, f: Fence): Op {
  yield POINT;
  shared.fence(f);
}

/**
 * A plain C load the ordering of which matters (`slot->arch.rmap[i]`): inside an op, no
 * boundary of its own. Relaxed under --memory weak, like READ_ONCE (LKMM gives plain
 * accesses no more); `what` names it in a report (asked only then).
 */
export function plainLoad(i32: Int32Array, idx: number, what: () => string): number {
  return shared.loadRelaxed(i32, idx, 'load', what);
}

/** A plain C store the ordering of which matters; relaxed under --memory weak. */
export function plainStore(i32: Int32Array, idx: number, v: number): void {
  shared.storeRelaxed(i32, idx, v);
  storeLog?.note(idx, current);
}
