/**
 * `--memory weak` in sim: the execution's arena under the weak model of weak.ts.
 *
 * The accesses the kernel code marks go through the model: READ_ONCE / WRITE_ONCE and
 * plain C accesses the model names as such (relaxed), smp_load_acquire /
 * smp_store_release, smp_mb / smp_wmb / smp_rmb, cmpxchg (a full barrier). A relaxed
 * or acquire load may return an older store; which one is a scheduling choice
 * (Strategy.choose), so it is recorded, replayed and explored like any other.
 *
 * Every other access the model makes with Atomics (locks, page tables under mmu_lock,
 * bookkeeping) is unmarked: it reads and writes the newest value, an unmarked store
 * is a release and an unmarked load an acquire of its own word, and an unmarked
 * read-modify-write (a lock's cmpxchg, atomic_inc) is both. That is at least as strong
 * as what the kernel does there (lock acquire and release are acquire and release;
 * unlock -> lock on the same lock orders everything before it), so an unmarked access
 * never invents a weak outcome, and it orders only through its own word, so it does
 * not hide one either (a global fence would). Plain array writes (a pool's free list,
 * a page zeroed) are outside the model; a marked load that finds its word changed
 * behind the model's back takes the new value as the only one.
 *
 * Only sim runs this: Atomics are sequentially consistent on real cores, and x86
 * keeps stores in order, so the threads executor cannot show these outcomes.
 */
import { type Knowledge, type StoreKind, WeakMemory, type WeakStore } from './weak.js';

/** How many stores of a word stay readable. */
export const WEAK_DEPTH = 4;

type AtomicsTable = Record<string, (...a: never[]) => unknown>;
const table = Atomics as unknown as AtomicsTable;
const LOADS = ['load'];
const STORES = ['store'];
const RMWS = ['add', 'sub', 'and', 'or', 'xor', 'exchange', 'compareExchange'];
/** Atomics.load as it was when this module loaded: no wrapper of anyone's. */
const atomicsLoad = Atomics.load;

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

export class SimWeak {
  readonly mem: WeakMemory;
  /** Unmarked words: what the last store to each carried. */
  private readonly msgs = new Map<number, { msg: Knowledge; glob: Knowledge | null; task: number }>();
  /** Stale reads, oldest first (at most STALE_KEPT). */
  readonly stale: StaleRead[] = [];
  /** Stale reads no longer in `stale`. */
  staleDropped = 0;
  private saved: AtomicsTable | null = null;
  /** Set while a marked access calls Atomics itself: the wrappers let it through. */
  private marked = false;

  constructor(
    readonly i32: Int32Array,
    readonly modelBase: number,
    tasks: number,
    /** The task running now (current.id). */
    private readonly task: () => number,
    /** Pick one of n stores (0: the newest): the strategy's choice. */
    readonly choose: (n: number) => number,
  ) {
    this.mem = new WeakMemory(tasks, WEAK_DEPTH, (w) => atomicsLoad(i32, w));
  }

  /** Route the arena's unmarked Atomics through the model (after any footprint wrappers, which stay underneath). */
  install(): void {
    const saved: AtomicsTable = {};
    for (const f of [...LOADS, ...STORES, ...RMWS]) saved[f] = table[f];
    this.saved = saved;
    const load = saved.load as (ta: Int32Array, i: number) => number;
    const wrap = (f: string, kind: 'load' | 'store' | 'rmw') => {
      const prev = saved[f] as (ta: Int32Array, i: number, ...rest: number[]) => number;
      return (ta: Int32Array, i: number, ...rest: number[]) => {
        if (ta !== this.i32 || i < this.modelBase || this.marked) return prev(ta, i, ...rest);
        const t = this.task();
        if (t < 0) return prev(ta, i, ...rest);
        if (kind === 'load') {
          const v = prev(ta, i);
          this.acquireUnmarked(t, i, v);
          return v;
        }
        if (kind === 'rmw') this.acquireUnmarked(t, i, load(ta, i));
        const r = prev(ta, i, ...rest);
        this.releaseUnmarked(t, i, load(ta, i));
        return r;
      };
    };
    const wrapped: AtomicsTable = {};
    for (const f of LOADS) wrapped[f] = wrap(f, 'load') as never;
    for (const f of STORES) wrapped[f] = wrap(f, 'store') as never;
    for (const f of RMWS) wrapped[f] = wrap(f, 'rmw') as never;
    Object.assign(table, wrapped);
  }

  uninstall(): void {
    if (this.saved) Object.assign(table, this.saved);
    this.saved = null;
  }

  /** An unmarked load (or the read of an unmarked RMW) of word i: it takes in what the newest store carried. */
  private acquireUnmarked(t: number, i: number, value: number): void {
    if (this.mem.tracks(i)) {
      this.sync(i, value);
      this.mem.load(t, i, this.mem.latest(i), 'acquire');
      return;
    }
    const m = this.msgs.get(i);
    if (m && m.task !== t) this.mem.acquireMessage(t, m);
  }

  /** An unmarked store (or the write of an unmarked RMW) to word i: a release. */
  private releaseUnmarked(t: number, i: number, value: number): void {
    if (this.mem.tracks(i)) {
      this.mem.store(t, i, value, 'release', -1);
      return;
    }
    this.msgs.set(i, { ...this.mem.releaseMessage(t), task: t });
  }

  /** The word changed outside the model (a plain write): the new value is the only one left. */
  private sync(i: number, actual: number): void {
    if (this.mem.latest(i).value !== actual) this.mem.overwrite(i, actual);
  }

  private withMarked<T>(f: () => T): T {
    this.marked = true;
    try {
      return f();
    } finally {
      this.marked = false;
    }
  }

  /** A marked load: a relaxed or acquire load that may return an older store. */
  load(i: number, kind: 'relaxed' | 'acquire', what: () => string, access: string, step: number): number {
    const t = this.task();
    const actual = this.withMarked(() => Atomics.load(this.i32, i)); // noted in a dfs footprint
    if (!this.mem.tracks(i)) this.promote(i);
    this.sync(i, actual);
    const c = this.mem.candidates(t, i);
    const k = c.length > 1 ? Math.min(this.choose(c.length), c.length - 1) : 0;
    const s = c[k];
    this.mem.load(t, i, s, kind);
    if (k > 0) {
      // naming the word may read model words: outside the model, like the load itself
      this.stale.push({ task: t, step, what: this.withMarked(what), access, value: s.value, read: s, newest: c[0] });
      if (this.stale.length > STALE_KEPT) {
        this.stale.shift();
        this.staleDropped++;
      }
    }
    return s.value;
  }

  /** A marked store: relaxed (WRITE_ONCE, a plain C store) or release. */
  store(i: number, v: number, kind: Exclude<StoreKind, 'init'>, step: number): void {
    const t = this.task();
    if (!this.mem.tracks(i)) this.promote(i);
    this.withMarked(() => Atomics.store(this.i32, i, v));
    this.mem.store(t, i, v, kind, step);
  }

  /** cmpxchg(): a full barrier that reads the newest store. */
  cmpxchg(i: number, old: number, v: number, step: number): number {
    const t = this.task();
    if (!this.mem.tracks(i)) this.promote(i);
    const was = this.withMarked(() => Atomics.compareExchange(this.i32, i, old, v));
    this.sync(i, was);
    const read = this.mem.rmwBegin(t, i);
    if (was === old) this.mem.rmwEnd(t, i, v, step, read);
    else this.mem.fence(t, 'mb');
    return was;
  }

  fence(f: 'mb' | 'wmb' | 'rmb'): void {
    this.mem.fence(this.task(), f);
  }

  /** A modeled lock was taken (spin_lock, mutex_lock, read/write_lock, ...): see WeakMemory.lockAcquired. */
  lockAcquired(): void {
    const t = this.task();
    if (t >= 0) this.mem.lockAcquired(t);
  }

  /** A word first touched by a marked access after unmarked ones: its last unmarked store becomes its history. */
  private promote(i: number): void {
    this.mem.adopt(i, this.msgs.get(i) ?? null);
    this.msgs.delete(i);
  }
}

/** Stale reads kept per execution for the report. */
export const STALE_KEPT = 16;

let active: SimWeak | null = null;

/** The weak memory of the sim execution running now, if it runs with --memory weak. */
export function activeWeak(i32: Int32Array): SimWeak | null {
  return active !== null && active.i32 === i32 ? active : null;
}

/** The weak memory of the sim execution running now, whatever its arena (lock hooks). */
export function weakMemoryNow(): SimWeak | null {
  return active;
}

export function setActiveWeak(w: SimWeak | null): void {
  active = w;
}

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
