/**
 * The x86 MMU paths that fill and use the memory caches (arch/x86/kvm/mmu/mmu.c,
 * paging_tmpl.h): mmu_topup_memory_caches, kvm_mmu_load, direct_page_fault and the
 * nested shadow-paging fault, make_mmu_pages_available. Step order follows the kernel;
 * the v2 shrinker series' mmu_memory_cache_lock is taken where `protocol.cacheLock` says.
 */
import { reportViolation } from '../check/violation.js';
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
  SP_LEVEL,
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
import { kvmTdpMmuAllocRoot } from './tdp-mmu.js';
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
 * kvm_mmu_get_child_sp() -> kvm_mmu_get_shadow_page() for a missing level. The model
 * has no shadow-page hash, so an existing page is never found and a new one is always
 * allocated from the vCPU's caches.
 */
function* kvmMmuGetChildSp(vcpu: Vcpu, gfn: number, level: number, role: number, site: string): Op<number> {
  return yield* kvmMmuAllocShadowPage(vcpu, gfn, level, role, site);
}

/** link_shadow_page(): point the parent SPTE at the child's page table. */
function* linkShadowPage(vcpu: Vcpu, parent: number, idx: number, sp: number): Op {
  const w = vcpu.kvm.world;
  w.setSp(sp, SP_PARENT, parent);
  w.setSp(sp, SP_PARENT_IDX, idx);
  yield* writeOnce(w.i32, w.spte(w.sp(parent, SP_SPT), idx), w.sp(sp, SP_SPT));
  current.trace(T_SP_LINK, sp, w.sp(sp, SP_LEVEL));
}

/**
 * for_each_shadow_entry() from the root of `rootSlot` down to the leaf, getting and
 * linking a shadow page for every missing level, then mmu_set_spte(): the walk shared
 * by direct_map() and FNAME(fetch)().
 */
function* shadowMmuMap(vcpu: Vcpu, rootSlot: number, gfn: number, role: number, site: string): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_WRITE], `${site}()`);
  let sp = kvm.get(rootSlot);
  if (!sp) return noRoot(site);
  for (let level = w.config.levels; level > 1; level--) {
    const idx = spteIndex(gfn, level);
    const spte = yield* readOnce(w.i32, w.spte(w.sp(sp, SP_SPT), idx));
    if (isShadowPresentPte(spte)) {
      sp = toShadowPage(kvm, spte);
      continue;
    }
    const child = yield* kvmMmuGetChildSp(vcpu, gfn, level - 1, role, site);
    yield* linkShadowPage(vcpu, sp, idx, child);
    sp = child;
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

/**
 * The paging_tmpl.h flavour of a nested fault: ept_* for an L2 guest on nested EPT
 * (the TDP MMU is on), paging64_* when L1 itself runs on shadow paging.
 */
function pttype(vcpu: Vcpu): string {
  return vcpu.kvm.world.config.tdp ? 'ept' : 'paging64';
}

/** FNAME(fetch)(): the nested (L2) shadow-paging map; its pages are indirect. */
export function* fnameFetch(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowMmuMap(vcpu, VM_L2_ROOT, gfn, 0, `${pttype(vcpu)}_fetch`);
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

export function faultEnd(r: number, kind: number): number {
  current.trace(T_FAULT_DONE, r, 0);
  if (r === RET_PF_RETRY) current.count('faults-retried');
  if (r < 0) current.count(kind === FAULT_LOAD ? 'mmu-loads-failed' : 'faults-failed');
  return r;
}

/** A fault that finds no root: kvm_mmu_load() must have run (and succeeded) first. */
export function noRoot(site: string): number {
  reportViolation('invariant', `${current.name}: ${site}() with no root loaded (INVALID_PAGE)`, [
    'kvm_mmu_load() did not run or failed, and the vCPU faulted anyway',
  ]);
  return RET_PF_RETRY;
}

/**
 * direct_page_fault() and FNAME(page_fault)() take the same steps: topup (may sleep)
 * -> faultin pfn -> write_lock(mmu_lock) -> make_mmu_pages_available -> direct_map or
 * FNAME(fetch) -> unlock. The fast path, kvm_faultin_pfn (pfn = gfn) and the staleness
 * check are not modeled.
 */
function* shadowPageFault(vcpu: Vcpu, gfn: number, nested: boolean): Op<number> {
  faultBegin(gfn, nested ? FAULT_NESTED : FAULT_DIRECT);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, nested);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    yield* writeLock(vcpu.kvm.mmuLock);
    r = yield* makeMmuPagesAvailable(vcpu);
    if (r === 0) r = nested ? yield* fnameFetch(vcpu, gfn) : yield* directMap(vcpu, gfn);
    yield* writeUnlock(vcpu.kvm.mmuLock);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(r, nested ? FAULT_NESTED : FAULT_DIRECT);
}

/** direct_page_fault(): an L1 fault with the TDP MMU off. */
export function* directPageFault(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowPageFault(vcpu, gfn, false);
}

/** FNAME(page_fault)(): a nested (L2) fault, topped up with maybe_indirect. */
export function* fnamePageFault(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowPageFault(vcpu, gfn, true);
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
    sp = yield* kvmMmuAllocShadowPage(vcpu, 0, w.config.levels, role, 'mmu_alloc_root');
    kvm.set(slot, sp);
  }
  w.setSp(sp, SP_ROOT_COUNT, w.sp(sp, SP_ROOT_COUNT) + 1);
  current.trace(T_ROOT, sp, w.sp(sp, SP_ROOT_COUNT));
  return sp;
}

/**
 * mmu_alloc_direct_roots() / mmu_alloc_shadow_roots(): under write_lock(mmu_lock),
 * make_mmu_pages_available() then mmu_alloc_root(). With the TDP MMU on, the direct
 * root comes from kvm_tdp_mmu_alloc_root() under the read lock instead.
 */
function* mmuAllocRoots(vcpu: Vcpu, nested: boolean): Op<number> {
  if (!nested && vcpu.kvm.world.config.tdp) return yield* kvmTdpMmuAllocRoot(vcpu);
  yield* writeLock(vcpu.kvm.mmuLock);
  const r = yield* makeMmuPagesAvailable(vcpu);
  if (r === 0) yield* mmuAllocRoot(vcpu, nested ? VM_L2_ROOT : VM_L1_ROOT, nested ? 0 : ROLE_DIRECT);
  yield* writeUnlock(vcpu.kvm.mmuLock);
  return r;
}

/**
 * kvm_mmu_load(): topup (maybe_indirect = !root_role.direct), then the roots.
 * `nested` loads the L2 (indirect) MMU instead of L1's.
 */
export function* kvmMmuLoad(vcpu: Vcpu, nested: boolean): Op<number> {
  faultBegin(0, FAULT_LOAD);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, nested);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    r = yield* mmuAllocRoots(vcpu, nested);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(r === 0 ? RET_PF_FIXED : r, FAULT_LOAD);
}
