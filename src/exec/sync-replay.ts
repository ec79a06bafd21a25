/**
 * The sim side of a threads execution's word record (sync-record.ts): whether a task's
 * next step may run now, so that each word sees its writes in the order the cores gave
 * them and each load reads the write it read there. The sim keeps its own version per
 * slot, advanced as recorded steps run, and how many of the loads that read each
 * version have run:
 *   - a load may run while its slot is at the version it read;
 *   - a write may run once its slot is at the version before it and every load that
 *     read that version has run (a reader that saw the lock held, or the old value,
 *     reads before the write that changes it, as on the cores).
 * A step's own events are taken in order (a load then a store of one word in one step
 * is the common read-modify-write under a lock).
 *
 * A step the sim runs whole may have been overtaken on the cores: a compare-exchange
 * loop on a guard word (shm/guard.ts) that failed while another task held it, then took
 * it. Where another task's write came between two of a step's accesses to one word,
 * the step's loads of that word before it are dropped (`sequential`): the sim runs the
 * step after that write, as the retry that succeeded did.
 *
 * A write of a lock retry that failed again (EVENT_RETRY_STORE) is no step of the sim's:
 * it is taken as made as soon as its word reaches the version before it and that
 * version's loads have run, so that the writes after it find their numbering whole.
 */
import { EVENT_LOAD, EVENT_RETRY_STORE, KIND_BITS, KIND_MASK, type SyncEvents } from './sync-record.js';

/** The key of "loads of `slot` that read its version `version`". */
const key = (slot: number, version: number) => version * 0x10000 + slot;

export class SyncReplay {
  /** Per task, the index of its first event not yet run. */
  private readonly at: Int32Array;
  private readonly versions: Int32Array;
  /** Loads recorded per (slot, version read), and how many of them the sim has run. */
  private readonly reads = new Map<number, number>();
  private readonly readsRun = new Map<number, number>();
  /** ready()'s view of its own step: slots it wrote, loads it made. */
  private readonly ownVersion = new Map<number, number>();
  private readonly ownReads = new Map<number, number>();

  private readonly events: (SyncEvents | undefined)[];
  /** The retry writes: key(slot, version) of each. */
  private readonly retryStores = new Set<number>();

  constructor(recorded: readonly (SyncEvents | undefined)[]) {
    const events = recorded.map((e) => e && sequential(this.apart(e)));
    this.events = events;
    this.at = new Int32Array(events.length);
    let slots = 0;
    for (const e of recorded) for (let i = 0; e && i < e.length; i += 3) slots = Math.max(slots, e[i + 1] + 1);
    for (const e of events) {
      for (let i = 0; e && i < e.length; i += 3) {
        if ((e[i + 2] & KIND_MASK) === EVENT_LOAD) {
          const k = key(e[i + 1], e[i + 2] >>> KIND_BITS);
          this.reads.set(k, (this.reads.get(k) ?? 0) + 1);
        }
      }
    }
    this.versions = new Int32Array(slots);
  }

  /** A task's events without its retry writes, which go to retryStores. */
  private apart(e: SyncEvents): SyncEvents {
    let n = 0;
    for (let i = 0; i < e.length; i += 3) {
      if ((e[i + 2] & KIND_MASK) === EVENT_RETRY_STORE) this.retryStores.add(key(e[i + 1], e[i + 2] >>> KIND_BITS));
      else n++;
    }
    if (3 * n === e.length) return e;
    const out = new Int32Array(3 * n);
    let o = 0;
    for (let i = 0; i < e.length; i += 3) {
      if ((e[i + 2] & KIND_MASK) === EVENT_RETRY_STORE) continue;
      out.set(e.subarray(i, i + 3), o);
      o += 3;
    }
    return out;
  }

  /** Make the retry writes that can be made on `slot`. */
  private settle(slot: number): void {
    for (;;) {
      const now = this.versions[slot];
      const k = key(slot, now);
      if (!this.retryStores.has(key(slot, now + 1)) || (this.readsRun.get(k) ?? 0) < (this.reads.get(k) ?? 0)) return;
      this.versions[slot] = now + 1;
    }
  }

  reset(): void {
    this.at.fill(0);
    this.versions.fill(0);
    this.readsRun.clear();
    for (const k of this.retryStores) if (Math.floor(k / 0x10000) === 1) this.settle(k % 0x10000);
  }

  /** May task `task`'s step `step` run now: is every word it touches where the cores had it? */
  ready(task: number, step: number): boolean {
    const e = this.events[task];
    if (!e) return true;
    let i = this.at[task];
    while (i < e.length && e[i] < step) i += 3;
    if (i >= e.length || e[i] !== step) return true;
    const own = this.ownVersion;
    const ownReads = this.ownReads;
    own.clear();
    ownReads.clear();
    for (; i < e.length && e[i] === step; i += 3) {
      const slot = e[i + 1];
      const version = e[i + 2] >>> KIND_BITS;
      const now = own.get(slot) ?? this.versions[slot];
      if ((e[i + 2] & KIND_MASK) === EVENT_LOAD) {
        if (now !== version) return false;
        const k = key(slot, version);
        ownReads.set(k, (ownReads.get(k) ?? 0) + 1);
        continue;
      }
      if (now !== version - 1) return false;
      const k = key(slot, now);
      if ((this.readsRun.get(k) ?? 0) + (ownReads.get(k) ?? 0) < (this.reads.get(k) ?? 0)) return false;
      own.set(slot, version);
    }
    return true;
  }

  /** Task `task`'s step `step` ran: its events are the sim's now. */
  ran(task: number, step: number): void {
    const e = this.events[task];
    if (!e) return;
    let i = this.at[task];
    while (i < e.length && e[i] < step) i += 3;
    for (; i < e.length && e[i] === step; i += 3) {
      const slot = e[i + 1];
      const version = e[i + 2] >>> KIND_BITS;
      if ((e[i + 2] & KIND_MASK) === EVENT_LOAD) {
        const k = key(slot, version);
        this.readsRun.set(k, (this.readsRun.get(k) ?? 0) + 1);
      } else this.versions[slot] = version;
      if (this.retryStores.size > 0) this.settle(slot);
    }
    this.at[task] = i;
  }
}

/**
 * A task's events without, per step and word slot, the loads that came before another
 * task's write between two of the step's accesses (a load must read the version its
 * slot was at after the step's previous access, a write must make the next one).
 */
export function sequential(e: SyncEvents): SyncEvents {
  const keep = new Uint8Array(e.length / 3).fill(1);
  const last = new Map<number, number>(); // slot -> the version after the step's last access
  const since = new Map<number, number[]>(); // slot -> the step's kept accesses of it
  let step = Number.NaN;
  for (let i = 0; i < e.length; i += 3) {
    if (e[i] !== step) {
      step = e[i];
      last.clear();
      since.clear();
    }
    const slot = e[i + 1];
    const version = e[i + 2] >>> KIND_BITS;
    const store = (e[i + 2] & KIND_MASK) !== EVENT_LOAD;
    const was = last.get(slot);
    let mine = since.get(slot);
    if (was !== undefined && was !== (store ? version - 1 : version) && mine) {
      // the loads go (they read what the retry that came after ignored); a write stays: another task's access may follow it
      for (const j of mine) if ((e[3 * j + 2] & KIND_MASK) === EVENT_LOAD) keep[j] = 0;
      mine = undefined;
    }
    if (!mine) {
      mine = [];
      since.set(slot, mine);
    }
    mine.push(i / 3);
    last.set(slot, version);
  }
  let n = 0;
  for (const k of keep) n += k;
  if (n === keep.length) return e;
  const out = new Int32Array(3 * n);
  let o = 0;
  for (let k = 0; k < keep.length; k++) {
    if (!keep[k]) continue;
    out[o++] = e[3 * k];
    out[o++] = e[3 * k + 1];
    out[o++] = e[3 * k + 2];
  }
  return out;
}
