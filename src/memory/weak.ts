/**
 * A weak memory model after the Linux-kernel memory model (LKMM,
 * tools/memory-model/), for sim `--memory weak` and the litmus runner.
 *
 * Every store to a word joins that word's history (its coherence order is the order
 * stores ran in). A load may return any store of the history that its task is not
 * already past:
 *   - not older than the newest store of that word the task has seen (coherence:
 *     `floors`, raised by every load and store of the task);
 *   - not older than a store that happens before the load (a store whose task's epoch
 *     is covered by the loading task's vector clock).
 * Which of the allowed stores a load returns is a choice the caller makes (a
 * scheduling choice in sim, a branch in the litmus runner).
 *
 * Happens-before travels with messages. A release store (smp_store_release, unlock,
 * and every access the model does not mark, see sim-weak.ts) carries its task's whole
 * knowledge: the vector clock and the floors; an acquire load (smp_load_acquire, lock)
 * that reads it takes that knowledge in. A relaxed store (WRITE_ONCE) carries what its
 * task knew at its last smp_wmb()/smp_mb(), and a relaxed load (READ_ONCE) that reads
 * it takes that in only at the task's next smp_rmb()/smp_mb(). smp_mb() also meets a
 * global knowledge that every smp_mb() adds to and takes from, which orders a store
 * before it against a load after it (store buffering) and makes it cumulative.
 *
 * Against LKMM this is stronger in a few places (never weaker for what it supports):
 * smp_wmb() and smp_rmb() act as release and acquire fences (they also order loads
 * before stores and loads after stores), and stores join coherence order in the order
 * they run. Address, data and control dependencies give no ordering here: the litmus
 * runner refuses files that rely on them, and model code reads through pointers with
 * unmarked accesses, which are strong. Load buffering needs a task's ops to run out of
 * program order: the litmus runner does that (litmus/explore.ts); sim runs each task's
 * ops in order, so it never shows it.
 */

/** What a task knows: a vector clock over tasks and a per-word floor of the coherence order. */
export interface Knowledge {
  vc: Int32Array;
  /** word -> the oldest history index the task may still read; shared, never mutated (copy on write). */
  floors: ReadonlyMap<number, number>;
}

export interface WeakStore {
  value: number;
  /** The storing task, -1 for the initial value (or a write the model made outside any task). */
  task: number;
  /** The storing task's epoch for this store: it happens before a task whose clock covers it. */
  epoch: number;
  /** Its index in the word's coherence order (0: the initial value). */
  index: number;
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
}

export type StoreKind = 'relaxed' | 'release' | 'init';
export type LoadKind = 'relaxed' | 'acquire';
export type Fence = 'mb' | 'wmb' | 'rmb';

const EMPTY: ReadonlyMap<number, number> = new Map();

interface TaskState {
  vc: Int32Array;
  floors: ReadonlyMap<number, number>;
  /** What relaxed loads read since the last acquire fence: taken in at smp_rmb()/smp_mb(). */
  pending: Knowledge | null;
  /** The part of `pending` that had propagated to every CPU (the `glob` of the stores read). */
  pendingGlob: Knowledge | null;
  /** What this task knows to have propagated to every CPU: carried by all its stores. */
  glob: Knowledge | null;
  /** What the task knew at its last smp_wmb()/smp_mb(): carried by its relaxed stores. */
  released: Knowledge | null;
}

interface History {
  stores: WeakStore[];
  /** Coherence index of stores[0] (older stores were dropped). */
  base: number;
}

function joinFloors(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): ReadonlyMap<number, number> {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  let out: Map<number, number> | null = null;
  for (const [w, i] of b) {
    if ((a.get(w) ?? -1) < i) {
      out ??= new Map(a);
      out.set(w, i);
    }
  }
  return out ?? a;
}

function joinVc(into: Int32Array, from: Int32Array): void {
  for (let k = 0; k < into.length; k++) if (from[k] > into[k]) into[k] = from[k];
}

function joinKnowledge(a: Knowledge | null, b: Knowledge | null): Knowledge | null {
  if (!b) return a;
  if (!a) return { vc: b.vc.slice(), floors: b.floors };
  const vc = a.vc.slice();
  joinVc(vc, b.vc);
  return { vc, floors: joinFloors(a.floors, b.floors) };
}

export class WeakMemory {
  private readonly tasks: TaskState[];
  private readonly histories = new Map<number, History>();
  private sc: Knowledge;

  /**
   * @param nTasks the tasks that load and store
   * @param depth how many stores of a word stay readable (older ones are dropped: fewer choices, never more)
   * @param initial a word's value before any store the model saw
   */
  constructor(
    nTasks: number,
    readonly depth: number,
    private readonly initial: (word: number) => number,
  ) {
    this.tasks = Array.from({ length: nTasks }, () => ({ vc: new Int32Array(nTasks), floors: EMPTY, pending: null, pendingGlob: null, glob: null, released: null }));
    this.sc = { vc: new Int32Array(nTasks), floors: EMPTY };
  }

  private history(word: number): History {
    let h = this.histories.get(word);
    if (!h) {
      h = { stores: [{ value: this.initial(word), task: -1, epoch: 0, index: 0, msg: null, glob: null, step: -1, kind: 'init' }], base: 0 };
      this.histories.set(word, h);
    }
    return h;
  }

  /** The newest store of `word` (what a sequentially consistent machine would read). */
  latest(word: number): WeakStore {
    const h = this.history(word);
    return h.stores[h.stores.length - 1];
  }

  /** True once the model has seen a store to `word` or a load of it. */
  tracks(word: number): boolean {
    return this.histories.has(word);
  }

  /** Does store `s` happen before task `t`'s next op? */
  private happensBefore(s: WeakStore, t: TaskState): boolean {
    return s.task < 0 || t.vc[s.task] >= s.epoch;
  }

  /** The stores task `t` may read from `word`, newest first (never empty: the newest is always allowed). */
  candidates(task: number, word: number): WeakStore[] {
    const t = this.tasks[task];
    const h = this.history(word);
    const floor = t.floors.get(word) ?? 0;
    const out: WeakStore[] = [];
    for (let k = h.stores.length - 1; k >= 0; k--) {
      const s = h.stores[k];
      if (s.index < floor) break;
      out.push(s);
      if (this.happensBefore(s, t)) break; // anything older is overwritten by a store t knows of
    }
    return out;
  }

  /** Task `task` read store `s` of `word`. */
  load(task: number, word: number, s: WeakStore, kind: LoadKind): void {
    const t = this.tasks[task];
    if (kind === 'acquire') {
      if (s.msg) this.learnInto(t, s.msg);
      if (s.glob) {
        this.learnInto(t, s.glob);
        t.glob = joinKnowledge(t.glob, s.glob);
      }
    } else {
      t.pending = joinKnowledge(joinKnowledge(t.pending, s.msg), s.glob);
      t.pendingGlob = joinKnowledge(t.pendingGlob, s.glob);
    }
    // coherence: t may not read older than s from now on; a store that happens before t
    // already says so (the candidates stop there), so only the others need a floor
    if (!this.happensBefore(s, t)) this.raiseFloor(t, word, s.index);
  }

  /**
   * Task `task` stores `value` to `word`; returns the store. `after`: the store an atomic
   * read-modify-write just read, whose release it continues (a release sequence).
   */
  store(task: number, word: number, value: number, kind: 'relaxed' | 'release', step: number, after: WeakStore | null = null): WeakStore {
    const t = this.tasks[task];
    const h = this.history(word);
    const epoch = ++t.vc[task];
    const index = h.base + h.stores.length;
    // no floor needed: t's own store happens before t's later loads. A release is
    // A-cumulative: it carries what t's relaxed loads saw too (LKMM's rfe; po-rel)
    let msg = kind === 'release' ? this.releaseView(t) : t.released;
    let glob = t.glob;
    if (after) {
      msg = joinKnowledge(msg, after.msg);
      glob = joinKnowledge(glob, after.glob);
    }
    const s: WeakStore = { value, task, epoch, index, msg, glob, step, kind };
    h.stores.push(s);
    if (h.stores.length > this.depth) {
      h.stores.shift();
      h.base++;
    }
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
      if (t.pending) this.learnInto(t, t.pending);
      t.glob = joinKnowledge(t.glob, t.pendingGlob);
      t.pending = null;
      t.pendingGlob = null;
    }
    if (f === 'mb') {
      this.learnInto(t, this.sc);
      this.sc = joinKnowledge(this.sc, { vc: t.vc, floors: t.floors }) as Knowledge;
      // a strong fence: everything t knows has reached every CPU before any later store of t
      // reaches one (LKMM's pb), so all of t's later stores carry it
      t.glob = { vc: t.vc.slice(), floors: t.floors };
    }
    // a release fence (stronger than smp_wmb(), which orders stores only): t's later relaxed
    // stores carry what t knows, and what its relaxed loads saw
    if (f !== 'rmb') t.released = this.releaseView(t);
  }

  /** A write the model made outside the tracked accesses (plain, under a guard): it is the only value left. */
  overwrite(word: number, value: number): void {
    const h = this.history(word);
    const index = h.base + h.stores.length;
    h.stores = [{ value, task: -1, epoch: 0, index, msg: null, glob: null, step: -1, kind: 'init' }];
    h.base = index;
  }

  private learnInto(t: TaskState, k: Knowledge): void {
    joinVc(t.vc, k.vc);
    t.floors = joinFloors(t.floors, k.floors);
  }

  /** What a release by task `task` carries now: what it knows, what its relaxed loads saw, and its propagated part. */
  releaseMessage(task: number): { msg: Knowledge; glob: Knowledge | null } {
    const t = this.tasks[task];
    return { msg: this.releaseView(t), glob: t.glob };
  }

  /** Task `task` acquires a message (an unmarked load of a word outside the histories). */
  acquireMessage(task: number, m: { msg: Knowledge; glob: Knowledge | null }): void {
    const t = this.tasks[task];
    this.learnInto(t, m.msg);
    if (m.glob) {
      this.learnInto(t, m.glob);
      t.glob = joinKnowledge(t.glob, m.glob);
    }
  }

  /**
   * Task `task` acquires a lock (sim: after the lock word's own acquire). Two critical
   * sections on one CPU are ordered even for different locks (LKMM's po-unlock-lock-po):
   * the lock is taken as an smp_rmb() and an smp_wmb() (stronger: also without an unlock before).
   */
  lockAcquired(task: number): void {
    this.fence(task, 'rmb');
    this.fence(task, 'wmb');
  }

  /**
   * Start the history of a word that only unmarked (strong) accesses touched so far: its
   * value now is its one store, visible to all, carrying what the last unmarked store carried.
   */
  adopt(word: number, last: { msg: Knowledge; glob: Knowledge | null } | null): void {
    const h = this.history(word);
    const s = h.stores[h.stores.length - 1];
    s.msg = last?.msg ?? null;
    s.glob = last?.glob ?? null;
    s.task = -1;
  }

  /** What a release by `t` carries: what it knows, and what its relaxed loads saw since its last acquire fence. */
  private releaseView(t: TaskState): Knowledge {
    return joinKnowledge({ vc: t.vc.slice(), floors: t.floors }, t.pending) as Knowledge;
  }

  private raiseFloor(t: TaskState, word: number, index: number): void {
    if ((t.floors.get(word) ?? -1) >= index) return;
    const f = new Map(t.floors);
    f.set(word, index);
    t.floors = f;
  }
}
