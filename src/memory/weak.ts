/**
 * A weak memory model after the Linux-kernel memory model (LKMM,
 * tools/memory-model/linux-kernel.cat), for sim `--memory weak` and the litmus runner.
 *
 * Each word keeps its stores in coherence order (co), each with a position `ts`. A store
 * need not go last: it may take any place in co after every store its task must see
 * as older (LKMM does not put co in happens-before; only coherence, atomicity and the
 * propagation rule's strong fences constrain it). Which place is a choice the caller
 * makes, as is which store a load returns (a scheduling choice in sim, a branch in the
 * litmus runner); the first option (0) is always the sequentially consistent one: the
 * newest store, the last place.
 *
 * What a task must respect is its knowledge: a vector clock over tasks (a store of task
 * u with epoch e is known once vc[u] >= e; a task always knows its own stores) and a
 * per-word floor in co (the position of the newest store of that word the task read).
 * A task has two such views, because LKMM orders loads and stores differently:
 *   - the read view bounds its loads: a load may return a store of co position >= the
 *     floor and not older than the newest store the view knows;
 *   - the write view bounds its stores: a store goes after every store the view knows
 *     and after the floor (coherence: co agrees with po-loc and with what was read).
 * Both take in what an acquire load reads (acquire -> po orders everything after it)
 * and what smp_mb() learns. smp_rmb() orders loads before it against loads after it:
 * what earlier relaxed loads saw reaches the read view only. smp_wmb() orders stores
 * before it against stores after it: what this task's earlier release stores were
 * ordered after reaches the write view, and its later relaxed stores carry its earlier
 * stores (and what those carried) to whoever reads them.
 *
 * What a store carries (its `msg`) is what LKMM's cumul-fence makes propagate before it:
 * a release carries everything its task knows, what its relaxed loads saw included
 * (A-cumulative); a relaxed store carries what its task's stores before its last smp_wmb()
 * carried, and everything at its last smp_mb(). smp_mb() also meets a global knowledge
 * (`sc`) that every smp_mb() adds to and takes from, and every later store of the task
 * carries what it knew there (`glob`, LKMM's pb: what a strong fence orders has
 * propagated to every CPU).
 *
 * Stronger than LKMM, never weaker, in what it supports: smp_mb()s meet in the order they
 * run (a total order LKMM does not have), a relaxed store carries what its task knew at
 * its last smp_wmb() as a whole vector clock (its task's earlier acquires included, which
 * LKMM's non-A-cumulative smp_wmb() does not carry), atomic read-modify-writes read the
 * newest store and go last, and what a read's store had propagated everywhere (`glob`)
 * is taken in at the next smp_rmb() too. Address, data and control dependencies give no
 * ordering here: the litmus runner refuses files that rely on them, and model code reads
 * through pointers with unmarked accesses, which are strong. Load buffering needs a
 * task's ops to run out of program order: the litmus runner does that
 * (litmus/explore.ts); sim runs each task's ops in order, so it never shows it.
 */

/** What a task knows: a vector clock over tasks and a per-word floor in coherence order. Never mutated once built. */
export interface Knowledge {
  vc: Int32Array;
  /** Per word, the co position of the oldest store the task may still read. */
  floors: Floors;
}

export interface WeakStore {
  value: number;
  /** The storing task, -1 for the initial value (or a write the model made outside any task). */
  task: number;
  /** The storing task's epoch for this store: it is known to a task whose clock covers it. */
  epoch: number;
  /** Its position in the word's coherence order (larger: newer). */
  ts: number;
  /** What an acquire (or a later fence) that reads it learns; null: nothing beyond the store. */
  msg: Knowledge | null;
  /**
   * What had propagated to every CPU before this store could propagate anywhere (its
   * task's knowledge at its last smp_mb(), and what that task learned was so): carried by
   * every store, relaxed ones too, and learned by whoever becomes ordered after reading it.
   */
  glob: Knowledge | null;
  /** Caller's stamp: the sim step of the store. */
  step: number;
  kind: StoreKind;
  /** Written by an atomic read-modify-write: nothing may come between it and the store before it in co. */
  rmw: boolean;
}

export type StoreKind = 'relaxed' | 'release' | 'init';
export type LoadKind = 'relaxed' | 'acquire';
/** smp_mb(), smp_wmb(), smp_rmb(). */
export type Fence = 'mb' | 'wmb' | 'rmb';

/** What a release by a task carries (sim's unmarked stores to words outside the histories), stamped so a reader can skip one it already took in. */
export interface Message {
  msg: Knowledge;
  glob: Knowledge | null;
  task: number;
  /** The task's message counter: its knowledge only grows, so a reader that took in version v has every version <= v. */
  ver: number;
}

/** word, co position pairs, words ascending: few words per task, so a flat array beats a Map (no iterator or entry allocations). */
export type Floors = readonly number[];

const EMPTY_FLOORS: Floors = [];

/** The floor of `word` in `f` (-Infinity: none). */
function floorOf(f: Floors, word: number): number {
  for (let k = 0; k < f.length; k += 2) {
    const w = f[k];
    if (w === word) return f[k + 1];
    if (w > word) break;
  }
  return Number.NEGATIVE_INFINITY;
}

interface TaskState {
  id: number;
  /** Stores this task has made: its own clock entry (views leave vc[id] alone: a task knows its own stores). */
  epoch: number;
  /** Bounds loads. */
  rv: Knowledge;
  /** Bounds where stores go in co. */
  wv: Knowledge;
  /** What relaxed loads read since the last smp_rmb()/smp_mb(): taken in there, carried by a release. */
  pending: Knowledge | null;
  /** The part of `pending` that had propagated to every CPU (the `glob` of the stores read). */
  pendingGlob: Knowledge | null;
  /** What this task knows to have propagated to every CPU: carried by all its stores. */
  glob: Knowledge | null;
  /** What its relaxed stores carry: set at smp_wmb()/smp_mb(). */
  released: Knowledge | null;
  /** What its last release carried (everything it knew then). */
  lastRelease: Knowledge | null;
  /** The release message of the knowledge now, until the knowledge changes (sim makes many in a row). */
  snap: Message | null;
  /** Message counter (Message.ver). */
  ver: number;
  /** Per task: the newest Message.ver of that task taken in by an acquire. */
  absorbed: Int32Array;
}

/** Which of a and b has a floor the other lacks or has lower: bit 1 a, bit 2 b. */
function floorsDiffer(a: Floors, b: Floors): number {
  let out = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length && out !== 3) {
    if (a[i] === b[j]) {
      if (a[i + 1] > b[j + 1]) out |= 1;
      else if (a[i + 1] < b[j + 1]) out |= 2;
      i += 2;
      j += 2;
    } else if (a[i] < b[j]) {
      out |= 1;
      i += 2;
    } else {
      out |= 2;
      j += 2;
    }
  }
  if (i < a.length) out |= 1;
  if (j < b.length) out |= 2;
  return out;
}

function mergeFloors(a: Floors, b: Floors): Floors {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      out.push(a[i], a[i + 1]);
      i += 2;
    } else if (i >= a.length || b[j] < a[i]) {
      out.push(b[j], b[j + 1]);
      j += 2;
    } else {
      out.push(a[i], Math.max(a[i + 1], b[j + 1]));
      i += 2;
      j += 2;
    }
  }
  return out;
}

/**
 * a joined with b: `a` itself when b adds nothing, `b` when a adds nothing (knowledge is
 * shared, never mutated, so equal views stay one object and the next join is a compare).
 */
function join(a: Knowledge, b: Knowledge | null): Knowledge {
  if (b === null || a === b) return a;
  const av = a.vc;
  const bv = b.vc;
  let aMore = false;
  let bMore = false;
  for (let k = 0; k < av.length; k++) {
    if (av[k] > bv[k]) aMore = true;
    else if (bv[k] > av[k]) bMore = true;
  }
  const fd = a.floors === b.floors ? 0 : floorsDiffer(a.floors, b.floors);
  if (!bMore && (fd & 2) === 0) return a;
  if (!aMore && (fd & 1) === 0) return b;
  let vc = av;
  if (bMore) {
    vc = av.slice();
    for (let k = 0; k < vc.length; k++) if (bv[k] > vc[k]) vc[k] = bv[k];
  }
  const floors = fd & 2 ? (fd & 1 ? mergeFloors(a.floors, b.floors) : b.floors) : a.floors;
  return { vc, floors };
}

function joinOrNull(a: Knowledge | null, b: Knowledge | null): Knowledge | null {
  return a === null ? b : join(a, b);
}

function withFloor(k: Knowledge, word: number, ts: number): Knowledge {
  if (floorOf(k.floors, word) >= ts) return k;
  return { vc: k.vc, floors: mergeFloors(k.floors, [word, ts]) };
}

/** k with task `task`'s own stores up to `epoch` in its clock (what others learn of them). */
function withOwn(k: Knowledge, task: number, epoch: number): Knowledge {
  if (k.vc[task] >= epoch) return k;
  const vc = k.vc.slice();
  vc[task] = epoch;
  return { vc, floors: k.floors };
}

export class WeakMemory {
  private readonly tasks: TaskState[];
  private readonly histories = new Map<number, WeakStore[]>();
  private sc: Knowledge;
  /** Nothing known. */
  private readonly none: Knowledge;

  /**
   * @param nTasks the tasks that load and store
   * @param depth how many stores of a word stay readable (the oldest in co are dropped: fewer choices, never more)
   * @param initial a word's value before any store the model saw
   */
  constructor(
    nTasks: number,
    readonly depth: number,
    private readonly initial: (word: number) => number,
  ) {
    const none: Knowledge = { vc: new Int32Array(nTasks), floors: EMPTY_FLOORS };
    this.tasks = Array.from({ length: nTasks }, (_, id) => ({
      id,
      epoch: 0,
      rv: none,
      wv: none,
      pending: null,
      pendingGlob: null,
      glob: null,
      released: null,
      lastRelease: null,
      snap: null,
      ver: 0,
      absorbed: new Int32Array(nTasks),
    }));
    this.sc = none;
    this.none = none;
  }

  private history(word: number): WeakStore[] {
    let h = this.histories.get(word);
    if (!h) {
      h = [initStore(this.initial(word), 0)];
      this.histories.set(word, h);
    }
    return h;
  }

  /** The newest store of `word` in co (what a sequentially consistent machine would read, and the word's value). */
  latest(word: number): WeakStore {
    const h = this.history(word);
    return h[h.length - 1];
  }

  /** True once the model has seen a store to `word` or a load of it. */
  tracks(word: number): boolean {
    return this.histories.has(word);
  }

  /** Does view `v` of task `t` know store `s` (so that nothing older in co is left to it)? */
  private knows(s: WeakStore, t: TaskState, v: Knowledge): boolean {
    return s.task < 0 || s.task === t.id || v.vc[s.task] >= s.epoch;
  }

  /** The stores task `task` may read from `word`, newest first (never empty: the newest is always allowed). */
  candidates(task: number, word: number): WeakStore[] {
    const t = this.tasks[task];
    const h = this.history(word);
    const floor = floorOf(t.rv.floors, word);
    const out: WeakStore[] = [];
    for (let k = h.length - 1; k >= 0; k--) {
      const s = h[k];
      if (s.ts < floor) break;
      out.push(s);
      if (this.knows(s, t, t.rv)) break; // anything older is overwritten by a store t knows of
    }
    return out;
  }

  /**
   * Where in `word`'s coherence order a store of task `task` may go: indexes into the
   * history, the last place first. After every store its write view knows (a release:
   * everything its task knows) and after the newest it read; never between an atomic
   * read-modify-write and the store it read; never where positions ran out of precision.
   */
  placements(task: number, word: number, kind: 'relaxed' | 'release'): number[] {
    const t = this.tasks[task];
    const h = this.history(word);
    const v = kind === 'release' ? this.full(t) : t.wv;
    const floor = floorOf(v.floors, word);
    const out: number[] = [h.length];
    for (let k = h.length - 1; k >= 0; k--) {
      const s = h[k];
      if (s.ts < floor) break;
      if (k < h.length - 1) {
        const next = h[k + 1];
        const mid = (s.ts + next.ts) / 2;
        if (!next.rmw && mid > s.ts && mid < next.ts) out.push(k + 1);
      }
      if (this.knows(s, t, v)) break;
    }
    return out;
  }

  /** Task `task` read store `s` of `word`. */
  load(task: number, word: number, s: WeakStore, kind: LoadKind): void {
    const t = this.tasks[task];
    const { rv, wv, pending } = t;
    // coherence: neither a later load nor a later store of t may be older than s
    if (kind === 'acquire') {
      // first: a release's message covers its own store, and then no floor is needed
      this.acquire(t, s.msg, s.glob);
    }
    const same = t.rv === t.wv;
    if (!this.knows(s, t, t.rv)) t.rv = withFloor(t.rv, word, s.ts);
    if (same) t.wv = t.rv;
    else if (!this.knows(s, t, t.wv)) t.wv = withFloor(t.wv, word, s.ts);
    if (kind !== 'acquire') {
      if (s.msg || s.glob) t.pending = joinOrNull(joinOrNull(t.pending, s.msg), s.glob);
      if (s.glob) t.pendingGlob = joinOrNull(t.pendingGlob, s.glob);
    }
    if (t.rv !== rv || t.wv !== wv || t.pending !== pending) t.snap = null;
  }

  /** An acquire took in `msg`: everything after it in t is ordered after what it read and what was ordered before it. */
  private acquire(t: TaskState, msg: Knowledge | null, glob: Knowledge | null): void {
    const { rv, wv } = t;
    t.rv = join(join(rv, msg), glob);
    if (glob) {
      const g = t.glob;
      t.glob = joinOrNull(g, glob);
      if (t.glob !== g) t.snap = null;
    }
    t.wv = join(wv, t.rv);
    if (t.rv !== rv || t.wv !== wv) t.snap = null;
  }

  /**
   * Task `task` stores `value` to `word` at history index `at` (one of placements();
   * default: last); returns the store. `after`: the store an atomic read-modify-write just
   * read, whose release it continues (a release sequence), and right after which it goes.
   */
  store(task: number, word: number, value: number, kind: 'relaxed' | 'release', step: number, after: WeakStore | null = null, at = -1): WeakStore {
    const t = this.tasks[task];
    const h = this.history(word);
    const epoch = ++t.epoch;
    let msg: Knowledge | null;
    if (kind === 'release') {
      // A-cumulative: what t's relaxed loads saw too (LKMM's rfe; po-rel)
      msg = withOwn(this.full(t), t.id, epoch);
      t.lastRelease = msg;
    } else msg = t.released;
    let glob = t.glob;
    if (after) {
      msg = joinOrNull(msg, after.msg);
      glob = joinOrNull(glob, after.glob);
    }
    const p = at < 0 ? h.length : at;
    const ts = p === h.length ? h[h.length - 1].ts + 1 : (h[p - 1].ts + h[p].ts) / 2;
    const s: WeakStore = { value, task, epoch, ts, msg, glob, step, kind, rmw: after !== null };
    h.splice(p, 0, s);
    if (h.length > this.depth) h.shift();
    t.snap = null;
    return s;
  }

  /**
   * A value-returning atomic (xchg, cmpxchg, atomic_*_return): it reads the newest store
   * (atomicity) and, being a full barrier, is ordered against everything around it.
   */
  rmwBegin(task: number, word: number): WeakStore {
    this.fence(task, 'mb');
    const s = this.latest(word);
    this.load(task, word, s, 'acquire');
    return s;
  }

  rmwEnd(task: number, word: number, value: number, step: number, read: WeakStore | null = null): WeakStore {
    const s = this.store(task, word, value, 'release', step, read);
    this.fence(task, 'mb');
    return s;
  }

  fence(task: number, f: Fence): void {
    const t = this.tasks[task];
    if (f !== 'wmb') {
      // loads after it are ordered after what loads before it read
      t.rv = join(t.rv, t.pending);
      t.glob = joinOrNull(t.glob, t.pendingGlob);
      t.pending = null;
      t.pendingGlob = null;
    }
    if (f === 'wmb') {
      // stores after it: placed after what t's release stores before it were ordered
      // after, and carrying t's stores before it and what they carried
      t.wv = join(t.wv, t.lastRelease);
      t.released = withOwn(join(join(this.none, t.lastRelease), t.released), t.id, t.epoch);
    } else if (f === 'mb') {
      t.rv = join(t.rv, this.sc);
      t.wv = join(t.wv, t.rv);
      t.wv = join(t.wv, t.lastRelease);
      const all = withOwn(this.full(t), t.id, t.epoch);
      this.sc = join(this.sc, all);
      // a strong fence: everything t knows has reached every CPU before any later store of t
      // reaches one (LKMM's pb), so all of t's later stores carry it (A-cumulative)
      t.glob = all;
      t.released = all;
    }
    t.snap = null;
  }

  /**
   * Task `task` acquires a lock (sim: after the lock word's own acquire). Two critical
   * sections on one CPU are ordered even for different locks (LKMM's po-unlock-lock-po):
   * everything before the lock is ordered before everything after it and propagates
   * first (stronger: also without an unlock before).
   */
  lockAcquired(task: number): void {
    const t = this.tasks[task];
    this.fence(task, 'rmb');
    t.wv = join(join(t.wv, t.rv), t.lastRelease);
    t.released = withOwn(this.full(t), t.id, t.epoch);
    t.snap = null;
  }

  /** A write the model made outside the tracked accesses (plain, under a guard): it is the only value left. */
  overwrite(word: number, value: number): void {
    const h = this.history(word);
    const ts = h[h.length - 1].ts + 1;
    h.length = 0;
    h.push(initStore(value, ts));
  }

  /** What a release by task `task` carries now (cached until its knowledge changes). */
  releaseMessage(task: number): Message {
    const t = this.tasks[task];
    if (t.snap === null) {
      const msg = withOwn(this.full(t), t.id, t.epoch);
      t.lastRelease = msg;
      t.snap = { msg, glob: t.glob, task, ver: ++t.ver };
    }
    return t.snap;
  }

  /** Task `task` acquires a message (an unmarked load of a word outside the histories). */
  acquireMessage(task: number, m: Message): void {
    const t = this.tasks[task];
    if (m.ver <= t.absorbed[m.task]) {
      // its knowledge only grew since: nothing new in the message, but what the task's
      // loads were ordered after (smp_rmb()) is now ordered before its later stores
      this.acquire(t, null, null);
      return;
    }
    t.absorbed[m.task] = m.ver;
    this.acquire(t, m.msg, m.glob);
  }

  /**
   * Start the history of a word that only unmarked (strong) accesses touched so far: its
   * value now is its one store, visible to all, carrying what the last unmarked store carried.
   */
  adopt(word: number, last: Message | null): void {
    const s = this.latest(word);
    s.msg = last?.msg ?? null;
    s.glob = last?.glob ?? null;
    s.task = -1;
  }

  /** Everything t knows: both views and what its relaxed loads saw since its last smp_rmb(). */
  private full(t: TaskState): Knowledge {
    return join(join(t.rv, t.wv), t.pending);
  }
}

function initStore(value: number, ts: number): WeakStore {
  return { value, task: -1, epoch: 0, ts, msg: null, glob: null, step: -1, kind: 'init', rmw: false };
}
