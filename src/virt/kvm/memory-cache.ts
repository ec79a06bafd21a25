/**
 * struct kvm_mmu_memory_cache and its helpers (virt/kvm/kvm_main.c).
 *
 * Topup may sleep and fills to capacity; alloc pops LIFO and, on an empty cache,
 * WARNs and falls back to an atomic allocation, as the kernel does. Each cache op is
 * atomic in the model (an internal guard word, invisible to lockdep): the C data race
 * inside one cache op is out of scope; the protocol race between ops is the target.
 */
import { mightAlloc, type Reclaim } from '../../mm/reclaim.js';
import { heldLocks, lockLabel, taskLabel } from '../../rt/names.js';
import { reportViolation } from '../../rt/oracle.js';
import { POINT, type Op } from '../../rt/op.js';
import { current, MODE_NAMES, type Task } from '../../rt/task.js';
import type { Arena } from '../../shm/arena.js';
import { guardLock, guardUnlock } from '../../shm/guard.js';
import { OBJ_CACHED, OBJ_FREE, OBJ_IN_USE, type ObjectPool } from '../../shm/pool.js';
import { isAtomicMode, mightSleep } from '../../sync/lockdep.js';
import { EIO, ENOMEM, KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE } from './constants.js';
import { T_CACHE_ALLOC, T_CACHE_ALLOC_EMPTY, T_CACHE_EMPTY, T_TOPUP, T_TOPUP_FAIL } from './trace-ops.js';
import { oracleLoad, oracleStore, shared } from '../../rt/shared.js';
import { mergeNextBoundary, stepMerge } from '../../rt/step-merge.js';

const NOBJS = 0;
const CAPACITY = 1;
const GUARD = 2;
const LAST_TOPUP_STEP = 3;
const LAST_TOPUP_FROM = 4;
const LAST_TOPUP_TO = 5;
const LAST_EMPTIED_STEP = 6;
const LAST_EMPTIED_BY = 7; // task id + 1
const LAST_EMPTIED_COUNT = 8;
const LAST_EMPTIED_LOCKED = 9; // 1 if the emptier held the cache's mutex
const ALLOCS_SINCE_TOPUP = 10;
const OBJECTS = 11;
const CACHE_WORDS = OBJECTS + KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE;

/**
 * Who else may touch a cache while its vCPU tops it up, as the model declares it (for
 * dfs's topup-as-one-step reduction, docs/exploration.md "dfs reductions"):
 *   shared   nothing is promised: every object of a topup is a step of its own;
 *   private  no other task touches the cache at all;
 *   guarded  other tasks read nobjs only to test it against zero, and change the cache
 *            only holding `guardedBy`: while the filling task holds that mutex, its fill
 *            loop is one step.
 * kvmMmuEmptyMemoryCache checks the promise on every emptying (a harness failure if broken).
 */
export type CacheSharing = 'shared' | 'private' | 'guarded';

export interface CacheHistory {
  lastTopup: { step: number; from: number; to: number } | null;
  lastEmptied: { step: number; by: number; count: number; heldCacheLock: boolean } | null;
  allocsSinceTopup: number;
}

export class KvmMmuMemoryCache {
  readonly id: number;
  readonly base: number;
  private readonly i32: Int32Array;
  /** Lock id of the mutex that is meant to protect this cache (v2's per-vCPU mutex), or -1. */
  guardedBy = -1;
  /** The page allocator's reclaim (fs_reclaim, shrinkers), when the model has one. */
  reclaim: Reclaim | null = null;
  /** What other tasks may do to this cache while its vCPU tops it up (default: no promise). */
  sharing: CacheSharing = 'shared';
  /** The task that topped it up or allocated from it first (its vCPU), -1 before: what `private` is checked against. */
  ownerTask = -1;
  /** Objects handed out so far by this thread's view of the cache (only its vCPU allocates from it), for per-fault figures. */
  handedOut = 0;
  /** The statistic of the most objects one fault took: `max-per-fault:<field>` (max*: merged as a maximum). */
  readonly mostPerFaultStat: string;

  constructor(
    arena: Arena,
    /** "vcpu0.mmu_shadow_page_cache" */
    readonly name: string,
    /** Field name in struct kvm_vcpu_arch, for reports. */
    readonly field: string,
    readonly pool: ObjectPool,
    readonly owner: string,
  ) {
    this.base = arena.region(`cache:${name}`, CACHE_WORDS);
    this.mostPerFaultStat = `max-per-fault:${field}`;
    this.id = arena.addCache(name);
    this.i32 = arena.i32;
  }

  nobjs(): number {
    return shared.load(this.i32, this.base + NOBJS);
  }

  /** Word offset of nobjs, for READ_ONCE(mc->nobjs) from another task. */
  nobjsWord(): number {
    return this.base + NOBJS;
  }

  /** Objects now in the cache. */
  objects(): number[] {
    const n = this.nobjs();
    const out = [];
    for (let k = 0; k < n; k++) out.push(this.i32[this.base + OBJECTS + k]);
    return out;
  }

  history(): CacheHistory {
    const w = (k: number) => this.noted(k);
    return {
      lastTopup: w(LAST_TOPUP_STEP) ? { step: w(LAST_TOPUP_STEP), from: w(LAST_TOPUP_FROM), to: w(LAST_TOPUP_TO) } : null,
      lastEmptied: w(LAST_EMPTIED_STEP)
        ? { step: w(LAST_EMPTIED_STEP), by: w(LAST_EMPTIED_BY) - 1, count: w(LAST_EMPTIED_COUNT), heldCacheLock: w(LAST_EMPTIED_LOCKED) === 1 }
        : null,
      allocsSinceTopup: w(ALLOCS_SINCE_TOPUP),
    };
  }

  /** Make one cache op atomic between threads (not a modeled lock). */
  lock(): void {
    guardLock(this.i32, this.base + GUARD);
  }

  unlock(): void {
    guardUnlock(this.i32, this.base + GUARD);
  }

  /** Push one object (caller holds the guard). */
  push(obj: number): void {
    const n = this.i32[this.base + NOBJS];
    this.i32[this.base + OBJECTS + n] = obj;
    shared.store(this.i32, this.base + NOBJS, n + 1);
  }

  /** Pop one object, 0 if empty (caller holds the guard). */
  pop(): number {
    const n = this.i32[this.base + NOBJS];
    if (n === 0) return 0;
    shared.store(this.i32, this.base + NOBJS, n - 1);
    return this.i32[this.base + OBJECTS + n - 1];
  }

  set(word: number, v: number): void {
    shared.store(this.i32, this.base + word, v);
  }

  get(word: number): number {
    return shared.load(this.i32, this.base + word);
  }

  /**
   * The oracle's own history words (LAST_*, ALLOCS_SINCE_TOPUP): read only to explain a
   * violation, never by the modeled kernel, so they bypass the installed memory and stay out
   * of dfs's footprints (a conflict on them would be the checker's, not the kernel's).
   */
  note(word: number, v: number): void {
    oracleStore(this.i32, this.base + word, v);
  }

  noted(word: number): number {
    return oracleLoad(this.i32, this.base + word);
  }

  /** Task `t` may fill this cache as one step: no other task can change it meanwhile (see CacheSharing). */
  fillsAlone(t: Task): boolean {
    if (this.sharing === 'private') return true;
    return this.sharing === 'guarded' && this.guardedBy >= 0 && t.held.some((h) => h.lock === this.guardedBy);
  }
}

/** Free one object to its allocator (free_page / kmem_cache_free); freeing it twice is a violation. */
export function freeObject(pool: ObjectPool, obj: number, what: string): void {
  if (obj === 0) return;
  if (pool.give(obj, current ? current.id : -1) === OBJ_FREE) reportViolation('double-free', `${what}: ${pool.name} object ${obj} freed twice`);
}

/** One GFP_KERNEL_ACCOUNT allocation: may sleep. */
function* mmuMemoryCacheAllocObj(mc: KvmMmuMemoryCache): Op<number> {
  yield POINT;
  const t = current;
  mightSleep(t, `GFP_KERNEL_ACCOUNT allocation for ${mc.name}`);
  return mc.pool.take(OBJ_CACHED, t.id, t.lastStep);
}

/**
 * __kvm_mmu_topup_memory_cache(mc, capacity, min): nothing if nobjs >= min, else
 * fill to capacity; -ENOMEM only if even min could not be reached.
 */
export function* kvmMmuTopupMemoryCache(mc: KvmMmuMemoryCache, min: number): Op<number> {
  yield POINT;
  const t = current;
  const from = mc.nobjs();
  if (from >= min) return 0;
  const capacity = KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE;
  const had = mc.get(CAPACITY);
  if (had !== 0 && had !== capacity) {
    reportViolation('invariant', `${mc.name}: topup with capacity ${capacity} but the cache has ${had} (WARN_ON_ONCE, -EIO)`);
    return -EIO;
  }
  mc.set(CAPACITY, capacity);
  if (mc.ownerTask < 0) mc.ownerTask = t.id;
  // might_alloc(): once per topup (its allocations all happen with the same locks held), and maybe direct reclaim
  if (mc.reclaim) yield* mightAlloc(mc.reclaim);
  // the fill as one step (for dfs): after the first object no other task can tell how far
  // the loop got: the cache's contents change only here, and nobjs, read elsewhere only
  // against zero, is already nonzero (docs/exploration.md, "dfs reductions")
  const alone = mc.fillsAlone(t);
  while (mc.nobjs() < capacity) {
    const obj = yield* mmuMemoryCacheAllocObj(mc);
    if (obj === 0) {
      // the pool ran dry: which CPU's topup fails then depends on how the fills interleave,
      // which merged fills do not explore, so dfs's proof does not cover this run
      stepMerge.dryFills++;
      const now = mc.nobjs();
      t.trace(T_TOPUP_FAIL, mc.id, now);
      t.count('topup-enomem');
      return now >= min ? 0 : -ENOMEM;
    }
    mc.lock();
    mc.push(obj);
    mc.unlock();
    t.count('topup-objects');
    if (alone && mc.nobjs() < capacity) mergeNextBoundary(t.id);
  }
  const step = t.trace(T_TOPUP, mc.id, capacity);
  mc.note(LAST_TOPUP_FROM, from);
  mc.note(LAST_TOPUP_TO, mc.nobjs());
  mc.note(ALLOCS_SINCE_TOPUP, 0);
  mc.note(LAST_TOPUP_STEP, step);
  t.count('topups');
  return 0;
}

/**
 * kvm_mmu_memory_cache_alloc(mc): pop the last object; on an empty cache WARN_ON and
 * fall back to GFP_ATOMIC. `site` names the kernel caller, for the report.
 */
export function* kvmMmuMemoryCacheAlloc(mc: KvmMmuMemoryCache, site: string): Op<number> {
  yield POINT;
  const t = current;
  if (mc.ownerTask < 0) mc.ownerTask = t.id;
  mc.handedOut++;
  mc.lock();
  const obj = mc.pop();
  mc.unlock();
  if (obj !== 0) {
    t.trace(T_CACHE_ALLOC, mc.id, mc.nobjs());
    mc.note(ALLOCS_SINCE_TOPUP, mc.noted(ALLOCS_SINCE_TOPUP) + 1);
    if (!mc.pool.claim(obj)) {
      reportViolation('invariant', `${mc.name} handed out object ${obj} that was not cached (state ${mc.pool.state(obj)})`);
    }
    return obj;
  }
  // WARN_ON(!mc->nobjs): every time, then an emergency atomic allocation.
  t.trace(T_CACHE_ALLOC_EMPTY, mc.id, 0);
  t.count('warn-empty-cache');
  checkCacheEmptyUnderLock(t, mc, site);
  const p = mc.pool.take(OBJ_IN_USE, t.id, t.lastStep);
  if (p === 0) reportViolation('invariant', `BUG_ON: GFP_ATOMIC fallback for ${mc.name} failed: ${mc.pool.name} exhausted`);
  return p;
}

/**
 * kvm_mmu_empty_memory_cache(mc) (added by the v2 shrinker series): free every object
 * and return how many. Freed objects go back to the allocator, never to a cache.
 */
export function* kvmMmuEmptyMemoryCache(mc: KvmMmuMemoryCache): Op<number> {
  yield POINT;
  const t = current;
  checkSharing(t, mc);
  let freed = 0;
  mc.lock();
  for (let obj = mc.pop(); obj !== 0; obj = mc.pop()) {
    freeObject(mc.pool, obj, mc.name);
    freed++;
  }
  mc.unlock();
  const step = t.trace(T_CACHE_EMPTY, mc.id, freed);
  if (freed > 0) {
    mc.note(LAST_EMPTIED_BY, t.id + 1);
    mc.note(LAST_EMPTIED_COUNT, freed);
    mc.note(LAST_EMPTIED_LOCKED, t.held.some((h) => h.lock === mc.guardedBy) ? 1 : 0);
    mc.note(LAST_EMPTIED_STEP, step);
  }
  return freed;
}

/**
 * Whether the cache's declared sharing (CacheSharing) holds for this emptying. It is only a
 * promise the merged search relies on: an emptying that breaks it (a model that declared
 * wrongly, or a user's own shrinker over caches declared for the built-in one) is no error
 * here, but from then on the cache is treated as shared, and a merged search that met one
 * says it is no proof.
 */
function checkSharing(t: Task, mc: KvmMmuMemoryCache): void {
  if (mc.sharing === 'shared' || mc.ownerTask < 0 || t.id === mc.ownerTask) return;
  let broken: string | null = null;
  if (mc.sharing === 'private') broken = `${mc.name} is declared private to ${mc.owner}, but ${t.name} empties it`;
  else if (!t.held.some((h) => h.lock === mc.guardedBy)) broken = `${mc.name} is declared emptied only under its mutex, but ${t.name} empties it without holding it`;
  if (broken === null) return;
  stepMerge.brokenSharing++;
  stepMerge.brokenSharingNote = broken;
  mc.sharing = 'shared';
}

/**
 * The oracle `cache-empty-under-lock`: an allocation from an empty memory cache while
 * holding mmu_lock (or any other lock that spins). The whole point of the caches is
 * that sleeping allocations happen before mmu_lock; an empty cache under the lock
 * means something emptied it between the topup and the allocation, or the topup
 * minimum was too small.
 */
export function checkCacheEmptyUnderLock(t: Task, mc: KvmMmuMemoryCache, site: string): void {
  const spinning = t.held.find((h) => isAtomicMode(h.mode));
  if (!spinning) return; // a WARN, but not under the lock: counted, not a violation
  const h = mc.history();
  const lockName = `${lockLabel(spinning.lock)} (${MODE_NAMES[spinning.mode]})`;
  const cacheLock = mc.guardedBy >= 0 ? lockLabel(mc.guardedBy) : "the vCPU's cache mutex";
  // Only an emptying after the last topup explains this; an older one does not.
  const emptiedSince = h.lastEmptied && (!h.lastTopup || h.lastEmptied.step > h.lastTopup.step) ? h.lastEmptied : null;
  const details = [
    `WARN_ON(!mc->nobjs) in kvm_mmu_memory_cache_alloc(), called from ${site}(): falls back to GFP_ATOMIC`,
    // the function that filled it, whoever called it (x86's mmu_topup_memory_caches(), arm64's user_mem_abort(), a scenario's own path)
    h.lastTopup
      ? `last topup of ${mc.field}: step ${h.lastTopup.step}, ${h.lastTopup.from} -> ${h.lastTopup.to} objects (kvm_mmu_topup_memory_cache())`
      : `${mc.field} was never topped up in this execution`,
    emptiedSince
      ? `emptied at step ${emptiedSince.step} by ${taskLabel(emptiedSince.by)}: freed ${emptiedSince.count} objects` +
        ` (kvm_mmu_empty_memory_cache), ${emptiedSince.heldCacheLock ? 'holding' : 'WITHOUT holding'} ${cacheLock}`
      : h.lastTopup
        ? 'nobody emptied it since the topup: the topup minimum was too small for this fault'
        : 'nothing ever filled it: every fault of this vCPU so far was judged to need no topup, this one included',
    `allocations from it since that topup: ${h.allocsSinceTopup}`,
    `${mc.owner} holds: ${heldLocks(t).join(', ')}`,
  ];
  if (emptiedSince && h.lastTopup && mc.guardedBy >= 0) {
    const held = t.held.find((x) => x.lock === mc.guardedBy);
    details.push(
      held
        ? `${cacheLock} was taken at step ${held.step}: ${held.step > h.lastTopup.step ? 'AFTER the topup, so the shrinker could empty the cache in between' : 'before the topup'}`
        : `${mc.owner} does not hold ${cacheLock}`,
    );
  }
  reportViolation(
    'cache-empty-under-lock',
    `${mc.owner}: ${mc.field} is empty in ${site}() while holding ${lockName}`,
    details,
  );
}
