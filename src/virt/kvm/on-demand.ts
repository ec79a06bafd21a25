/**
 * A rare role paced by the events that drive it, as kswapd is (src/mm/reclaim.ts): the
 * role (a VMM thread between two memslot updates, two dirty-log syncs, two dirty-logging
 * toggles) sleeps on a wait queue until one event in `every` (a vCPU fault, a guest
 * access) asks for it, then acts once. Asleep it is not runnable, so a scheduler can make
 * it act neither more often than the events ask nor never while they do (a role that
 * spins on IDLE instead takes a step whenever the strategy lets it, whatever the events
 * ask). Requests that arrive while one is pending merge, as kswapd's wake-ups do.
 *
 * Not a kernel object: it stands for how often a userspace VMM issues an ioctl, measured
 * in the guest's own work. A rate parameter of a scenario (`memslotEvery`, `toggleEvery`,
 * ...) is 0 for the role's own pace (its IDLE pause) or N for this.
 */
import type { Op } from '../../rt/op.js';
import type { Task } from '../../rt/task.js';
import type { Arena } from '../../shm/arena.js';
import { WaitQueue, waitEvent, wakeUp } from '../../sync/index.js';
import { shared } from '../../rt/shared.js';
import { type RareEvent, rare } from '../../rt/rare.js';

/** The largest `every` a rate parameter takes. */
export const MAX_EVERY = 1_000_000;

export class OnDemand {
  readonly wq: WaitQueue;
  /** Requests not acted on yet (merged: the role acts once for all of them). */
  readonly pending: number;
  readonly i32: Int32Array;

  constructor(
    arena: Arena,
    /** The wait queue's name in traces and reports, e.g. 'vmm_memslot_wait'. */
    name: string,
    /** One event in this many, on average, asks the role to act (1: every event). */
    readonly every: number,
    /** The rare event one driving event may be (rt/rare.ts: the sim may place it instead of a coin). */
    readonly rareEvent: RareEvent,
  ) {
    if (!(Number.isInteger(every) && every >= 1)) throw new Error(`OnDemand ${name}: every must be a whole number >= 1, not ${every}`);
    this.wq = new WaitQueue(arena, name);
    this.pending = arena.region(`${name} requests`, 1);
    this.i32 = arena.i32;
  }

  /** One driving event (in the driving task): with probability 1/every (or where the sim places it), ask the role to act and wake it. */
  *event(self: Task): Op {
    if (!rare(self, this.rareEvent, this.every)) return;
    shared.add(this.i32, this.pending, 1);
    yield* wakeUp(this.wq);
  }

  /**
   * The role: sleep until a request comes or `running()` ends. True: act once (the
   * pending requests are taken); false: the drivers are gone, return.
   */
  *wait(running: () => boolean): Op<boolean> {
    yield* waitEvent(this.wq, () => shared.load(this.i32, this.pending) > 0 || !running());
    if (!running()) return false;
    shared.store(this.i32, this.pending, 0);
    return true;
  }

  /** Whoever ends `running()` (the last vCPU out) wakes the role so that it can return. */
  *stop(): Op {
    yield* wakeUp(this.wq);
  }
}

/** A userspace memslot update (KVM_SET_USER_MEMORY_REGION: create, move or delete), asked by a vCPU fault. */
export const MEMSLOT_UPDATE: RareEvent = { name: 'memslot-update', what: 'a memslot update', per: 'vCPU faults', param: 'memslotEvery' };
/** One KVM_GET_DIRTY_LOG of a migrating VMM, asked by a vCPU fault. */
export const DIRTY_LOG_SYNC: RareEvent = { name: 'dirty-log-sync', what: 'a KVM_GET_DIRTY_LOG', per: 'vCPU faults', param: 'dirtyLogEvery' };
/** Dirty logging turned on or off (a live migration starting or ending), asked by a guest access. */
export const LOG_TOGGLE: RareEvent = { name: 'log-toggle', what: 'a dirty-logging toggle', per: 'guest accesses', param: 'toggleEvery' };
