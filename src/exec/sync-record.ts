/**
 * What a threads execution records, besides the order its steps began in (StepTickets),
 * so that its replay in sim (strategies/order.ts, sync-replay.ts) is exact: for every
 * access the model makes to a shared word, which store of that word it read or made.
 * Step tickets order the start of steps; two steps that run at once on two cores can
 * have their effects in the other order, and only the words say which.
 *
 * RecordingMemory is the SharedMemory (rt/shared.ts) a threads worker installs when the
 * run replays its findings (RunConfig.reproduce): every model access goes through it,
 * the marked kinds and the unmarked ones alike, so a lock's word (its compare-exchange,
 * its release store, a reader's count) is recorded like any other word and a lock needs
 * no hook of its own. Words below the model (control words, trace rings) never pass here.
 *
 * Each word hashes to one of WORD_SLOTS version slots, used as a seqlock: even while no
 * write is under way; a write makes it odd, writes the word, and makes it even again,
 * one higher; a read loads the slot, the word, and the slot again, and tries again if a
 * write came between. So write k of a slot leaves it at 2k, and a read that saw 2k read
 * write k: the two are one event, with no window where they could be misnumbered. Two
 * words that share a slot are ordered together, as they were on the cores.
 *
 * An event is [step, slot, version << 2 | kind] in the task's step order, `step` its
 * StepTickets index. A lock retry that fails again leaves no ticket (drive.ts drops it):
 * the sim runs a blocked task only once it is woken, and has no such step. Its loads go
 * with it (StepTickets.onDrop); its writes (an rwlock writer setting its waiting bit
 * again) stay as EVENT_RETRY_STORE events, which belong to no step: they only keep the
 * numbering of their word whole (sync-replay.ts).
 */
import type { Fence, SharedMemory, WordName } from '../rt/shared.js';
import type { StepTickets } from './drive.js';

export const EVENT_LOAD = 0;
export const EVENT_STORE = 1;
/** A write made by a lock retry that failed again (a step of no record). */
export const EVENT_RETRY_STORE = 2;
/** An event's kind is in the low two bits of its third word, the version above them. */
export const KIND_BITS = 2;
export const KIND_MASK = 3;

/** Word-version slots: a word's index modulo this (a power of two). */
export const WORD_SLOTS = 1 << 16;
const SLOT_MASK = WORD_SLOTS - 1;

/** The most events one task keeps (3 words each: 24 MiB); past it the replay follows the step order alone. */
export const MAX_SYNC_EVENTS = 2 * 1024 * 1024;

/** One task's events: [step, slot, version << KIND_BITS | kind] triples in step order. */
export type SyncEvents = Int32Array;

/** The executor's version slots for an execution: `spare` (reused, zeroed) when there is one. */
export function syncVersions(spare: SharedArrayBuffer | null): SharedArrayBuffer {
  const buffer = spare ?? new SharedArrayBuffer(WORD_SLOTS * 4);
  new Int32Array(buffer).fill(0);
  return buffer;
}

export class RecordingMemory implements SharedMemory {
  private readonly v: Int32Array;
  private buf = new Int32Array(3 * 1024);
  private n = 0;
  private overflow = false;

  constructor(
    /** The version slots every task of the execution shares (syncVersions). */
    versions: SharedArrayBuffer,
    /** This task's step tickets: an event belongs to the step running, whose ticket drive() pushed. */
    private readonly tickets: StepTickets,
  ) {
    this.v = new Int32Array(versions);
    tickets.onDrop = (n) => this.dropped(n);
  }

  /** A load and the write it read, as one event (the seqlock's read side). */
  load(a: Int32Array, i: number): number {
    const v = this.v;
    const slot = i & SLOT_MASK;
    for (;;) {
      const before = Atomics.load(v, slot);
      if (before & 1) continue;
      const value = Atomics.load(a, i);
      if (Atomics.load(v, slot) === before) {
        this.note(slot, before >>> 1, EVENT_LOAD);
        return value;
      }
    }
  }

  /** Make the slot odd (a write under way), waiting out another writer: the even value it had. */
  private claim(slot: number): number {
    const v = this.v;
    for (;;) {
      const at = Atomics.load(v, slot);
      if ((at & 1) === 0 && Atomics.compareExchange(v, slot, at, at + 1) === at) return at;
    }
  }

  /** The write is done: the slot one write higher, and the event. */
  private wrote(slot: number, at: number): void {
    Atomics.store(this.v, slot, at + 2);
    this.note(slot, (at >>> 1) + 1, EVENT_STORE);
  }

  store(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.store(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  /** A compare-exchange that fails wrote nothing: a load of the write it saw. */
  compareExchange(a: Int32Array, i: number, expected: number, replacement: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const was = Atomics.compareExchange(a, i, expected, replacement);
    if (was === expected) this.wrote(slot, at);
    else {
      Atomics.store(this.v, slot, at);
      this.note(slot, at >>> 1, EVENT_LOAD);
    }
    return was;
  }
  exchange(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.exchange(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  add(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.add(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  sub(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.sub(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  and(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.and(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  or(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.or(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  xor(a: Int32Array, i: number, x: number): number {
    const slot = i & SLOT_MASK;
    const at = this.claim(slot);
    const r = Atomics.xor(a, i, x);
    this.wrote(slot, at);
    return r;
  }
  // The marked kinds: the cores' memory is sequentially consistent, so each is its plain access.
  loadRelaxed(a: Int32Array, i: number, _access: string, _what: WordName): number {
    return this.load(a, i);
  }
  loadAcquire(a: Int32Array, i: number, _what: WordName): number {
    return this.load(a, i);
  }
  storeRelaxed(a: Int32Array, i: number, x: number): void {
    this.store(a, i, x);
  }
  storeRelease(a: Int32Array, i: number, x: number, _step: number): void {
    this.store(a, i, x);
  }
  cmpxchg(a: Int32Array, i: number, old: number, x: number): number {
    return this.compareExchange(a, i, old, x);
  }
  fence(_f: Fence): void {}
  lockAcquired(): void {}
  /** A page zeroed before it is published: the store that publishes it orders it (recorded). */
  wrotePlain(_a: Int32Array, _from: number, _to: number): void {}

  private note(slot: number, version: number, kind: number): void {
    if (this.overflow) return;
    const step = this.tickets.n - 1;
    if (this.n + 3 > this.buf.length) {
      if (this.n >= 3 * MAX_SYNC_EVENTS) {
        this.overflow = true;
        this.buf = new Int32Array(0);
        this.n = 0;
        return;
      }
      const grown = new Int32Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    const b = this.buf;
    b[this.n++] = step;
    b[this.n++] = slot;
    b[this.n++] = (version << KIND_BITS) | kind;
  }

  /** The step at index `n` was dropped: its loads go, its writes become retry writes of the step before. */
  private dropped(n: number): void {
    const b = this.buf;
    let from = this.n;
    while (from > 0 && b[from - 3] >= n) from -= 3;
    let to = from;
    for (let i = from; i < this.n; i += 3) {
      if ((b[i + 2] & KIND_MASK) === EVENT_LOAD) continue;
      b[to] = n - 1;
      b[to + 1] = b[i + 1];
      b[to + 2] = (b[i + 2] & ~KIND_MASK) | EVENT_RETRY_STORE;
      to += 3;
    }
    this.n = to;
  }

  /** The events, once the task has ended (null: more than MAX_SYNC_EVENTS). */
  take(): SyncEvents | null {
    if (this.overflow) return null;
    return this.buf.slice(0, this.n);
  }
}
