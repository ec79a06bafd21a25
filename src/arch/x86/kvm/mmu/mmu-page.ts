/**
 * Shadow pages (struct kvm_mmu_page) and their page tables: allocation from the
 * vCPU caches, active_mmu_pages, zapping. Mirrors arch/x86/kvm/mmu/mmu.c.
 */
import { reportViolation } from '../../../../rt/oracle.js';
import { POINT, type Op } from '../../../../rt/op.js';
import { current, MODE_WRITE } from '../../../../rt/task.js';
import { checkZapOrder, type ZapCandidate } from '../../../../check/zap-order.js';
import { pteListAdd, pteListRemove, rmapEntries, rmapRemove } from './rmap.js';
import { lockdepAssertHeld } from '../../../../sync/lockdep.js';
import { type Kvm, tdpMmuEnabled, type Vcpu } from '../kvm-host.js';
import { writeLock, writeUnlock } from '../../../../sync/index.js';
import {
  PT_BITS,
  PT_ENTRIES,
  ROLE_DIRECT,
  ROLE_GUEST_MODE,
  ROLE_TDP,
  SP_GFN,
  SP_BIRTH,
  SP_LEVEL,
  SP_NEXT,
  SP_HASH_NEXT,
  SP_PARENT_PTES,
  SP_PREV,
  SP_ROLE,
  SP_ROOT_COUNT,
  SP_SHADOWED,
  SP_SPT,
  SP_VM,
  VM_ACTIVE_HEAD,
  VM_ACTIVE_TAIL,
  VM_L1_ROOT,
  VM_L2_ROOT,
  VM_MMU_VALID_GEN,
  VM_N_MAX,
  VM_N_USED,
  VM_SP_BIRTHS,
  KVM_NUM_MMU_PAGES,
} from '../kvm-host.js';
import { freeObject, kvmMmuMemoryCacheAlloc } from '../../../../virt/kvm/memory-cache.js';
import { T_SP_ALLOC, T_SP_ZAP } from './trace-ops.js';
import { RET_PF_RETRY } from './constants.js';
import { shared } from '../../../../rt/shared.js';

/** A present leaf SPTE: bit 30 set, the gfn below (page indices stay under 2^30). */
export const SPTE_LEAF = 1 << 30;

export function isShadowPresentPte(spte: number): boolean {
  return spte !== 0;
}

export function isLastSpte(spte: number): boolean {
  return (spte & SPTE_LEAF) !== 0;
}

export function makeLeafSpte(gfn: number): number {
  return SPTE_LEAF | (gfn & (SPTE_LEAF - 1));
}

/** The gfn a leaf SPTE maps (pfn = gfn in the model). */
export function spteGfn(spte: number): number {
  return spte & (SPTE_LEAF - 1);
}

/** SPTE_INDEX(gfn, level): which entry of a level-`level` table maps `gfn`. */
export function spteIndex(gfn: number, level: number): number {
  const shift = PT_BITS * (level - 1);
  // gfns stay below 2^31 (guest memory <= 4 TiB), so levels above 4 index entry 0
  return shift >= 31 ? 0 : (gfn >>> shift) & (PT_ENTRIES - 1);
}

/** sptep_to_sp / to_shadow_page: the kvm_mmu_page whose spt is `page`. */
export function toShadowPage(kvm: Kvm, page: number): number {
  return shared.load(kvm.world.i32, kvm.world.pagePrivate + page);
}

/**
 * kvm_mmu_alloc_shadow_page(): header from mmu_page_header_cache, spt from
 * mmu_shadow_page_cache, shadowed_translation from mmu_shadowed_info_cache only for
 * indirect pages; then list_add at the head of active_mmu_pages and account it.
 * tdp_mmu_alloc_sp() is the same minus the shadowed info and the list.
 */
export function* kvmMmuAllocShadowPage(vcpu: Vcpu, gfn: number, level: number, role: number, site: string): Op<number> {
  const w = vcpu.kvm.world;
  const sp = yield* kvmMmuMemoryCacheAlloc(vcpu.mmuPageHeaderCache, site);
  const spt = yield* kvmMmuMemoryCacheAlloc(vcpu.mmuShadowPageCache, site);
  // sp->shadowed_translation (sp->gfns before 2020, taken from the page cache itself)
  const infoCache = w.protocol.topup?.shadowedInfo === null ? vcpu.mmuShadowPageCache : vcpu.mmuShadowedInfoCache;
  const shadowed = role & ROLE_DIRECT ? 0 : yield* kvmMmuMemoryCacheAlloc(infoCache, site);
  w.i32.fill(0, w.spHeaders.data(sp), w.spHeaders.data(sp) + w.spHeaders.dataWords);
  w.setSp(sp, SP_SPT, spt);
  w.setSp(sp, SP_SHADOWED, shadowed);
  w.setSp(sp, SP_GFN, gfn);
  w.setSp(sp, SP_LEVEL, level);
  w.setSp(sp, SP_ROLE, role);
  w.setSp(sp, SP_VM, vcpu.kvm.id);
  shared.store(w.i32, w.pagePrivate + spt, sp); // set_page_private(virt_to_page(sp->spt), sp)
  if (!(role & ROLE_TDP)) {
    w.setSp(sp, SP_BIRTH, shared.add(w.i32, vcpu.kvm.base + VM_SP_BIRTHS, 1) + 1);
    hashAdd(vcpu.kvm, sp);
    listAddActive(vcpu.kvm, sp);
    shared.add(w.i32, vcpu.kvm.base + VM_N_USED, 1); // kvm_account_mmu_page
  }
  current.trace(T_SP_ALLOC, sp, level);
  current.count('sp-alloc');
  return sp;
}

/** kvm_page_table_hashfn(): the mmu_page_hash bucket of a gfn. */
function kvmPageTableHashfn(gfn: number): number {
  return (Math.imul(gfn + 1, 0x9e3779b1) >>> 0) % KVM_NUM_MMU_PAGES;
}

/** hlist_add_head(&sp->hash_link, &kvm->arch.mmu_page_hash[...]). */
function hashAdd(kvm: Kvm, sp: number): void {
  const w = kvm.world;
  const bucket = kvm.mmuPageHash + kvmPageTableHashfn(w.sp(sp, SP_GFN));
  w.setSp(sp, SP_HASH_NEXT, shared.load(w.i32, bucket));
  shared.store(w.i32, bucket, sp);
}

/** hlist_del(&sp->hash_link). */
function hashDel(kvm: Kvm, sp: number): void {
  const w = kvm.world;
  const bucket = kvm.mmuPageHash + kvmPageTableHashfn(w.sp(sp, SP_GFN));
  let prev = 0;
  for (let p = shared.load(w.i32, bucket); p; prev = p, p = w.sp(p, SP_HASH_NEXT)) {
    if (p !== sp) continue;
    if (prev) w.setSp(prev, SP_HASH_NEXT, w.sp(sp, SP_HASH_NEXT));
    else shared.store(w.i32, bucket, w.sp(sp, SP_HASH_NEXT));
    return;
  }
  // Only a zap that raced another under the read lock (the CVE-2022-45869 mutation, already
  // reported as lock-not-held) leaves a page out of its bucket: corruption, not a harness bug.
  reportViolation('invariant', `${current.name}: sp${sp} is not in its mmu_page_hash bucket: the hash list was corrupted`, [
    'pages are added to and removed from kvm->arch.mmu_page_hash only under write_lock(mmu_lock)',
  ]);
}

/**
 * kvm_mmu_find_shadow_page(): a live shadow page for `gfn` with this role and level, or 0.
 * (The kernel also skips obsolete pages; kvm_mmu_zap_all_fast() frees them at once here.)
 */
export function kvmMmuFindShadowPage(kvm: Kvm, gfn: number, level: number, role: number): number {
  const w = kvm.world;
  for (let sp = shared.load(w.i32, kvm.mmuPageHash + kvmPageTableHashfn(gfn)); sp; sp = w.sp(sp, SP_HASH_NEXT)) {
    if (w.sp(sp, SP_GFN) === gfn && w.sp(sp, SP_LEVEL) === level && w.sp(sp, SP_ROLE) === role) return sp;
  }
  return 0;
}

/** The word of sp->parent_ptes, a pte_list like an rmap head. */
export function parentPtesHead(kvm: Kvm, sp: number): number {
  return kvm.world.spHeaders.data(sp) + SP_PARENT_PTES;
}

/** mmu_page_add_parent_pte(): `sptep` now points at `sp`; a second parent takes a descriptor from mmu_pte_list_desc_cache. */
export function* mmuPageAddParentPte(vcpu: Vcpu, sp: number, sptep: number): Op {
  yield* pteListAdd(vcpu, sptep, parentPtesHead(vcpu.kvm, sp));
}

/** drop_parent_pte(): `sptep` stops pointing at `sp`: out of sp->parent_ptes, and cleared. */
function dropParentPte(kvm: Kvm, sp: number, sptep: number): void {
  pteListRemove(kvm, sptep, parentPtesHead(kvm, sp), 'parent_ptes', `the parent_ptes of sp${sp} in vm${kvm.id}`);
  shared.store(kvm.world.i32, sptep, 0);
}

function listAddActive(kvm: Kvm, sp: number): void {
  const w = kvm.world;
  const head = kvm.get(VM_ACTIVE_HEAD);
  w.setSp(sp, SP_PREV, 0);
  w.setSp(sp, SP_NEXT, head);
  if (head) w.setSp(head, SP_PREV, sp);
  else kvm.set(VM_ACTIVE_TAIL, sp);
  kvm.set(VM_ACTIVE_HEAD, sp);
}

function listDelActive(kvm: Kvm, sp: number): void {
  const w = kvm.world;
  const prev = w.sp(sp, SP_PREV);
  const next = w.sp(sp, SP_NEXT);
  if (prev) w.setSp(prev, SP_NEXT, next);
  else kvm.set(VM_ACTIVE_HEAD, next);
  if (next) w.setSp(next, SP_PREV, prev);
  else kvm.set(VM_ACTIVE_TAIL, prev);
}

/** kvm_mmu_free_shadow_page() / tdp_mmu_free_sp(): spt, shadowed info, header go back to the allocator. */
export function kvmMmuFreeShadowPage(kvm: Kvm, sp: number): void {
  const w = kvm.world;
  const spt = w.sp(sp, SP_SPT);
  shared.store(w.i32, w.pagePrivate + spt, 0);
  freeObject(w.pages, spt, 'free_page(sp->spt)');
  freeObject(w.pages, w.sp(sp, SP_SHADOWED), 'free_page(sp->shadowed_translation)');
  freeObject(w.spHeaders, sp, 'kmem_cache_free(mmu_page_header_cache)');
}

/**
 * __kvm_mmu_prepare_zap_page() (and the commit that frees), as the kernel does it.
 * kvm_mmu_page_unlink_children() -> mmu_page_zap_pte(): each leaf leaves its rmap
 * (drop_spte); each child table loses this parent (drop_parent_pte) and lives on, in the
 * hash and on active_mmu_pages, until it is zapped itself or found again by
 * kvm_mmu_get_shadow_page() -- except a nested guest's page under TDP left with no
 * parent, which is zapped with it ("parentless SPs are unlikely to be used again").
 * kvm_mmu_unlink_parents(): every SPTE that points at `sp` is cleared. Then it leaves the
 * hash and the list and is freed. Returns the pages zapped. It must hold mmu_lock for
 * write: the lockdep_assert_held_write() added by the CVE-2022-45869 fix (47b0c2e4c220)
 * sits here, so it fires only when a page is really zapped.
 */
function __kvmMmuPrepareZapPage(kvm: Kvm, sp: number): number {
  const w = kvm.world;
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_WRITE], '__kvm_mmu_prepare_zap_page()');
  const spt = w.sp(sp, SP_SPT);
  let zapped = 1;
  for (let idx = 0; idx < PT_ENTRIES; idx++) {
    const sptep = w.spte(spt, idx);
    const spte = shared.load(w.i32, sptep);
    if (!isShadowPresentPte(spte)) continue;
    if (isLastSpte(spte)) {
      rmapRemove(kvm, sptep, spteGfn(spte));
      shared.store(w.i32, sptep, 0);
      continue;
    }
    const child = toShadowPage(kvm, spte);
    dropParentPte(kvm, child, sptep);
    const orphan = shared.load(w.i32, parentPtesHead(kvm, child)) === 0;
    if (w.config.tdpEnabled && w.sp(child, SP_ROLE) & ROLE_GUEST_MODE && orphan) zapped += __kvmMmuPrepareZapPage(kvm, child);
  }
  for (const parentSptep of rmapEntries(w, shared.load(w.i32, parentPtesHead(kvm, sp))).sptes) dropParentPte(kvm, sp, parentSptep);
  hashDel(kvm, sp);
  listDelActive(kvm, sp);
  shared.sub(w.i32, kvm.base + VM_N_USED, 1);
  kvmMmuFreeShadowPage(kvm, sp);
  return zapped;
}

/** The first zappable page (not an active root) from the tail (reverse) or from the head (forward). */
function nextToZap(kvm: Kvm, forward: boolean): number {
  const w = kvm.world;
  let sp = kvm.get(forward ? VM_ACTIVE_HEAD : VM_ACTIVE_TAIL);
  while (sp && w.sp(sp, SP_ROOT_COUNT) > 0) sp = w.sp(sp, forward ? SP_NEXT : SP_PREV);
  return sp;
}

/** The zap-order oracle's view of a page. */
function candidate(kvm: Kvm, sp: number): ZapCandidate {
  return { sp, level: kvm.world.sp(sp, SP_LEVEL), birth: kvm.world.sp(sp, SP_BIRTH) };
}

/** The oldest zappable page by birth, found without trusting the list order. */
function oldestZappable(kvm: Kvm): number {
  const w = kvm.world;
  let oldest = 0;
  for (let sp = kvm.get(VM_ACTIVE_HEAD); sp; sp = w.sp(sp, SP_NEXT)) {
    if (w.sp(sp, SP_ROOT_COUNT) === 0 && (!oldest || w.sp(sp, SP_BIRTH) < w.sp(oldest, SP_BIRTH))) oldest = sp;
  }
  return oldest;
}

/**
 * kvm_mmu_zap_oldest_mmu_pages(): walk active_mmu_pages from the tail (oldest), skip
 * roots, zap until `nrToZap` pages are gone. Restarts after each zap, since zapping a
 * page changes the list. `protocol.zapOldest` 'forward' walks from the head
 * instead: the newest pages go first.
 */
export function* kvmMmuZapOldestMmuPages(kvm: Kvm, nrToZap: number): Op<number> {
  const w = kvm.world;
  const forward = w.protocol.zapOldest === 'forward';
  let total = 0;
  while (total < nrToZap) {
    yield POINT;
    const sp = nextToZap(kvm, forward);
    if (!sp) break;
    const vm = w.config.vms > 1 ? `vm${kvm.id}` : 'the VM';
    const iterator = forward ? 'forward, from the head (list_for_each_entry_safe)' : 'in reverse, from the tail';
    checkZapOrder(current.name, 'kvm_mmu_zap_oldest_mmu_pages', vm, candidate(kvm, sp), candidate(kvm, oldestZappable(kvm)), iterator, kvm.get(VM_N_USED), kvm.get(VM_N_MAX));
    const n = __kvmMmuPrepareZapPage(kvm, sp);
    current.trace(T_SP_ZAP, sp, n);
    total += n;
  }
  current.count('sp-zapped', total);
  return total;
}

/**
 * kvm_mmu_zap_all_fast() (kvm_mmu_invalidate_zap_pages_in_memslot(), when the VMM
 * deletes or moves a memslot): under write_lock(mmu_lock) bump mmu_valid_gen, which
 * makes every shadow page obsolete, and zap them all, roots included; vCPUs reload
 * their roots before the next fault (kvm_mmu_reload). Departures: the kernel keeps a
 * root that vCPUs still count as invalid and frees it once they drop it
 * (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS); the model frees it at once, which is safe because
 * no vCPU holds a root across a release of mmu_lock. The kernel also invalidates TDP
 * MMU roots; the model leaves them (the scenario that zaps runs L1 on shadow paging).
 * slots_lock is not modeled.
 */
export function* kvmMmuZapAllFast(kvm: Kvm): Op<number> {
  yield* writeLock(kvm.mmuLock);
  kvm.set(VM_MMU_VALID_GEN, kvm.get(VM_MMU_VALID_GEN) + 1);
  let total = 0;
  for (let sp = kvm.get(VM_ACTIVE_TAIL); sp; sp = kvm.get(VM_ACTIVE_TAIL)) {
    const n = __kvmMmuPrepareZapPage(kvm, sp);
    current.trace(T_SP_ZAP, sp, n);
    total += n;
  }
  if (!tdpMmuEnabled(kvm.world.config)) kvm.set(VM_L1_ROOT, 0);
  kvm.set(VM_L2_ROOT, 0);
  yield* writeUnlock(kvm.mmuLock);
  current.count('zap-all');
  current.count('sp-zapped-all', total);
  return total;
}

/** A fault that finds no root: kvm_mmu_load() must have run (and succeeded) first. */
export function noRoot(site: string): number {
  reportViolation('invariant', `${current.name}: ${site}() with no root loaded (INVALID_PAGE)`, [
    'kvm_mmu_load() did not run or failed, and the vCPU faulted anyway',
  ]);
  return RET_PF_RETRY;
}
