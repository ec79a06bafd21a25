/**
 * A fixed pool of model objects standing in for the page allocator or one kmem_cache.
 *
 * Objects are numbered 1..capacity (0 is NULL). Each has a state word, so that at the
 * end of an execution every object can be accounted for: free, sitting in a memory
 * cache, or in use. The free list is guarded by an internal spin word: the page
 * allocator is not a lock the model reasons about, so it is invisible to lockdep and
 * to the trace; it only keeps the pool itself consistent between worker threads.
 */
import { noteWrites } from './footprint.js';
import type { Arena } from './arena.js';
import { guardLock, guardUnlock } from './guard.js';

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

export class ObjectPool {
  readonly base: number;
  readonly objBase: number;
  readonly freeBase: number;
  /** Base of the object payloads (dataWords per object), if any. */
  readonly dataBase: number;

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
    this.i32 = arena.i32;
    if (arena.init) {
      // Free stack holds capacity..1 so the first allocation returns object 1.
      for (let k = 0; k < capacity; k++) this.i32[this.freeBase + k] = capacity - k;
      this.i32[this.base + TOP] = capacity;
      this.i32[this.base + LOW] = capacity;
    }
  }

  private readonly i32: Int32Array;

  state(obj: number): number {
    return Atomics.load(this.i32, this.objBase + obj * OBJ_WORDS);
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

  /** Take one object; 0 when the pool is exhausted. `state` is CACHED or IN_USE. */
  take(state: number, task: number, step: number): number {
    this.lockGuard();
    const top = this.i32[this.base + TOP];
    let obj = 0;
    if (top > 0) {
      obj = this.i32[this.freeBase + top - 1];
      this.i32[this.base + TOP] = top - 1;
      if (top - 1 < this.i32[this.base + LOW]) this.i32[this.base + LOW] = top - 1;
    }
    this.unlockGuard();
    if (obj === 0) return 0;
    const o = this.objBase + obj * OBJ_WORDS;
    Atomics.store(this.i32, o, state);
    this.i32[o + 1] = task + 1;
    this.i32[o + 2] = step;
    noteWrites(this.i32, o + 1, o + 3);
    if (this.dataWords > 0) {
      this.i32.fill(0, this.data(obj), this.data(obj) + this.dataWords); // __GFP_ZERO
      noteWrites(this.i32, this.data(obj), this.data(obj) + this.dataWords);
    }
    return obj;
  }

  /**
   * Return an object. Returns the state it was in before; OBJ_FREE means the caller
   * just freed it twice (and nothing was changed).
   */
  give(obj: number): number {
    const o = this.objBase + obj * OBJ_WORDS;
    for (;;) {
      const was = Atomics.load(this.i32, o);
      if (was === OBJ_FREE) return OBJ_FREE;
      if (Atomics.compareExchange(this.i32, o, was, OBJ_FREE) === was) {
        this.lockGuard();
        const top = this.i32[this.base + TOP];
        this.i32[this.freeBase + top] = obj;
        this.i32[this.base + TOP] = top + 1;
        this.unlockGuard();
        return was;
      }
    }
  }

  /** Change CACHED into IN_USE (a cache handing out an object); false if it was not cached. */
  claim(obj: number): boolean {
    return Atomics.compareExchange(this.i32, this.objBase + obj * OBJ_WORDS, OBJ_CACHED, OBJ_IN_USE) === OBJ_CACHED;
  }

  freeCount(): number {
    return Atomics.load(this.i32, this.base + TOP);
  }

  /**
   * Objects 1..touched() are all that were ever taken: the free stack starts as
   * capacity..1 and its slots below the low-water mark still hold their first objects.
   * End-of-execution checks need look no further.
   */
  touched(): number {
    return this.capacity - Atomics.load(this.i32, this.base + LOW);
  }

  /** How many objects are in each state, counted object by object (those never taken are free). */
  census(): number[] {
    const touched = this.touched();
    const n = [this.capacity - touched, 0, 0];
    for (let obj = 1; obj <= touched; obj++) n[this.state(obj)]++;
    return n;
  }
}
