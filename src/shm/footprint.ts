/**
 * What each op touches: while a footprint is being watched (the dfs strategy, one
 * thread), every Atomics access to the execution's arena is noted as a read or a
 * write of its word. Two ops whose footprints share no word that one of them writes
 * are independent: run in either order, they reach the same state. Model code
 * touches shared words with Atomics; the few plain accesses (a pool's free list and
 * a cache's object array) happen under a guard word taken with compareExchange, which
 * makes them conflict as they should; the one bulk plain write (a page zeroed on
 * allocation) is noted with `noteWrites`.
 *
 * Watching swaps the Atomics functions for noting wrappers and puts them back after:
 * nothing is slower when no strategy watches.
 */
export interface Footprint {
  /** Words read, sorted, no repeats. */
  reads: Int32Array;
  /** Words written (read-modify-writes too), sorted, no repeats. */
  writes: Int32Array;
  /** Runs of words written in bulk (a page zeroed): [from, to) pairs. */
  spans: number[];
}

type AtomicsTable = Record<string, (...a: never[]) => unknown>;
const table = Atomics as unknown as AtomicsTable;
const READS = ['load'];
const WRITES = ['store', 'add', 'sub', 'and', 'or', 'xor', 'exchange', 'compareExchange'];
const original: AtomicsTable = {};
for (const f of [...READS, ...WRITES]) original[f] = table[f];

let target: Int32Array | null = null;
/** Words below this are the harness's own (control words, trace rings): never part of an op. */
let modelBase = 0;
let reads: number[] = [];
let writes: number[] = [];
let spans: number[] = [];

function wrap(f: string, into: () => number[]) {
  const orig = original[f] as (ta: Int32Array, i: number, ...rest: number[]) => number;
  return (ta: Int32Array, i: number, ...rest: number[]) => {
    if (ta === target && i >= modelBase) into().push(i);
    return orig(ta, i, ...rest);
  };
}
const wrapped: AtomicsTable = {};
for (const f of READS) wrapped[f] = wrap(f, () => reads) as never;
for (const f of WRITES) wrapped[f] = wrap(f, () => writes) as never;

/** Start noting the accesses to `i32` at or above `base`. */
export function watchFootprints(i32: Int32Array, base: number): void {
  target = i32;
  modelBase = base;
  reads = [];
  writes = [];
  spans = [];
  Object.assign(table, wrapped);
}

export function unwatchFootprints(): void {
  Object.assign(table, original);
  target = null;
}

/** Plain writes to words from..to-1 (a bulk zeroing) that the Atomics wrappers cannot see. */
export function noteWrites(i32: Int32Array, from: number, to: number): void {
  if (i32 !== target || to <= modelBase) return;
  spans.push(Math.max(from, modelBase), to);
}

/** The footprint noted since the last call, and a fresh start for the next op. */
export function takeFootprint(): Footprint {
  const fp = { reads: sortedUnique(reads), writes: sortedUnique(writes), spans };
  reads = [];
  writes = [];
  spans = [];
  return fp;
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

/** Neither op writes a word the other reads or writes: they commute. */
export function independent(x: Footprint, y: Footprint): boolean {
  if (meet(x.writes, y.writes) || meet(x.writes, y.reads) || meet(y.writes, x.reads)) return false;
  if (x.spans.length === 0 && y.spans.length === 0) return true;
  return !inSpans(y.reads, x.spans) && !inSpans(y.writes, x.spans) && !inSpans(x.reads, y.spans) && !inSpans(x.writes, y.spans) && !spansMeet(x.spans, y.spans);
}
