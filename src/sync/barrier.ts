/**
 * Ordered accesses as ops: READ_ONCE / WRITE_ONCE / cmpxchg, smp_load_acquire /
 * smp_store_release, the barriers, and the plain C accesses whose ordering matters
 * (a pointer stored before a flag is published). JavaScript Atomics are sequentially
 * consistent, so under `--memory sc` (and always in threads) these are all SC; each is
 * still an op boundary, which is where sim interleaves. Under sim `--memory weak` they
 * go through the weak model (src/memory/sim-weak.ts): a load may return an older
 * store, as LKMM allows for its kind.
 */
import { AT_POINT, DONE_STATE, FINISHED, OpMachine, POINT, type Op } from '../rt/op.js';
import { current, storeLog } from '../rt/task.js';
import { activeWeak } from '../memory/sim-weak.js';
import { T_BARRIER, T_LOAD_ACQUIRE, T_MARKED_STORE, T_STALE_LOAD, T_STORE_RELEASE } from './trace-ops.js';

/** Trace a load that returned an older store than the newest, and give the stale read its step. */
function weakLoad(i32: Int32Array, idx: number, kind: 'relaxed' | 'acquire', what: () => string, access: string): number {
  const w = activeWeak(i32) as NonNullable<ReturnType<typeof activeWeak>>;
  const before = w.stale.length + w.staleDropped;
  const v = w.load(idx, kind, what, access, -1);
  if (w.stale.length + w.staleDropped > before) {
    const s = w.stale[w.stale.length - 1];
    s.step = current.trace(T_STALE_LOAD, idx, v);
  }
  return v;
}

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
    const i32 = this.i32;
    const idx = this.idx;
    const v = activeWeak(i32) ? weakLoad(i32, idx, 'relaxed', () => this.what ?? `word ${idx}`, 'READ_ONCE') : Atomics.load(i32, idx);
    current.noteRead(idx, v); // a re-read of an unchanged word is a spin-wait (CHESS)
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
    const i32 = this.i32;
    const idx = this.idx;
    const v = this.v;
    const w = activeWeak(i32);
    if (w) w.store(idx, v, 'relaxed', current.trace(T_MARKED_STORE, idx, v));
    else Atomics.store(i32, idx, v);
    storeLog?.note(idx, current);
    return FINISHED;
  }
}

/** Returns the old value, like the kernel's cmpxchg(); a full barrier. */
export function* cmpxchg(i32: Int32Array, idx: number, old: number, v: number): Op<number> {
  yield POINT;
  const w = activeWeak(i32);
  const was = w ? w.cmpxchg(idx, old, v, current.lastStep) : Atomics.compareExchange(i32, idx, old, v);
  if (was === old) storeLog?.note(idx, current);
  return was;
}

export function* smpLoadAcquire(i32: Int32Array, idx: number, what = `word ${idx}`): Op<number> {
  yield POINT;
  const v = activeWeak(i32) ? weakLoad(i32, idx, 'acquire', () => what, 'smp_load_acquire') : Atomics.load(i32, idx);
  current.trace(T_LOAD_ACQUIRE, idx, v);
  current.noteRead(idx, v);
  return v;
}

export function* smpStoreRelease(i32: Int32Array, idx: number, v: number): Op {
  yield POINT;
  const w = activeWeak(i32);
  if (!w) Atomics.store(i32, idx, v);
  const step = current.trace(T_STORE_RELEASE, idx, v);
  w?.store(idx, v, 'release', step);
  storeLog?.note(idx, current);
}

const BARRIERS = ['mb', 'wmb', 'rmb'] as const;

/** smp_mb() / smp_wmb() / smp_rmb(): no-ops on SC memory, fences under --memory weak. */
export function* smpBarrier(i32: Int32Array, f: 'mb' | 'wmb' | 'rmb'): Op {
  yield POINT;
  const w = activeWeak(i32);
  if (!w) return;
  current.trace(T_BARRIER, BARRIERS.indexOf(f), 0);
  w.fence(f);
}

/**
 * A plain C load the ordering of which matters (`slot->arch.rmap[i]`): inside an op, no
 * boundary of its own. Relaxed under --memory weak, like READ_ONCE (LKMM gives plain
 * accesses no more); `what` names it in a report (asked only then).
 */
export function plainLoad(i32: Int32Array, idx: number, what: () => string): number {
  if (activeWeak(i32)) return weakLoad(i32, idx, 'relaxed', what, 'load');
  return Atomics.load(i32, idx);
}

/** A plain C store the ordering of which matters; relaxed under --memory weak. */
export function plainStore(i32: Int32Array, idx: number, v: number): void {
  const w = activeWeak(i32);
  if (w) w.store(idx, v, 'relaxed', current.trace(T_MARKED_STORE, idx, v));
  else Atomics.store(i32, idx, v);
  storeLog?.note(idx, current);
}
