/**
 * What each op touches: the memory dfs gives the model while it watches (one thread),
 * plain Atomics that note every access to the execution's arena as a read or a write
 * of its word. Two ops whose footprints share no word that one of them writes are
 * independent: run in either order, they reach the same state. Model code touches
 * shared words through rt/shared.ts; the few plain accesses (a pool's free list and a
 * cache's object array) happen under a guard word taken with compareExchange, which
 * makes them conflict as they should; the one bulk plain write (a page zeroed on
 * allocation) is noted through `wrotePlain`.
 *
 * A scenario's own raw Atomics calls do not pass through here: they are invisible to
 * the footprints (docs/exploration.md).
 */
import type { Fence, SharedMemory, WordName } from '../rt/shared.js';

export interface Footprint {
  /** Words read, sorted, no repeats. */
  reads: Int32Array;
  /** Words written (read-modify-writes too), sorted, no repeats. */
  writes: Int32Array;
  /** Runs of words written in bulk (a page zeroed): [from, to) pairs. */
  spans: number[];
  /**
   * Words only added to, the old value unread (SharedMemory.addUnread), and neither read nor
   * written otherwise by this op: two such adds commute; an add against a read or a write does not.
   */
  adds: Int32Array;
  /** Per word of `writes`: bit 0 set if it was zero before the op, bit 1 if zero after it. */
  zero: Uint8Array;
  /** Words whose reads only told zero from nonzero (SharedMemory.zeroTested), not in `reads`. */
  tests: Int32Array;
}

export class FootprintMemory implements SharedMemory {
  /** The arena watched; null: nothing is noted. */
  private target: Int32Array | null = null;
  /** Words below this are the harness's own (control words, trace rings): never part of an op. */
  private base = 0;
  private reads: number[] = [];
  private writes: number[] = [];
  private spans: number[] = [];
  private adds: number[] = [];
  private tests: number[] = [];
  /**
   * Per arena word, the op (`epoch`) that last noted it as read / written, so each word is
   * listed once per op however often it is touched (a merged topup touches the same words
   * dozens of times), and the value it had before that op's first write to it.
   */
  private readStamp = new Int32Array(0);
  private writeStamp = new Int32Array(0);
  private before = new Int32Array(0);
  private epoch = 1;

  /** Start noting the accesses to `i32` at or above `base`. */
  watch(i32: Int32Array, base: number): void {
    this.target = i32;
    this.base = base;
    this.reads = [];
    this.writes = [];
    this.spans = [];
    this.adds = [];
    this.tests = [];
    if (this.readStamp.length !== i32.length) {
      // one arena size per run: these are allocated once (three words of dfs's memory per arena word)
      this.readStamp = new Int32Array(i32.length);
      this.writeStamp = new Int32Array(i32.length);
      this.before = new Int32Array(i32.length);
      this.epoch = 0;
    }
    this.epoch++;
  }

  /** Accesses noted since the last take(): a step that added none touched no shared word. */
  size(): number {
    return this.reads.length + this.writes.length + this.spans.length + this.adds.length + this.tests.length;
  }

  unwatch(): void {
    this.target = null;
  }

  /** The footprint noted since the last call, and a fresh start for the next op. */
  take(): Footprint {
    // each word is listed once per op already (the stamps): sorting is all that is left
    let reads: Int32Array = Int32Array.from(this.reads).sort();
    const writes: Int32Array = Int32Array.from(this.writes).sort();
    let tests: Int32Array = NONE;
    if (this.tests.length) {
      tests = sortedUnique(this.tests);
      reads = reads.filter((i) => !has(tests, i));
    }
    // a word this op also read or wrote is a conflict like any write: it stays in writes
    let adds: Int32Array = NONE;
    if (this.adds.length) {
      const only = this.adds.filter((i) => !has(reads, i) && !has(writes, i));
      const mixed = this.adds.filter((i) => has(reads, i) || has(writes, i));
      adds = sortedUnique(only);
      if (mixed.length) return this.taken(reads, sortedUnique([...writes, ...mixed]), adds, tests);
    }
    return this.taken(reads, writes, adds, tests);
  }

  private taken(reads: Int32Array, writes: Int32Array, adds: Int32Array, tests: Int32Array): Footprint {
    const zero = new Uint8Array(writes.length);
    const target = this.target;
    if (target) {
      // each word's value before the op (what its first write found) and after it
      for (let k = 0; k < writes.length; k++) {
        const w = writes[k];
        // an add folded in here kept no before: counted as a change from zero to nonzero
        zero[k] = this.writeStamp[w] !== this.epoch ? 1 : (this.before[w] === 0 ? 1 : 0) | (Atomics.load(target, w) === 0 ? 2 : 0);
      }
    }
    const fp = { reads, writes, spans: this.spans, adds, zero, tests };
    this.reads = [];
    this.writes = [];
    this.spans = [];
    this.adds = [];
    this.tests = [];
    this.epoch++;
    return fp;
  }

  private read(a: Int32Array, i: number): void {
    if (a === this.target && i >= this.base && this.readStamp[i] !== this.epoch) {
      this.readStamp[i] = this.epoch;
      this.reads.push(i);
    }
  }

  private wrote(a: Int32Array, i: number): void {
    if (a === this.target && i >= this.base) {
      if (this.writeStamp[i] === this.epoch) return;
      this.writeStamp[i] = this.epoch;
      this.writes.push(i);
      this.before[i] = Atomics.load(a, i);
    }
  }

  zeroTested(a: Int32Array, i: number): void {
    if (a === this.target && i >= this.base) this.tests.push(i);
  }

  load(a: Int32Array, i: number): number {
    this.read(a, i);
    return Atomics.load(a, i);
  }
  store(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.store(a, i, v);
  }
  compareExchange(a: Int32Array, i: number, expected: number, replacement: number): number {
    this.wrote(a, i);
    return Atomics.compareExchange(a, i, expected, replacement);
  }
  exchange(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.exchange(a, i, v);
  }
  add(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.add(a, i, v);
  }
  addUnread(a: Int32Array, i: number, v: number): void {
    if (a === this.target && i >= this.base) this.adds.push(i);
    Atomics.add(a, i, v);
  }
  sub(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.sub(a, i, v);
  }
  and(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.and(a, i, v);
  }
  or(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.or(a, i, v);
  }
  xor(a: Int32Array, i: number, v: number): number {
    this.wrote(a, i);
    return Atomics.xor(a, i, v);
  }
  loadRelaxed(a: Int32Array, i: number, _access: string, _what: WordName): number {
    return this.load(a, i);
  }
  loadAcquire(a: Int32Array, i: number, _what: WordName): number {
    return this.load(a, i);
  }
  storeRelaxed(a: Int32Array, i: number, v: number): void {
    this.store(a, i, v);
  }
  storeRelease(a: Int32Array, i: number, v: number, _step: number): void {
    this.store(a, i, v);
  }
  cmpxchg(a: Int32Array, i: number, old: number, v: number): number {
    return this.compareExchange(a, i, old, v);
  }
  fence(_f: Fence): void {}
  lockAcquired(): void {}
  /** Plain writes to words from..to-1 (a bulk zeroing): noted as a span. */
  wrotePlain(a: Int32Array, from: number, to: number): void {
    if (a !== this.target || to <= this.base) return;
    this.spans.push(Math.max(from, this.base), to);
  }
}

const NONE: Int32Array = new Int32Array(0);

/** The sorted `a` holds `i`. */
function has(a: Int32Array, i: number): boolean {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length && a[lo] === i;
}

function sortedUnique(a: number[]): Int32Array {
  const s = Int32Array.from(a).sort();
  let n = 0;
  for (let k = 0; k < s.length; k++) if (k === 0 || s[k] !== s[k - 1]) s[n++] = s[k];
  return s.slice(0, n);
}

function meet(a: Int32Array, b: Int32Array): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

/** Some word of the sorted `a` lies in one of the [from, to) `spans`. */
function inSpans(a: Int32Array, spans: number[]): boolean {
  for (let k = 0; k < spans.length; k += 2) {
    // the first word >= from, by binary search
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] < spans[k]) lo = mid + 1;
      else hi = mid;
    }
    if (lo < a.length && a[lo] < spans[k + 1]) return true;
  }
  return false;
}

function spansMeet(x: number[], y: number[]): boolean {
  for (let i = 0; i < x.length; i += 2) for (let j = 0; j < y.length; j += 2) if (x[i] < y[j + 1] && y[j] < x[i + 1]) return true;
  return false;
}

/** The zero bits of word `w` in x's writes, -1 if x did not write it. */
function bitsOf(x: Footprint, w: number): number {
  let lo = 0;
  let hi = x.writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x.writes[mid] < w) lo = mid + 1;
    else hi = mid;
  }
  return lo < x.writes.length && x.writes[lo] === w ? x.zero[lo] : -1;
}

/** Some word `x` only tested for zero is one `y` wrote from zero to nonzero or back, added to, or zeroed in bulk. */
function testBroken(x: Footprint, y: Footprint): boolean {
  for (let k = 0; k < x.tests.length; k++) {
    const b = bitsOf(y, x.tests[k]);
    if (b >= 0 && (b & 1) !== (b >> 1)) return true;
  }
  return meet(x.tests, y.adds) || inSpans(x.tests, y.spans);
}

/**
 * Neither op writes a word the other reads or writes: they commute. Adds whose result
 * is unread commute with each other (both orders leave the sum), not with a read or write.
 */
export function independent(x: Footprint, y: Footprint): boolean {
  if (meet(x.writes, y.writes) || meet(x.writes, y.reads) || meet(y.writes, x.reads)) return false;
  if (x.adds.length && (meet(x.adds, y.reads) || meet(x.adds, y.writes))) return false;
  if (y.adds.length && (meet(y.adds, x.reads) || meet(y.adds, x.writes))) return false;
  if (x.adds.length && (inSpans(x.adds, y.spans))) return false;
  if (y.adds.length && (inSpans(y.adds, x.spans))) return false;
  if (x.tests.length && testBroken(x, y)) return false;
  if (y.tests.length && testBroken(y, x)) return false;
  if (x.spans.length === 0 && y.spans.length === 0) return true;
  return !inSpans(y.reads, x.spans) && !inSpans(y.writes, x.spans) && !inSpans(x.reads, y.spans) && !inSpans(x.writes, y.spans) && !spansMeet(x.spans, y.spans);
}
