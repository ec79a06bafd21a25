/**
 * Memory reclaim as lockdep sees it (mm/page_alloc.c, mm/vmscan.c): every allocation
 * that may reclaim (GFP_KERNEL, GFP_KERNEL_ACCOUNT) passes through might_alloc(), which
 * acquires and releases the fs_reclaim map, so lockdep learns that whatever the caller
 * holds is taken outside reclaim; and reclaim holds fs_reclaim while it runs the
 * shrinkers, so whatever they take is taken inside it. kswapd reclaims in its own
 * thread; under pressure an allocation reclaims directly, in the allocating task.
 */
import type { Op } from '../rt/op.js';
import { current } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { LockdepMap, lockMapAcquire, lockMapRelease, WaitQueue, waitEvent, wakeUp } from '../sync/index.js';
import { addUnread, shared } from '../rt/shared.js';
import { type RareEvent, rare } from '../rt/rare.js';

/** An allocation finds free pages below the low watermark and wakes kswapd (shrinker-vs-fault's shrinkEvery). */
export const KSWAPD_WAKE: RareEvent = { name: 'kswapd-wake', what: 'kswapd woken for a reclaim round', per: 'cache topups', param: 'shrinkEvery' };

/** SHRINK_BATCH (mm/shrinker.c): the largest nr_to_scan the shrinker core passes. */
export const SHRINK_BATCH = 128;

/** struct shrinker: count_objects and scan_objects. */
export interface Shrinker {
  name: string;
  countObjects(): Op<number>;
  scanObjects(nrToScan: number): Op<number>;
}

/** One execution's reclaim: the fs_reclaim map, the registered shrinkers, how often an allocation reclaims directly. */
export class Reclaim {
  readonly fsReclaim: LockdepMap;
  readonly shrinkers: Shrinker[] = [];
  /** pgdat->kswapd_wait, and the wake-ups kswapd has not handled yet. */
  readonly kswapdWait: WaitQueue;
  readonly kswapdPending: number;
  readonly i32: Int32Array;

  constructor(
    arena: Arena,
    /** Probability that one GFP_KERNEL allocation finds free pages below the min watermark and reclaims directly. */
    readonly pressure: number,
    /** One allocation in this many (on average) finds free pages below the low watermark and wakes kswapd (0: never). */
    readonly kswapdEvery = 0,
  ) {
    this.fsReclaim = new LockdepMap(arena, 'fs_reclaim');
    this.kswapdWait = new WaitQueue(arena, 'kswapd_wait');
    this.kswapdPending = arena.region('kswapd wake-ups', 1);
    this.i32 = arena.i32;
  }

  /** register_shrinker(). */
  register(s: Shrinker): void {
    this.shrinkers.push(s);
  }
}

/**
 * shrink_slab(): each shrinker's count, then a scan of up to SHRINK_BATCH objects
 * (do_shrink_slab() passes min(batch, what is left), drawn here in 1..SHRINK_BATCH).
 */
export function* shrinkSlab(r: Reclaim): Op<number> {
  let freed = 0;
  for (const s of r.shrinkers) {
    if ((yield* s.countObjects()) > 0) freed += yield* s.scanObjects(1 + Math.floor(current.rng() * SHRINK_BATCH));
  }
  return freed;
}

/** One round of kswapd's balance_pgdat(): the shrinkers, inside fs_reclaim. */
export function* kswapdReclaim(r: Reclaim): Op<number> {
  yield* lockMapAcquire(r.fsReclaim, 'balance_pgdat');
  const freed = yield* shrinkSlab(r);
  yield* lockMapRelease(r.fsReclaim);
  return freed;
}

/** Reclaim running in this task (PF_MEMALLOC): its own allocations do not reclaim again. */
const inReclaim = new WeakSet<object>();

/**
 * might_alloc(GFP_KERNEL) and, under pressure, __perform_reclaim(): fs_reclaim is taken
 * and dropped for lockdep; with probability `pressure` the allocation reclaims directly,
 * running every shrinker in this task inside fs_reclaim.
 */
export function* mightAlloc(r: Reclaim): Op {
  const t = current;
  if (inReclaim.has(t)) return;
  yield* lockMapAcquire(r.fsReclaim, 'fs_reclaim_acquire');
  const direct = r.pressure > 0 && t.rng() < r.pressure;
  if (direct) {
    t.count('direct-reclaims');
    inReclaim.add(t);
    try {
      yield* shrinkSlab(r);
    } finally {
      inReclaim.delete(t);
    }
  }
  yield* lockMapRelease(r.fsReclaim);
  if (r.kswapdEvery > 0 && rare(t, KSWAPD_WAKE, r.kswapdEvery)) yield* wakeupKswapd(r);
}

/** wakeup_kswapd(): free memory fell below the low watermark. */
export function* wakeupKswapd(r: Reclaim): Op {
  addUnread(r.i32, r.kswapdPending, 1); // commutes with another allocation's wake-up; kswapd's read and reset do not
  yield* wakeUp(r.kswapdWait);
}

/**
 * kswapd(): asleep on kswapd_wait until an allocation wakes it, then one round of
 * reclaim, for as long as `running()`; whoever ends `running()` must wake it to exit.
 * It is not runnable while it sleeps, so a scheduler cannot make it reclaim more often
 * than the allocations ask, nor starve it while they do.
 */
export function* kswapdOnDemand(r: Reclaim, running: () => boolean): Op {
  for (;;) {
    yield* waitEvent(r.kswapdWait, () => shared.load(r.i32, r.kswapdPending) > 0 || !running());
    if (!running()) return;
    shared.store(r.i32, r.kswapdPending, 0);
    yield* kswapdReclaim(r);
  }
}
