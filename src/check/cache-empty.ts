/**
 * Oracle `cache-empty-under-lock`: an allocation from an empty memory cache while
 * holding mmu_lock (or any other lock that spins). The whole point of the caches is
 * that sleeping allocations happen before mmu_lock; an empty cache under the lock
 * means something emptied it between the topup and the allocation, or the topup
 * minimum was too small.
 */
import type { Task } from '../exec/task.js';
import { MODE_NAMES } from '../exec/task.js';
import type { KvmMmuMemoryCache } from '../virt/kvm/memory-cache.js';
import { isAtomicMode } from '../sync/lockdep.js';
import { heldLocks, lockLabel, reportViolation, taskLabel } from './violation.js';

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
    h.lastTopup
      ? `last topup of ${mc.field}: step ${h.lastTopup.step}, ${h.lastTopup.from} -> ${h.lastTopup.to} objects (mmu_topup_memory_caches)`
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
