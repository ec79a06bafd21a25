/**
 * `--memory weak` in sim: the memory the model goes through is the execution's arena
 * under the weak model of memory/weak.ts.
 *
 * The accesses the kernel code marks go through the model: READ_ONCE / WRITE_ONCE and
 * plain C accesses the model names as such (relaxed), smp_load_acquire /
 * smp_store_release, smp_mb / smp_wmb / smp_rmb, cmpxchg (a full barrier). A relaxed
 * or acquire load may return an older store, and a marked store may go before newer
 * ones in its word's coherence order (the word keeps the value of the last); which
 * store and which place are scheduling choices (Strategy.choose), so they are
 * recorded, replayed and explored like any other.
 *
 * Every other access the model makes through rt/shared.ts (locks, page tables under
 * mmu_lock, bookkeeping) is unmarked: it reads and writes the newest value (its store
 * goes last in coherence order), an
 * unmarked store is a release and an unmarked load an acquire of its own word, and an
 * unmarked read-modify-write (a lock's cmpxchg, atomic_inc) is both. That is at least
 * as strong as what the kernel does there (lock acquire and release are acquire and
 * release; unlock -> lock on the same lock orders everything before it), so an
 * unmarked access never invents a weak outcome, and it orders only through its own
 * word, so it does not hide one either (a global fence would). Plain array writes (a
 * pool's free list, a page zeroed) and a scenario's own raw Atomics calls are outside
 * the model; a marked load that finds its word changed behind the model's back takes
 * the new value as the only one.
 *
 * Each access does what the memory under this one does (plain Atomics, or dfs's
 * footprint notes) and then tells the model. Only sim runs this: Atomics are
 * sequentially consistent on real cores, and x86 keeps stores in order, so the threads
 * executor cannot show these outcomes.
 */
import { type Fence, type SharedMemory, type WordName, wordName } from '../rt/shared.js';
import { current } from '../rt/task.js';
import { T_BARRIER, T_MARKED_STORE, T_READ_ONCE, T_STALE_LOAD } from '../sync/trace-ops.js';
import { type LoadKind, type Message, type StoreKind, WeakMemory, type WeakStore } from '../memory/weak.js';

/** How many stores of a word stay readable. */
export const WEAK_DEPTH = 4;

/** Atomics.load itself: a word's value before the model saw it, noted in no footprint. */
const atomicsLoad = Atomics.load;
const BARRIERS = ['mb', 'wmb', 'rmb'];

/** A marked load that returned an older store than the newest: what a report explains. */
export interface StaleRead {
  task: number;
  /** The sim step of the load. */
  step: number;
  what: string;
  access: string;
  value: number;
  read: WeakStore;
  /** The newest store when the load ran. */
  newest: WeakStore;
}

/** SimWeak.state of a word: an unmarked store left its message in `msgs`. */
const MESSAGE = 1;
/** SimWeak.state of a word: the model keeps its history (a marked access touched it). */
const TRACKED = 2;

export class SimWeak implements SharedMemory {
  /** Its relaxed stores and stale loads are in the trace already (T_MARKED_STORE, T_STALE_LOAD). */
  readonly tracesMarked = true;
  readonly mem: WeakMemory;
  /** Unmarked words: what the last store to each carried. */
  private readonly msgs = new Map<number, Message>();
  /** Per arena word: 0 (nothing known of it yet), MESSAGE or TRACKED; one look per access instead of two map lookups. */
  private readonly state: Uint8Array;
  /** Stale reads, oldest first (at most STALE_KEPT). */
  readonly stale: StaleRead[] = [];
  /** Stale reads no longer in `stale`. */
  staleDropped = 0;
  /** Set while a marked access names its word: what the name reads is outside the model. */
  private marked = false;

  constructor(
    readonly i32: Int32Array,
    readonly modelBase: number,
    tasks: number,
    /** The task running now (current.id), -1 between steps: accesses then are outside the model. */
    private readonly task: () => number,
    /** Pick one of n stores (0: the newest): the strategy's choice. */
    readonly choose: (n: number) => number,
    /** What every access does to the words themselves: plain Atomics, or dfs's footprint notes over them. */
    private readonly under: SharedMemory,
  ) {
    this.mem = new WeakMemory(tasks, WEAK_DEPTH, (w) => atomicsLoad(i32, w));
    this.state = new Uint8Array(i32.length);
  }

  /** The task whose unmarked access of a[i] the model sees, or -1 (another array, a harness word, between steps, naming a word). */
  private unmarked(a: Int32Array, i: number): number {
    if (a !== this.i32 || i < this.modelBase || this.marked) return -1;
    return this.task();
  }

  load(a: Int32Array, i: number): number {
    const t = this.unmarked(a, i);
    const v = this.under.load(a, i);
    if (t >= 0) this.acquireUnmarked(t, i, v);
    return v;
  }

  store(a: Int32Array, i: number, v: number): number {
    const t = this.unmarked(a, i);
    const r = this.under.store(a, i, v);
    if (t >= 0) this.releaseUnmarked(t, i, this.under.load(a, i));
    return r;
  }

  compareExchange(a: Int32Array, i: number, expected: number, replacement: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.compareExchange(a, i, expected, replacement));
  }

  exchange(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.exchange(a, i, v));
  }

  add(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.add(a, i, v));
  }

  sub(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.sub(a, i, v));
  }

  and(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.and(a, i, v));
  }

  or(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.or(a, i, v));
  }

  xor(a: Int32Array, i: number, v: number): number {
    const t = this.rmwBegin(a, i);
    return this.rmwEnd(t, a, i, this.under.xor(a, i, v));
  }

  /** An unmarked read-modify-write reads the newest store first (an acquire)... */
  private rmwBegin(a: Int32Array, i: number): number {
    const t = this.unmarked(a, i);
    if (t >= 0) this.acquireUnmarked(t, i, this.under.load(a, i));
    return t;
  }

  /** ... and its write is a release. */
  private rmwEnd(t: number, a: Int32Array, i: number, r: number): number {
    if (t >= 0) this.releaseUnmarked(t, i, this.under.load(a, i));
    return r;
  }

  /** An unmarked load (or the read of an unmarked RMW) of word i: it takes in what the newest store carried. */
  private acquireUnmarked(t: number, i: number, value: number): void {
    const st = this.state[i];
    if (st === TRACKED) {
      this.sync(i, value);
      this.mem.load(t, i, this.mem.latest(i), 'acquire');
    } else if (st === MESSAGE) {
      const m = this.msgs.get(i) as Message;
      if (m.task !== t) this.mem.acquireMessage(t, m);
    }
  }

  /** An unmarked store (or the write of an unmarked RMW) to word i: a release. */
  private releaseUnmarked(t: number, i: number, value: number): void {
    if (this.state[i] === TRACKED) {
      this.mem.store(t, i, value, 'release', -1);
      return;
    }
    this.msgs.set(i, this.mem.releaseMessage(t));
    this.state[i] = MESSAGE;
  }

  /** The word changed outside the model (a plain write): the new value is the only one left. */
  private sync(i: number, actual: number): void {
    if (this.mem.latest(i).value !== actual) this.mem.overwrite(i, actual);
  }

  loadRelaxed(a: Int32Array, i: number, access: string, what: WordName): number {
    if (a !== this.i32) return this.under.loadRelaxed(a, i, access, what);
    return this.markedLoad(i, 'relaxed', what, access);
  }

  loadAcquire(a: Int32Array, i: number, what: WordName): number {
    if (a !== this.i32) return this.under.loadAcquire(a, i, what);
    return this.markedLoad(i, 'acquire', what, 'smp_load_acquire');
  }

  /**
   * A marked load: a relaxed or acquire load that may return an older store (traced as
   * such when it does). A READ_ONCE() that returns the newest store is traced too, as under
   * sc: a finding often turns on it (the reader saw the new flag, then an old datum), and a
   * trace without it shows only half of what the task read. (smp_load_acquire() traces
   * itself in sync/barrier.ts; a plain C load is inside another op, untraced under sc too.)
   */
  private markedLoad(i: number, kind: LoadKind, what: WordName, access: string): number {
    const t = this.task();
    const actual = this.under.load(this.i32, i);
    if (this.state[i] !== TRACKED) this.promote(i);
    this.sync(i, actual);
    const c = this.mem.candidates(t, i);
    const k = c.length > 1 ? Math.min(this.choose(c.length), c.length - 1) : 0;
    const s = c[k];
    this.mem.load(t, i, s, kind);
    if (k > 0) {
      // naming the word may read model words: outside the model, like the load itself
      this.marked = true;
      let name: string;
      try {
        name = wordName(i, what);
      } finally {
        this.marked = false;
      }
      const step = current.trace(T_STALE_LOAD, i, s.value);
      this.stale.push({ task: t, step, what: name, access, value: s.value, read: s, newest: c[0] });
      if (this.stale.length > STALE_KEPT) {
        this.stale.shift();
        this.staleDropped++;
      }
    } else if (access === 'READ_ONCE') current.trace(T_READ_ONCE, i, s.value);
    return s.value;
  }

  storeRelaxed(a: Int32Array, i: number, v: number): void {
    if (a !== this.i32) this.under.storeRelaxed(a, i, v);
    else this.markedStore(i, v, 'relaxed', current.trace(T_MARKED_STORE, i, v));
  }

  storeRelease(a: Int32Array, i: number, v: number, step: number): void {
    if (a !== this.i32) this.under.storeRelease(a, i, v, step);
    else this.markedStore(i, v, 'release', step);
  }

  /** A marked store: relaxed (WRITE_ONCE, a plain C store) or release. */
  private markedStore(i: number, v: number, kind: Exclude<StoreKind, 'init'>, step: number): void {
    const t = this.task();
    if (this.state[i] !== TRACKED) this.promote(i);
    this.sync(i, atomicsLoad(this.i32, i));
    // where the store goes in the word's coherence order is a choice (0: last, as sc);
    // the word holds the value of the last store in that order, so one placed before it
    // leaves the value as it is
    const places = this.mem.placements(t, i, kind);
    const k = places.length > 1 ? Math.min(this.choose(places.length), places.length - 1) : 0;
    this.under.store(this.i32, i, k === 0 ? v : this.mem.latest(i).value);
    this.mem.store(t, i, v, kind, step, null, places[k]);
  }

  /** cmpxchg(): a full barrier that reads the newest store. */
  cmpxchg(a: Int32Array, i: number, old: number, v: number): number {
    if (a !== this.i32) return this.under.cmpxchg(a, i, old, v);
    const t = this.task();
    if (this.state[i] !== TRACKED) this.promote(i);
    const was = this.under.compareExchange(this.i32, i, old, v);
    this.sync(i, was);
    const read = this.mem.rmwBegin(t, i);
    if (was === old) this.mem.rmwEnd(t, i, v, current.lastStep, read);
    else this.mem.fence(t, 'mb');
    return was;
  }

  fence(f: Fence): void {
    current.trace(T_BARRIER, BARRIERS.indexOf(f), 0);
    this.mem.fence(this.task(), f);
  }

  /** A modeled lock was taken (spin_lock, mutex_lock, read/write_lock, ...): see WeakMemory.lockAcquired. */
  lockAcquired(): void {
    const t = this.task();
    if (t >= 0) this.mem.lockAcquired(t);
  }

  wrotePlain(a: Int32Array, from: number, to: number): void {
    this.under.wrotePlain(a, from, to);
  }

  /** A word first touched by a marked access after unmarked ones: its last unmarked store becomes its history. */
  private promote(i: number): void {
    this.mem.adopt(i, this.msgs.get(i) ?? null);
    this.msgs.delete(i);
    this.state[i] = TRACKED;
  }
}

/** Stale reads kept per execution for the report. */
export const STALE_KEPT = 16;

function storeLabel(s: WeakStore, label: (task: number) => string): string {
  if (s.task < 0) return `the older value ${s.value} (from before the stores this execution tracked)`;
  return `the store of step ${s.step} by ${label(s.task)} (= ${s.value})`;
}

/**
 * The report lines of a weak outcome: the stale reads of the task that hit the
 * violation (or, if it made none, the last ones of any task), oldest first.
 */
export function explainStaleReads(w: SimWeak, task: string, label: (task: number) => string): string[] {
  const mine = w.stale.filter((s) => label(s.task) === task);
  const shown = (mine.length ? mine : w.stale).slice(-3);
  return shown.map((s) => {
    const who = label(s.task);
    return (
      `weak memory: ${who} ${s.access}(${s.what}) = ${s.value} at step ${s.step} read ${storeLabel(s.read, label)}; ` +
      `${storeLabel(s.newest, label).replace(/^the/, 'the newer')} was not yet visible to ${who} ` +
      '(no release/acquire pair or barrier orders it before this load)'
    );
  });
}
