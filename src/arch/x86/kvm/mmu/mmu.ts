/**
 * The x86 MMU paths that fill and use the memory caches (arch/x86/kvm/mmu/mmu.c,
 * paging_tmpl.h): mmu_topup_memory_caches, kvm_mmu_load and the roots,
 * kvm_tdp_page_fault, direct_page_fault and FNAME(page_fault), make_mmu_pages_available.
 * Step order follows the kernel; the v2 shrinker series' mmu_memory_cache_lock is
 * taken where `protocol.cacheLock` says.
 */
import type { Op } from '../../../../rt/op.js';
import { current } from '../../../../rt/task.js';
import { mutexLock, mutexUnlock, readLock, readOnce, readUnlock, writeLock, writeOnce, writeUnlock } from '../../../../sync/index.js';
import {
  KVM_MIN_FREE_MMU_PAGES,
  KVM_REFILL_PAGES,
  PT64_ROOT_MAX_LEVEL,
  PTE_PREFETCH_NUM,
  RET_PF_FIXED,
  RET_PF_RETRY,
  RET_PF_SPURIOUS,
} from './constants.js';
import { type Kvm, mmuIsDirect, type TopupMinimums, tdpMmuEnabled, type Vcpu, VENDOR_INTEL } from '../kvm-host.js';
import {
  PT_BITS,
  ROLE_DIRECT,
  ROLE_GUEST_MODE,
  SP_LEVEL,
  SP_ROOT_COUNT,
  SP_SPT,
  VM_L1_ROOT,
  VM_L2_ROOT,
  VM_MMU_VALID_GEN,
  VM_N_MAX,
  VM_N_USED,
} from '../kvm-host.js';
import { ENOSPC } from '../../../../virt/kvm/constants.js';
import { kvmMmuTopupMemoryCache } from '../../../../virt/kvm/memory-cache.js';
import { rmapAdd } from './rmap.js';
import { kvmTdpMmuAllocRoot, kvmTdpMmuMap } from './tdp-mmu.js';
import {
  isShadowPresentPte,
  kvmMmuAllocShadowPage,
  kvmMmuZapOldestMmuPages,
  makeLeafSpte,
  spteIndex,
  toShadowPage,
  kvmMmuFindShadowPage,
  mmuPageAddParentPte,
  noRoot,
} from './mmu-page.js';
import {
  FAULT_DIRECT,
  FAULT_EPT,
  FAULT_FNS,
  FAULT_L2,
  FAULT_LOAD,
  FAULT_PAGING64,
  FAULT_TDP_MMU,
  T_FAULT,
  T_FAULT_DONE,
  T_ROOT,
  T_SP_LINK,
} from './trace-ops.js';


/**
 * Today's minimums (arch/x86/kvm/mmu/mmu.c: mmu_topup_memory_caches(); docs/kernel-facts.md §2): 1 rmap + 1 parent PTE per level + the prefetched
 * rmaps; one page table, shadowed-info page and header per level.
 */
export const TOPUP_TODAY: TopupMinimums = {
  rmaps: 1 + PT64_ROOT_MAX_LEVEL + PTE_PREFETCH_NUM,
  pages: PT64_ROOT_MAX_LEVEL,
  shadowedInfo: PT64_ROOT_MAX_LEVEL,
  headers: PT64_ROOT_MAX_LEVEL,
};

/**
 * The minimums this run tops up to, as statistics beside `max-per-fault:<cache>`:
 * `max-topup-minimum:<cache>` (0 for mmu_shadowed_info_cache when the gfn arrays come
 * from the page cache). Recorded once per vCPU.
 */
export function recordTopupMinimums(vcpu: Vcpu): void {
  const min = vcpu.kvm.world.protocol.topup ?? TOPUP_TODAY;
  const values = [min.rmaps, min.pages, min.shadowedInfo ?? 0, min.headers]; // caches() order
  const caches = vcpu.caches();
  for (let k = 0; k < caches.length; k++) current.max(`max-topup-minimum:${caches[k].field}`, values[k]);
}

/** mmu_topup_memory_caches(vcpu, maybe_indirect): called before mmu_lock, may sleep; the minimums are `protocol.topup`. */
export function* mmuTopupMemoryCaches(vcpu: Vcpu, maybeIndirect: boolean): Op<number> {
  const min = vcpu.kvm.world.protocol.topup ?? TOPUP_TODAY;
  let r = yield* kvmMmuTopupMemoryCache(vcpu.mmuPteListDescCache, min.rmaps);
  if (r) return r;
  r = yield* kvmMmuTopupMemoryCache(vcpu.mmuShadowPageCache, min.pages);
  if (r) return r;
  if (maybeIndirect && min.shadowedInfo !== null) {
    r = yield* kvmMmuTopupMemoryCache(vcpu.mmuShadowedInfoCache, min.shadowedInfo);
    if (r) return r;
  }
  return yield* kvmMmuTopupMemoryCache(vcpu.mmuPageHeaderCache, min.headers);
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
 * The gfn a level-`level` shadow page is known by: for a direct page, the first gfn of the
 * range it maps (base_gfn); for an indirect one, the gfn of the guest page table it
 * shadows, which the model's guests place by the range that table maps (their page
 * tables are not in guest memory, and no guest table sits under two entries).
 */
function spGfn(gfn: number, level: number): number {
  const shift = PT_BITS * level;
  return shift >= 31 ? 0 : gfn - (gfn % 2 ** shift);
}

/**
 * kvm_mmu_get_child_sp() -> kvm_mmu_get_shadow_page(): the shadow page for this gfn and
 * role if one lives (kvm_mmu_find_shadow_page: a page whose parent was zapped stays in
 * the hash until it is zapped itself), else a new one from the vCPU's caches.
 */
function* kvmMmuGetChildSp(vcpu: Vcpu, gfn: number, level: number, role: number, site: string): Op<number> {
  const found = kvmMmuFindShadowPage(vcpu.kvm, spGfn(gfn, level), level, role);
  if (found) {
    current.count('sp-found');
    return found;
  }
  return yield* kvmMmuAllocShadowPage(vcpu, spGfn(gfn, level), level, role, site);
}

/** link_shadow_page(): point the parent SPTE at the child's page table, then mmu_page_add_parent_pte(). */
function* linkShadowPage(vcpu: Vcpu, parent: number, idx: number, sp: number): Op {
  const w = vcpu.kvm.world;
  const sptep = w.spte(w.sp(parent, SP_SPT), idx);
  yield* writeOnce(w.i32, sptep, w.sp(sp, SP_SPT));
  yield* mmuPageAddParentPte(vcpu, sp, sptep);
  current.trace(T_SP_LINK, sp, w.sp(sp, SP_LEVEL));
}

/**
 * for_each_shadow_entry() from the root of `rootSlot` down to the leaf for `gfn` (the
 * address the guest faulted on), getting and linking a shadow page for every missing
 * level, then mmu_set_spte(): the leaf maps `leafGfnOf(gfn)` (the L1 gfn behind it) and
 * joins its rmap; then the neighbours are prefetched. The walk shared by direct_map() and FNAME(fetch)(). Like them it asserts
 * nothing about mmu_lock: the write-lock assertion sits in __kvm_mmu_prepare_zap_page().
 */
function* shadowMmuMap(vcpu: Vcpu, rootSlot: number, gfn: number, leafGfnOf: (gfn: number) => number, role: number, site: string): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  let sp = kvm.get(rootSlot);
  // Mutation `roots-in-fault-pre-2020`: the fault allocates a missing root from its own caches.
  if (!sp && w.protocol.rootsInFault) sp = yield* mmuAllocRoot(vcpu, rootSlot, role);
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
  yield* writeOnce(w.i32, leaf, makeLeafSpte(leafGfnOf(gfn))); // mmu_set_spte
  yield* rmapAdd(vcpu, leaf, leafGfnOf(gfn));
  yield* ptePrefetch(vcpu, sp, gfn, leafGfnOf);
  return RET_PF_FIXED;
}

/**
 * direct_pte_prefetch() / FNAME(pte_prefetch)(): map the other non-present SPTEs of the
 * PTE_PREFETCH_NUM-aligned block around the faulting one, each with mmu_set_spte() and
 * rmap_add(): up to PTE_PREFETCH_NUM - 1 more rmaps in one fault, which is why the
 * rmap minimum counts PTE_PREFETCH_NUM.
 */
function* ptePrefetch(vcpu: Vcpu, sp: number, gfn: number, leafGfnOf: (gfn: number) => number): Op {
  const w = vcpu.kvm.world;
  const spt = w.sp(sp, SP_SPT);
  const offset = spteIndex(gfn, 1) & (PTE_PREFETCH_NUM - 1);
  for (let i = 0; i < PTE_PREFETCH_NUM; i++) {
    if (i === offset) continue;
    const g = gfn - offset + i;
    const sptep = w.spte(spt, spteIndex(g, 1));
    if (isShadowPresentPte(yield* readOnce(w.i32, sptep))) continue;
    yield* writeOnce(w.i32, sptep, makeLeafSpte(leafGfnOf(g)));
    yield* rmapAdd(vcpu, sptep, leafGfnOf(g));
    current.count('prefetched');
  }
}

/** direct_map(): the shadow MMU's map for direct (non-nested, non-TDP-MMU) faults. */
export function* directMap(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowMmuMap(vcpu, VM_L1_ROOT, gfn, (g) => g, ROLE_DIRECT, 'direct_map');
}

/**
 * The paging_tmpl.h flavour of a shadow-paging fault. A nested guest's TDP tables are
 * shadowed by ept_* on Intel (nested EPT) and by paging64_* on AMD (nested NPT uses the
 * host's page-table format); an L1 guest on shadow paging (tdp_enabled off) is shadowed
 * by paging64_* (a 64-bit guest), and so is its nested guest, EPT/NPT being unavailable.
 */
function pagingFlavour(vcpu: Vcpu, nested: boolean): number {
  const c = vcpu.kvm.world.config;
  return nested && c.tdpEnabled && c.vendor === VENDOR_INTEL ? FAULT_EPT : FAULT_PAGING64;
}

/**
 * The L1 gfn behind a nested guest's gfn, as its page tables (walked by FNAME(walk_addr))
 * say: `aliases` consecutive L2 gfns map one L1 gfn, as firmware remapping flash below
 * 1 MiB does; without aliasing, the same gfn; with `nestedScatter`, anywhere in L1 memory.
 */
function l2GfnToL1(vcpu: Vcpu, gfn: number): number {
  const c = vcpu.kvm.world.config;
  if (c.nestedScatter) return (Math.imul(gfn + 1, 0x9e3779b1) >>> 0) % (c.guestMemMiB * 256);
  return Math.floor(gfn / (c.aliases ?? 1));
}

/** FNAME(fetch)(): the shadow-paging map over indirect pages, from the L1 or the nested (L2) root. */
export function* fnameFetch(vcpu: Vcpu, gfn: number, nested: boolean): Op<number> {
  const fn = FAULT_FNS[pagingFlavour(vcpu, nested)].replace('page_fault', 'fetch');
  return yield* shadowMmuMap(vcpu, nested ? VM_L2_ROOT : VM_L1_ROOT, gfn, nested ? (g) => l2GfnToL1(vcpu, g) : (g) => g, nested ? ROLE_GUEST_MODE : 0, fn);
}

function kvmMmuAvailablePages(kvm: Kvm): number {
  return Math.max(kvm.get(VM_N_MAX) - kvm.get(VM_N_USED), 0);
}

/**
 * make_mmu_pages_available(): nothing while at least KVM_MIN_FREE_MMU_PAGES are
 * available, else zap the oldest to refill KVM_REFILL_PAGES; -ENOSPC only if not even
 * one page came free. It asserts nothing itself: the write-lock assertion of the
 * CVE-2022-45869 fix is in __kvm_mmu_prepare_zap_page(), reached only when a page is
 * really zapped.
 */
export function* makeMmuPagesAvailable(vcpu: Vcpu): Op<number> {
  const kvm = vcpu.kvm;
  const avail = kvmMmuAvailablePages(kvm);
  if (avail >= KVM_MIN_FREE_MMU_PAGES) return 0;
  yield* kvmMmuZapOldestMmuPages(kvm, KVM_REFILL_PAGES - avail);
  return kvmMmuAvailablePages(kvm) ? 0 : -ENOSPC;
}

/** Traced as `FAULT_FNS[kind](gfn)`; a nested (L2) fault says so. */
export function faultBegin(vcpu: Vcpu, gfn: number, kind: number, nested: boolean): void {
  current.trace(T_FAULT, gfn, kind | (nested ? FAULT_L2 : 0));
  current.count(kind === FAULT_LOAD ? 'mmu-loads' : 'faults');
  const caches = vcpu.caches();
  for (let k = 0; k < caches.length; k++) vcpu.faultStart[k] = caches[k].handedOut;
}

/**
 * A fault or load that returns anything but RET_PF_RETRY is done: a progress mark. A
 * fault also records, per cache, the most objects one fault took from it (statistic
 * `max-per-fault:<cache>`): the number the topup minimums must cover.
 */
export function faultEnd(vcpu: Vcpu, r: number, kind: number): number {
  current.trace(T_FAULT_DONE, r, 0);
  if (kind !== FAULT_LOAD) {
    const caches = vcpu.caches();
    for (let k = 0; k < caches.length; k++) current.max(caches[k].mostPerFaultStat, caches[k].handedOut - vcpu.faultStart[k]);
  }
  if (r === RET_PF_RETRY) current.count('faults-retried');
  else current.progress();
  if (r < 0) current.count(kind === FAULT_LOAD ? 'mmu-loads-failed' : 'faults-failed');
  return r;
}

/**
 * is_page_fault_stale(): the root this vCPU loaded was made obsolete (mmu_valid_gen
 * moved on: kvm_mmu_zap_all_fast) and is gone; the fault is retried after a reload.
 * The model keeps the generation a vCPU loaded its root under, not one per shadow page.
 */
function isPageFaultStale(vcpu: Vcpu, nested: boolean): boolean {
  const kvm = vcpu.kvm;
  return kvm.get(nested ? VM_L2_ROOT : VM_L1_ROOT) === 0 && vcpu.loadedGen[nested ? 1 : 0] !== kvm.get(VM_MMU_VALID_GEN);
}

/**
 * direct_page_fault() and FNAME(page_fault)() take the same steps: topup (may sleep;
 * maybe_indirect for shadow paging) -> faultin pfn -> write_lock(mmu_lock) -> staleness
 * check -> make_mmu_pages_available -> direct_map or FNAME(fetch) -> unlock. The fast
 * path and kvm_faultin_pfn (pfn = gfn) are not modeled.
 */
function* shadowPageFault(vcpu: Vcpu, gfn: number, kind: number, nested: boolean): Op<number> {
  faultBegin(vcpu, gfn, kind, nested);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, kind !== FAULT_DIRECT);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    yield* writeLock(vcpu.kvm.mmuLock);
    if (!vcpu.kvm.world.protocol.rootsInFault && isPageFaultStale(vcpu, nested)) r = RET_PF_RETRY;
    else r = yield* makeMmuPagesAvailable(vcpu);
    if (r === 0) r = kind === FAULT_DIRECT ? yield* directMap(vcpu, gfn) : yield* fnameFetch(vcpu, gfn, nested);
    yield* writeUnlock(vcpu.kvm.mmuLock);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(vcpu, r, kind);
}

/** direct_page_fault(): tdp_enabled without the TDP MMU (direct shadow pages, write lock). */
export function* directPageFault(vcpu: Vcpu, gfn: number): Op<number> {
  return yield* shadowPageFault(vcpu, gfn, FAULT_DIRECT, false);
}

/**
 * FNAME(page_fault)(): shadow paging over indirect pages: a nested guest's fault
 * (ept_page_fault or paging64_page_fault by vendor), or an L1 fault with tdp_enabled off.
 */
export function* fnamePageFault(vcpu: Vcpu, gfn: number, nested: boolean): Op<number> {
  return yield* shadowPageFault(vcpu, gfn, pagingFlavour(vcpu, nested), nested);
}

/**
 * kvm_tdp_mmu_page_fault(): topup -> faultin pfn -> read_lock(mmu_lock) ->
 * kvm_tdp_mmu_map -> read_unlock. No make_mmu_pages_available (TDP MMU pages are not
 * limited by n_max_mmu_pages). Before the CVE-2022-45869 fix (47b0c2e4c220) the TDP MMU
 * fault went through direct_page_fault(), which called make_mmu_pages_available()
 * under the read lock and so could zap nested shadow pages concurrently:
 * `protocol.tdpFaultMakesPagesAvailable` puts that call back.
 */
export function* kvmTdpMmuPageFault(vcpu: Vcpu, gfn: number): Op<number> {
  faultBegin(vcpu, gfn, FAULT_TDP_MMU, false);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, false);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    yield* readLock(vcpu.kvm.mmuLock);
    if (vcpu.kvm.world.protocol.tdpFaultMakesPagesAvailable) r = yield* makeMmuPagesAvailable(vcpu);
    if (r === 0) r = yield* kvmTdpMmuMap(vcpu, gfn);
    yield* readUnlock(vcpu.kvm.mmuLock);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(vcpu, r, FAULT_TDP_MMU);
}

/** kvm_tdp_page_fault(): the TDP MMU's fault when it is enabled, else direct_page_fault(). */
export function* kvmTdpPageFault(vcpu: Vcpu, gfn: number): Op<number> {
  if (tdpMmuEnabled(vcpu.kvm.world.config)) return yield* kvmTdpMmuPageFault(vcpu, gfn);
  return yield* directPageFault(vcpu, gfn);
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
  vcpu.loadedGen[slot === VM_L2_ROOT ? 1 : 0] = kvm.get(VM_MMU_VALID_GEN); // the root's mmu_valid_gen, as this vCPU took it
  current.trace(T_ROOT, sp, w.sp(sp, SP_ROOT_COUNT));
  return sp;
}

/**
 * mmu_alloc_direct_roots() / mmu_alloc_shadow_roots(): under write_lock(mmu_lock),
 * make_mmu_pages_available() then mmu_alloc_root(). A direct root with the TDP MMU
 * comes from kvm_tdp_mmu_alloc_root() under the read lock instead. L1's root is direct
 * with tdp_enabled, a shadow-paging (indirect) root without; a nested root is indirect.
 */
function* mmuAllocRoots(vcpu: Vcpu, nested: boolean): Op<number> {
  const c = vcpu.kvm.world.config;
  const direct = mmuIsDirect(c, nested);
  if (direct && tdpMmuEnabled(c)) return yield* kvmTdpMmuAllocRoot(vcpu);
  yield* writeLock(vcpu.kvm.mmuLock);
  const r = yield* makeMmuPagesAvailable(vcpu);
  if (r === 0) yield* mmuAllocRoot(vcpu, nested ? VM_L2_ROOT : VM_L1_ROOT, (direct ? ROLE_DIRECT : 0) | (nested ? ROLE_GUEST_MODE : 0));
  yield* writeUnlock(vcpu.kvm.mmuLock);
  return r;
}

/**
 * kvm_mmu_load(): topup (maybe_indirect = !root_role.direct), then the roots.
 * `nested` loads the L2 (indirect) MMU instead of L1's.
 */
export function* kvmMmuLoad(vcpu: Vcpu, nested: boolean): Op<number> {
  faultBegin(vcpu, 0, FAULT_LOAD, nested);
  const direct = mmuIsDirect(vcpu.kvm.world.config, nested);
  yield* mmuCacheLockBeforeTopup(vcpu);
  let r = yield* mmuTopupMemoryCaches(vcpu, !direct);
  if (r === 0) {
    yield* mmuCacheLockAfterTopup(vcpu);
    r = yield* mmuAllocRoots(vcpu, nested);
  }
  yield* mmuCacheUnlock(vcpu);
  return faultEnd(vcpu, r === 0 ? RET_PF_FIXED : r, FAULT_LOAD);
}

/**
 * kvm_mmu_reload() at guest entry: is this vCPU's root for the L1 (or nested) MMU gone
 * (zapped by kvm_mmu_zap_all_fast), so that kvm_mmu_load() must run before the next fault?
 */
export function kvmMmuRootGone(vcpu: Vcpu, nested: boolean): boolean {
  const c = vcpu.kvm.world.config;
  if (!nested && tdpMmuEnabled(c)) return false; // TDP MMU roots are never zapped in the model
  return vcpu.kvm.get(nested ? VM_L2_ROOT : VM_L1_ROOT) === 0;
}
