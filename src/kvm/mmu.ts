/**
 * The x86 MMU paths that fill and use the memory caches (arch/x86/kvm/mmu/mmu.c,
 * paging_tmpl.h): mmu_topup_memory_caches, kvm_mmu_load, direct_page_fault and the
 * nested shadow-paging fault, make_mmu_pages_available. Step order follows the kernel;
 * the v2 shrinker series' mmu_memory_cache_lock is taken where `protocol.cacheLock` says.
 */
import type { Op } from '../exec/op.js';
import { current, MODE_WRITE } from '../exec/task.js';
import { mutexLock, mutexUnlock, readOnce, writeLock, writeOnce, writeUnlock } from '../sync/index.js';
import { lockdepAssertHeld } from '../sync/lockdep.js';
import {
  ENOSPC,
  KVM_MIN_FREE_MMU_PAGES,
  KVM_REFILL_PAGES,
  PT64_ROOT_MAX_LEVEL,
  PTE_PREFETCH_NUM,
  RET_PF_FIXED,
  RET_PF_RETRY,
  RET_PF_SPURIOUS,
} from './constants.js';
import type { Kvm, Vcpu } from './kvm.js';
import {
  ROLE_DIRECT,
  ROLE_TDP,
  SP_PARENT,
  SP_PARENT_IDX,
  SP_ROOT_COUNT,
  SP_SPT,
  VM_L1_ROOT,
  VM_L2_ROOT,
  VM_N_MAX,
  VM_N_USED,
} from './kvm.js';
import { kvmMmuTopupMemoryCache } from './memory-cache.js';
import {
  isShadowPresentPte,
  kvmMmuAllocShadowPage,
  kvmMmuZapOldestMmuPages,
  makeLeafSpte,
  spteIndex,
  toShadowPage,
} from './mmu-page.js';
import { T_FAULT, T_FAULT_DONE, T_ROOT, T_SP_LINK } from './trace-ops.js';

export const FAULT_TDP = 0;
export const FAULT_DIRECT = 1;
export const FAULT_NESTED = 2;
export const FAULT_LOAD = 3;

/**
 * mmu_topup_memory_caches(vcpu, maybe_indirect): called before mmu_lock, may sleep.
 * Today's minimums (kvm-facts §2): 1 rmap + 1 parent PTE per level + prefetch; one
 * page table, shadowed-info page and header per level.
 */
export function* mmuTopupMemoryCaches(vcpu: Vcpu, maybeIndirect: boolean): Op<number> {
  let r = yield* kvmMmuTopupMemoryCache(vcpu.mmuPteListDescCache, 1 + PT64_ROOT_MAX_LEVEL + PTE_PREFETCH_NUM);
  if (r) return r;
  r = yield* kvmMmuTopupMemoryCache(vcpu.mmuShadowPageCache, PT64_ROOT_MAX_LEVEL);
  if (r) return r;
  if (maybeIndirect) {
    r = yield* kvmMmuTopupMemoryCache(vcpu.mmuShadowedInfoCache, PT64_ROOT_MAX_LEVEL);
    if (r) return r;
  }
  return yield* kvmMmuTopupMemoryCache(vcpu.mmuPageHeaderCache, PT64_ROOT_MAX_LEVEL);
}

/** v2: mutex_lock(&vcpu->arch.mmu_memory_cache_lock) just before the topup. */
export function* mmuCacheLockBeforeTopup(vcpu: Vcpu): Op {
  if (vcpu.kvm.world.protocol.cacheLock === 'before-topup') yield* mutexLock(vcpu.mmuMemoryCacheLock);
}

/** Mutation `lock-after-topup`: the same mutex, but only once the caches are full. */
export function* mmuCacheLockAfterTopup(vcpu: Vcpu): Op {
  if (vcpu.kvm.world.protocol.cacheLock === 'after-topup') yield* mutexLock(vcpu.mmuMemoryCacheLock);
}

/** The out_mmu_memory_cache_unlock label: drop the mutex if this fault took it. */
export function* mmuCacheUnlock(vcpu: Vcpu): Op {
  const lock = vcpu.mmuMemoryCacheLock;
  if (current.held.some((h) => h.lock === lock.id)) yield* mutexUnlock(lock);
}

/**
 * kvm_mmu_get_shadow_page() for a missing level (the model has no sp hash, so an
 * existing page is never found and a new one is always allocated) and
 * link_shadow_page(): install it in the parent SPTE. Runs under write_lock(mmu_lock).
 */
function* kvmMmuGetChildSp(vcpu: Vcpu, parent: number, idx: number, gfn: number, level: number, role: number, site: string): Op<number> {
  const w = vcpu.kvm.world;
  const sp = yield* kvmMmuAllocShadowPage(vcpu, gfn, level, role, site);
  w.setSp(sp, SP_PARENT, parent);
  w.setSp(sp, SP_PARENT_IDX, idx);
  yield* writeOnce(w.i32, w.spte(w.sp(parent, SP_SPT), idx), w.sp(sp, SP_SPT)); // link_shadow_page
  current.trace(T_SP_LINK, sp, level);
  return sp;
}

/**
 * for_each_shadow_entry() from the root of `rootSlot` down to the leaf, allocating a
 * shadow page for every missing level: the walk shared by direct_map() and
 * FNAME(fetch)().
 */
function* shadowMmuMap(vcpu: Vcpu, rootSlot: number, gfn: number, role: number, site: string): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_WRITE], `${site}()`);
  let sp = kvm.get(rootSlot);
  for (let level = w.config.levels; level > 1; level--) {
    const idx = spteIndex(gfn, level);
    const spte = yield* readOnce(w.i32, w.spte(w.sp(sp, SP_SPT), idx));
    if (isShadowPresentPte(spte)) {
      sp = toShadowPage(kvm, spte);
      continue;
    }
    sp = yield* kvmMmuGetChildSp(vcpu, sp, idx, gfn, level - 1, role, site);
  }
  const leaf = w.spte(w.sp(sp, SP_SPT), spteIndex(gfn, 1));
  if (isShadowPresentPte(yield* readOnce(w.i32, leaf))) return RET_PF_SPURIOUS;
  yield* writeOnce(w.i32, leaf, makeLeafSpte(gfn)); // mmu_set_spte
  return RET_PF_FIXED;
}

/** direct_map(): the shadow MMU's map for direct (non-nested, non-TDP-MMU) faults. */
export function* directMap(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowMmuMap(vcpu, VM_L1_ROOT, gfn, ROLE_DIRECT, 'direct_map');
}

/** FNAME(fetch)(): the nested (L2) shadow-paging map; its pages are indirect. */
export function* paging64Fetch(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowMmuMap(vcpu, VM_L2_ROOT, gfn, 0, 'FNAME(fetch)');
}

function kvmMmuAvailablePages(kvm: Kvm): number {
  return Math.max(kvm.get(VM_N_MAX) - kvm.get(VM_N_USED), 0);
}

/**
 * make_mmu_pages_available(): nothing while at least KVM_MIN_FREE_MMU_PAGES are
 * available, else zap the oldest down to KVM_REFILL_PAGES. Must hold mmu_lock for
 * write (the CVE-2022-45869 fix added that assertion).
 */
export function* makeMmuPagesAvailable(vcpu: Vcpu): Op<number> {
  const kvm = vcpu.kvm;
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_WRITE], 'make_mmu_pages_available()');
  const avail = kvmMmuAvailablePages(kvm);
  if (avail >= KVM_MIN_FREE_MMU_PAGES) return 0;
  yield* kvmMmuZapOldestMmuPages(kvm, KVM_REFILL_PAGES - avail);
  return kvmMmuAvailablePages(kvm) ? 0 : -ENOSPC;
}

export function faultBegin(gfn: number, kind: number): void {
  current.trace(T_FAULT, gfn, kind);
  current.count(kind === FAULT_LOAD ? 'mmu-loads' : 'faults');
}

export function faultEnd(r: number): number {
  current.trace(T_FAULT_DONE, r < 0 ? -r : r, 0);
  if (r === RET_PF_RETRY) current.count('faults-retried');
  if (r < 0) current.count('faults-failed');
  return r;
}

/**
 * direct_page_fault(): topup (may sleep) -> faultin pfn -> write_lock(mmu_lock) ->
 * make_mmu_pages_available -> direct_map -> unlock. The fast path and
 * kvm_faultin_pfn are not modeled (pfn = gfn), nor the staleness check.
 */
export function* directPageFault(vcpu: Vcpu, gfn: number): Op<number> {
  faultBegin(gfn, FAULT_DIRECT);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, false);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    r = RET_PF_RETRY;
    yield* writeLock(vcpu.kvm.mmuLock);
    if ((yield* makeMmuPagesAvailable(vcpu)) === 0) r = yield* directMap(vcpu, gfn);
    yield* writeUnlock(vcpu.kvm.mmuLock);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(r);
}

/** FNAME(page_fault)() for a nested (L2) fault: like direct_page_fault, topup with maybe_indirect. */
export function* paging64PageFault(vcpu: Vcpu, gfn: number): Op<number> {
  faultBegin(gfn, FAULT_NESTED);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, true);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    r = RET_PF_RETRY;
    yield* writeLock(vcpu.kvm.mmuLock);
    if ((yield* makeMmuPagesAvailable(vcpu)) === 0) r = yield* paging64Fetch(vcpu, gfn);
    yield* writeUnlock(vcpu.kvm.mmuLock);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(r);
}

/**
 * mmu_alloc_root(): find this VM's root for the role (roots are shared by vCPUs with
 * the same role) or allocate it from the caches; take a root_count reference.
 */
function* mmuAllocRoot(vcpu: Vcpu, slot: number, role: number): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  let sp = kvm.get(slot);
  if (!sp) {
    sp = yield* kvmMmuAllocShadowPage(vcpu, 0, w.config.levels, role, role & ROLE_TDP ? 'kvm_tdp_mmu_alloc_root' : 'mmu_alloc_root');
    kvm.set(slot, sp);
  }
  w.setSp(sp, SP_ROOT_COUNT, w.sp(sp, SP_ROOT_COUNT) + 1);
  current.trace(T_ROOT, sp, w.sp(sp, SP_ROOT_COUNT));
  return sp;
}

/**
 * kvm_mmu_load(): topup (maybe_indirect = !root_role.direct), then under
 * write_lock(mmu_lock) mmu_alloc_direct_roots() or mmu_alloc_shadow_roots().
 * `nested` loads the L2 (indirect) MMU instead of L1's.
 */
export function* kvmMmuLoad(vcpu: Vcpu, nested: boolean): Op<number> {
  faultBegin(0, FAULT_LOAD);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, nested);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    yield* writeLock(vcpu.kvm.mmuLock);
    if (nested) yield* mmuAllocRoot(vcpu, VM_L2_ROOT, 0);
    else yield* mmuAllocRoot(vcpu, VM_L1_ROOT, vcpu.kvm.world.config.tdp ? ROLE_TDP | ROLE_DIRECT : ROLE_DIRECT);
    yield* writeUnlock(vcpu.kvm.mmuLock);
    r = RET_PF_FIXED;
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(r);
}
