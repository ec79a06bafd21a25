/**
 * A fixed pool of model objects standing in for the page allocator or one kmem_cache.
 *
 * Objects are numbered 1..capacity (0 is NULL). Each has a state word, so that at the
 * end of an execution every object can be accounted for: free, sitting in a memory
 * cache, or in use.
 *
 * Free objects sit on a global free stack or on a per-CPU list, as the kernel's page
 * allocator keeps per-CPU page lists (`zone->per_cpu_pageset`) and SLUB per-CPU slabs:
 * a CPU allocates from and frees to its own list, refills it from the global stack a
 * batch at a time (rmqueue_bulk) and gives a batch back when it holds too many
 * (free_pcppages_bulk); an allocation that finds its list and the global stack empty
 * drains every list (drain_all_pages) before it fails. Two CPUs allocating therefore
 * touch different words, which is what lets the dfs strategy's sleep sets tell two
 * vCPUs' topups apart (with one shared stack every allocation conflicted with every
 * other, and the order even decided which object each got).
 *
 * Each list and the global stack are guarded by an internal spin word: the page
 * allocator is not a lock the model reasons about, so it is invisible to lockdep and
 * to the trace; it only keeps the pool itself consistent between worker threads.
 * Lock order: a list's guard, then the global guard.
 */
import type { Arena } from './arena.js';
import { guardLock, guardUnlock } from './guard.js';
import { shared } from '../rt/shared.js';

export const OBJ_FREE = 0;
export const OBJ_CACHED = 1;
export const OBJ_IN_USE = 2;
export const OBJ_STATE_NAMES = ['free', 'cached', 'in use'];

/** Per-object words: state, who allocated it (task id + 1), at which step. */
const OBJ_WORDS = 3;
const GUARD = 0;
const TOP = 1;
/** The lowest TOP has ever been: free-stack slots below it were never popped, so their objects were never taken. */
const LOW = 2;
const HDR_WORDS = 3;
/** Per-CPU lists: CPU (task) k uses list k mod PCP_LISTS; two tasks sharing one is correct, only less independent. */
export const PCP_LISTS = 8;
const PCP_GUARD = 0;
const PCP_COUNT = 1;
const PCP_HDR = 2;
/** No setup-time task: straight to the global stack. */
const NO_CPU = -1;

export class ObjectPool {
  readonly base: number;
  readonly objBase: number;
  readonly freeBase: number;
  /** Base of the object payloads (dataWords per object), if any. */
  readonly dataBase: number;
  readonly pcpBase: number;
  /** Objects moved between a per-CPU list and the global stack at once (pcp->batch). */
  readonly batch: number;
  /** A list holding more than this gives a batch back (pcp->high). */
  readonly high: number;
  private readonly pcpWords: number;

  constructor(
    arena: Arena,
    readonly name: string,
    readonly capacity: number,
    readonly dataWords: number,
  ) {
    this.base = arena.region(`pool:${name}`, HDR_WORDS);
    this.objBase = arena.region(`pool:${name}:objs`, (capacity + 1) * OBJ_WORDS);
    this.freeBase = arena.region(`pool:${name}:free`, capacity);
    this.dataBase = dataWords > 0 ? arena.region(`pool:${name}:data`, (capacity + 1) * dataWords) : 0;
    // the kernel's batch is about a thousandth of the zone, at most 63 pages; a model pool is
    // small, so a sixteenth of it: a vCPU's topup of 40 refills a few times, not 40
    this.batch = Math.max(1, Math.min(63, Math.floor(capacity / 16)));
    this.high = 4 * this.batch;
    this.pcpWords = PCP_HDR + this.high + 1;
    this.pcpBase = arena.region(`pool:${name}:pcp`, PCP_LISTS * this.pcpWords);
    this.i32 = arena.i32;
    if (arena.init) {
      // Free stack holds capacity..1 so the first allocation returns object 1.
      for (let k = 0; k < capacity; k++) this.i32[this.freeBase + k] = capacity - k;
      this.i32[this.base + TOP] = capacity;
      this.i32[this.base + LOW] = capacity;
    }
  }

  readonly i32: Int32Array;

  state(obj: number): number {
    return shared.load(this.i32, this.objBase + obj * OBJ_WORDS);
  }

  allocatedBy(obj: number): { task: number; step: number } {
    const o = this.objBase + obj * OBJ_WORDS;
    return { task: this.i32[o + 1] - 1, step: this.i32[o + 2] };
  }

  /** Word offset of the payload of `obj` in the arena. */
  data(obj: number): number {
    return this.dataBase + obj * this.dataWords;
  }

  private lockGuard(): void {
    guardLock(this.i32, this.base + GUARD);
  }

  private unlockGuard(): void {
    guardUnlock(this.i32, this.base + GUARD);
  }

  private pcp(cpu: number): number {
    return this.pcpBase + (cpu % PCP_LISTS) * this.pcpWords;
  }

  /** Pop from the global stack under its guard; 0 when it is empty. */
  private popGlobal(): number {
    this.lockGuard();
    const top = this.i32[this.base + TOP];
    let obj = 0;
    if (top > 0) {
      obj = this.i32[this.freeBase + top - 1];
      this.i32[this.base + TOP] = top - 1;
      if (top - 1 < this.i32[this.base + LOW]) this.i32[this.base + LOW] = top - 1;
    }
    this.unlockGuard();
    return obj;
  }

  /** Move up to `n` objects from list `l` (its guard held) to the global stack. */
  private giveBack(l: number, n: number): void {
    this.lockGuard();
    let count = this.i32[l + PCP_COUNT];
    let top = this.i32[this.base + TOP];
    for (let k = 0; k < n && count > 0; k++) this.i32[this.freeBase + top++] = this.i32[l + PCP_HDR + --count];
    this.i32[this.base + TOP] = top;
    this.i32[l + PCP_COUNT] = count;
    this.unlockGuard();
  }

  /** rmqueue_bulk(): refill list `l` (its guard held, empty) with up to a batch from the global stack. */
  private refill(l: number): void {
    this.lockGuard();
    let top = this.i32[this.base + TOP];
    const count = Math.min(this.batch, top);
    // the lowest-numbered object ends up on top of the list, as it was on the global stack
    for (let k = count - 1; k >= 0; k--) this.i32[l + PCP_HDR + k] = this.i32[this.freeBase + --top];
    this.i32[this.base + TOP] = top;
    if (top < this.i32[this.base + LOW]) this.i32[this.base + LOW] = top;
    this.i32[l + PCP_COUNT] = count;
    this.unlockGuard();
  }

  /** drain_all_pages(): every per-CPU list back to the global stack, one list at a time. */
  private drainAll(): void {
    for (let k = 0; k < PCP_LISTS; k++) {
      const l = this.pcpBase + k * this.pcpWords;
      guardLock(this.i32, l + PCP_GUARD);
      this.giveBack(l, this.i32[l + PCP_COUNT]);
      guardUnlock(this.i32, l + PCP_GUARD);
    }
  }

  /**
   * Take one object for `cpu` (a task id; -1 at setup); 0 when the pool is exhausted.
   * `state` is CACHED or IN_USE.
   */
  take(state: number, cpu: number, step: number): number {
    let obj = 0;
    if (cpu !== NO_CPU) {
      const l = this.pcp(cpu);
      guardLock(this.i32, l + PCP_GUARD);
      if (this.i32[l + PCP_COUNT] === 0) this.refill(l);
      const count = this.i32[l + PCP_COUNT];
      if (count > 0) {
        obj = this.i32[l + PCP_HDR + count - 1];
        this.i32[l + PCP_COUNT] = count - 1;
      }
      guardUnlock(this.i32, l + PCP_GUARD);
    }
    if (obj === 0) {
      obj = this.popGlobal();
      if (obj === 0 && cpu !== NO_CPU) {
        this.drainAll(); // the objects left may sit on other CPUs' lists
        obj = this.popGlobal();
      }
    }
    if (obj === 0) return 0;
    const o = this.objBase + obj * OBJ_WORDS;
    shared.store(this.i32, o, state);
    this.i32[o + 1] = cpu + 1;
    this.i32[o + 2] = step;
    shared.wrotePlain(this.i32, o + 1, o + 3);
    if (this.dataWords > 0) {
      this.i32.fill(0, this.data(obj), this.data(obj) + this.dataWords); // __GFP_ZERO
      shared.wrotePlain(this.i32, this.data(obj), this.data(obj) + this.dataWords);
    }
    return obj;
  }

  /**
   * Return an object to `cpu`'s list (-1: the global stack). Returns the state it was in
   * before; OBJ_FREE means the caller just freed it twice (and nothing was changed).
   */
  give(obj: number, cpu: number): number {
    const o = this.objBase + obj * OBJ_WORDS;
    for (;;) {
      const was = shared.load(this.i32, o);
      if (was === OBJ_FREE) return OBJ_FREE;
      if (shared.compareExchange(this.i32, o, was, OBJ_FREE) === was) {
        if (cpu === NO_CPU) {
          this.lockGuard();
          const top = this.i32[this.base + TOP];
          this.i32[this.freeBase + top] = obj;
          this.i32[this.base + TOP] = top + 1;
          this.unlockGuard();
        } else {
          const l = this.pcp(cpu);
          guardLock(this.i32, l + PCP_GUARD);
          const count = this.i32[l + PCP_COUNT];
          this.i32[l + PCP_HDR + count] = obj;
          this.i32[l + PCP_COUNT] = count + 1;
          if (count + 1 > this.high) this.giveBack(l, this.batch);
          guardUnlock(this.i32, l + PCP_GUARD);
        }
        return was;
      }
    }
  }

  /** Change CACHED into IN_USE (a cache handing out an object); false if it was not cached. */
  claim(obj: number): boolean {
    return shared.compareExchange(this.i32, this.objBase + obj * OBJ_WORDS, OBJ_CACHED, OBJ_IN_USE) === OBJ_CACHED;
  }

  /** Objects on the per-CPU list `cpu` uses. */
  pcpCount(cpu: number): number {
    return shared.load(this.i32, this.pcp(cpu) + PCP_COUNT);
  }

  /** Free objects: on the global stack and on the per-CPU lists. */
  freeCount(): number {
    let n = shared.load(this.i32, this.base + TOP);
    for (let k = 0; k < PCP_LISTS; k++) n += shared.load(this.i32, this.pcpBase + k * this.pcpWords + PCP_COUNT);
    return n;
  }

  /**
   * Objects 1..touched() are all that were ever taken: the free stack starts as
   * capacity..1 and its slots below the low-water mark still hold their first objects
   * (an object refilled into a per-CPU list counts as touched).
   * End-of-execution checks need look no further.
   */
  touched(): number {
    return this.capacity - shared.load(this.i32, this.base + LOW);
  }

  /** How many objects are in each state, counted object by object (those never taken are free). */
  census(): number[] {
    const touched = this.touched();
    const n = [this.capacity - touched, 0, 0];
    for (let obj = 1; obj <= touched; obj++) n[this.state(obj)]++;
    return n;
  }
}
