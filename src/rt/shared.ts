/**
 * The one way the model and the lock primitives reach shared words: `shared.load(i32,
 * i)`, `shared.compareExchange(...)`, and the marked kinds the kernel names
 * (READ_ONCE, smp_load_acquire, smp_store_release, the barriers), which sync/barrier.ts
 * turns into ops. What an access does is what the memory in force for the running
 * execution does with it, and the call says which kind of access it is, as loom's and
 * Shuttle's own atomic types do; no global object is patched.
 *
 * The executor installs the memory when an execution starts (as it sets `current`):
 * plain Atomics here (the threads executor, and sim under --memory sc), the weak-memory
 * view (sim --memory weak, exec/sim-weak.ts), footprint recording (dfs, exec/footprint.ts),
 * or one over another. Words below the model (control words, trace rings) are the
 * harness's own: it reaches them with Atomics directly.
 */

export type Fence = 'mb' | 'wmb' | 'rmb';

/** How a weak-memory report names a word: a name, or what builds it (asked only for the report); default `word N`. */
export type WordName = string | (() => string) | undefined;

export interface SharedMemory {
  /**
   * The memory traces the marked accesses itself (the weak model: a relaxed store, a load
   * that returned an older store); absent or false: READ_ONCE and WRITE_ONCE trace
   * themselves (sync/barrier.ts).
   */
  readonly tracesMarked?: boolean;
  // Unmarked accesses: strong (under weak memory, a store is a release and a load an
  // acquire of their own word), what the kernel's locks and atomics and code under a
  // lock are. Same arguments and results as Atomics'.
  load(a: Int32Array, i: number): number;
  store(a: Int32Array, i: number, v: number): number;
  compareExchange(a: Int32Array, i: number, expected: number, replacement: number): number;
  exchange(a: Int32Array, i: number, v: number): number;
  add(a: Int32Array, i: number, v: number): number;
  sub(a: Int32Array, i: number, v: number): number;
  and(a: Int32Array, i: number, v: number): number;
  or(a: Int32Array, i: number, v: number): number;
  xor(a: Int32Array, i: number, v: number): number;
  // Marked accesses (LKMM), through sync/barrier.ts.
  /** READ_ONCE(), or a plain C load whose order matters: `access` names which in a report. */
  loadRelaxed(a: Int32Array, i: number, access: string, what: WordName): number;
  /** smp_load_acquire(). */
  loadAcquire(a: Int32Array, i: number, what: WordName): number;
  /** WRITE_ONCE(), or a plain C store whose order matters. */
  storeRelaxed(a: Int32Array, i: number, v: number): void;
  /** smp_store_release(), traced at `step`. */
  storeRelease(a: Int32Array, i: number, v: number, step: number): void;
  /** cmpxchg(): returns the old value; a full barrier. */
  cmpxchg(a: Int32Array, i: number, old: number, v: number): number;
  /** smp_mb() / smp_wmb() / smp_rmb(). */
  fence(f: Fence): void;
  /** The running task took a modeled lock (after the lock word's own access). */
  lockAcquired(): void;
  /** Words from..to-1 were written with plain stores (a page zeroed on allocation). */
  wrotePlain(a: Int32Array, from: number, to: number): void;
  /**
   * atomic_add()/atomic_inc() whose old value nobody reads (a counter bumped, not tested):
   * two of them on one word commute, which dfs's footprints may use. Absent: `add`.
   */
  addUnread?(a: Int32Array, i: number, v: number): void;
  /**
   * The caller promises that what this step read from word `i` is used only as "zero or
   * not" (a count summed and tested against zero): a write that leaves the word as zero or
   * as nonzero as it was commutes with it, which dfs's footprints may use. Absent: nothing.
   */
  zeroTested?(a: Int32Array, i: number): void;
}

/**
 * The checker's own words in the arena (an oracle's history, read only to explain a
 * report): plain Atomics whatever memory is installed, never noted by dfs's footprints nor
 * weakened, since a conflict or a stale value there would be the checker's, not the kernel's.
 */
export function oracleStore(a: Int32Array, i: number, v: number): void {
  Atomics.store(a, i, v);
}

export function oracleLoad(a: Int32Array, i: number): number {
  return Atomics.load(a, i);
}

/** This step's reads of word `i` are only tested against zero (see SharedMemory.zeroTested). */
export function onlyTestedForZero(a: Int32Array, i: number): void {
  shared.zeroTested?.(a, i);
}

/** An atomic add whose result the caller does not read (see SharedMemory.addUnread). */
export function addUnread(a: Int32Array, i: number, v: number): void {
  if (shared.addUnread) shared.addUnread(a, i, v);
  else shared.add(a, i, v);
}

/** Sequentially consistent memory: every access is the Atomics call of its name, and the marked kinds are too. */
export class AtomicsMemory implements SharedMemory {
  load(a: Int32Array, i: number): number {
    return Atomics.load(a, i);
  }
  store(a: Int32Array, i: number, v: number): number {
    return Atomics.store(a, i, v);
  }
  compareExchange(a: Int32Array, i: number, expected: number, replacement: number): number {
    return Atomics.compareExchange(a, i, expected, replacement);
  }
  exchange(a: Int32Array, i: number, v: number): number {
    return Atomics.exchange(a, i, v);
  }
  add(a: Int32Array, i: number, v: number): number {
    return Atomics.add(a, i, v);
  }
  sub(a: Int32Array, i: number, v: number): number {
    return Atomics.sub(a, i, v);
  }
  and(a: Int32Array, i: number, v: number): number {
    return Atomics.and(a, i, v);
  }
  or(a: Int32Array, i: number, v: number): number {
    return Atomics.or(a, i, v);
  }
  xor(a: Int32Array, i: number, v: number): number {
    return Atomics.xor(a, i, v);
  }
  loadRelaxed(a: Int32Array, i: number, _access: string, _what: WordName): number {
    return Atomics.load(a, i);
  }
  loadAcquire(a: Int32Array, i: number, _what: WordName): number {
    return Atomics.load(a, i);
  }
  storeRelaxed(a: Int32Array, i: number, v: number): void {
    Atomics.store(a, i, v);
  }
  storeRelease(a: Int32Array, i: number, v: number, _step: number): void {
    Atomics.store(a, i, v);
  }
  cmpxchg(a: Int32Array, i: number, old: number, v: number): number {
    return Atomics.compareExchange(a, i, old, v);
  }
  fence(_f: Fence): void {}
  lockAcquired(): void {}
  wrotePlain(_a: Int32Array, _from: number, _to: number): void {}
}

/** The plain memory: the threads executor's, and sim's when nothing watches or weakens it. */
export const ATOMICS: SharedMemory = new AtomicsMemory();

/** The memory of the execution running now (plain Atomics outside one). */
export let shared: SharedMemory = ATOMICS;

/**
 * True in a worker bundle built for plain memory (load/bundle.ts: esbuild defines it), whose
 * model makes its accesses directly (rt/one-thread.ts): any other memory would go unused
 * there, so it is refused.
 */
declare const MMU_STRESS_PLAIN_BUNDLE: boolean | undefined;
const PLAIN_BUNDLE = typeof MMU_STRESS_PLAIN_BUNDLE === 'boolean' && MMU_STRESS_PLAIN_BUNDLE;

/** An executor installs the memory of the execution it starts; null puts the plain one back. */
export function setShared(m: SharedMemory | null): void {
  if (PLAIN_BUNDLE && m !== null && m !== ATOMICS) throw new Error('harness: a worker bundle built for plain Atomics was given another memory (load/bundle.ts, BundleMemory)');
  shared = m ?? ATOMICS;
}

/** What a report calls word `i`. */
export function wordName(i: number, what: WordName): string {
  if (what === undefined) return `word ${i}`;
  return typeof what === 'string' ? what : what();
}
