/**
 * arch/arm64/kvm/mmu.c: user_mem_abort(), the stage-2 fault handler, and dirty logging
 * (kvm_arch_commit_memory_region -> kvm_mmu_wp_memory_region). The memcache is topped up before mmu_lock, and only for
 * faults that may need table pages: which faults those are is what the variants change.
 */
import { POINT, type Op } from '../../../rt/op.js';
import { current } from '../../../rt/task.js';
import { spinLock, spinUnlock, srcuReadLock, srcuReadUnlock, synchronizeSrcu } from '../../../sync/index.js';
import { kvmMmuTopupMemoryCache } from '../../../virt/kvm/memory-cache.js';
import { kvmPgtableStage2Map, kvmPgtableStage2RelaxPerms, kvmPgtableStage2Wrprotect, type Stage2Fault } from './hyp/pgtable.js';
import { packAbort, T_ABORT, T_DIRTY_LOG } from './trace-ops.js';
import { type Arm64Kvm, type Arm64Vcpu, KVM_MEM_LOG_DIRTY_PAGES, levelFor, levelPages, SLOT_BACKING, SLOT_PAGES, SLOT_THP, STAGE2_LEVELS } from './kvm-host.js';
import { shared } from '../../../rt/shared.js';

/** kvm_mmu_cache_min_pages(): a table per level below the root, the most one map can create. */
export function kvmMmuCacheMinPages(): number {
  return STAGE2_LEVELS - 1;
}

/** Alexandru Elisei's three cases, by how the fault's granule compares with the mapping size. */
export function granuleCase(faultGranule: number, vmaPagesize: number): 'eq' | 'gt' | 'lt' {
  return faultGranule === vmaPagesize ? 'eq' : faultGranule > vmaPagesize ? 'gt' : 'lt';
}

/**
 * Does this fault top up the memcache, by the variant's rule? The granule check compares
 * with the mapping size known where it runs: before mmu_lock a THP still maps as
 * PAGE_SIZE (`beforeLock`); under the lock transparent_hugepage_adjust() has made it
 * 2 MiB (`underLock`), which is why the RFC put its topup there.
 */
function wantsTopup(kvm: Arm64Kvm, perm: boolean, faultGranule: number, beforeLock: number, underLock: number, logging: boolean, write: boolean): boolean {
  switch (kvm.topup) {
    case 'mainline':
      return !perm || (logging && write);
    case 'granule-check':
      return faultGranule > beforeLock;
    case 'granule-check-under-lock':
      return faultGranule > underLock;
    case 'no-topup-on-perm':
      return !perm;
  }
}

/**
 * user_mem_abort() for a stage-2 fault on IPA page `ipa` of memslot `slot`: the mapping
 * size is the VMA's page size, or a page while dirty logging is on (force_pte). Returns
 * 0, or -ENOMEM when the topup failed.
 */
export function* userMemAbort(kvm: Arm64Kvm, vcpu: Arm64Vcpu, slot: number, ipa: number, write: boolean, fault: Stage2Fault): Op<number> {
  const t = current;
  const logging = kvm.loggingActive(slot);
  // force_pte while logging; a THP's VMA maps as PAGE_SIZE until transparent_hugepage_adjust() under the lock
  const beforeLock = logging || slot === SLOT_THP ? 1 : SLOT_BACKING[slot];
  const vmaPagesize = logging ? 1 : SLOT_BACKING[slot];
  const faultGranule = levelPages(fault.level);
  const perm = fault.kind === 'permission';
  const mc = vcpu.mmuPageCache;
  const topup = wantsTopup(kvm, perm, faultGranule, beforeLock, vmaPagesize, logging, write);
  const kind = `${perm ? 'perm' : 'trans'}-${granuleCase(faultGranule, vmaPagesize)}`;
  t.trace(T_ABORT, ipa, packAbort(perm, fault.level, write, logging, topup, levelFor(vmaPagesize)));
  t.count(`faults:${kind}`);
  if (topup && kvm.topup !== 'granule-check-under-lock') {
    const r = yield* kvmMmuTopupMemoryCache(mc, kvmMmuCacheMinPages());
    if (r < 0) return r;
  }
  const before = mc.handedOut;
  yield* spinLock(kvm.mmuLock);
  if (topup && kvm.topup === 'granule-check-under-lock') {
    const r = yield* kvmMmuTopupMemoryCache(mc, kvmMmuCacheMinPages());
    if (r < 0) {
      yield* spinUnlock(kvm.mmuLock);
      return r;
    }
  }
  if (perm && vmaPagesize === faultGranule) {
    if (kvmPgtableStage2RelaxPerms(kvm, ipa) !== 0) t.count('relax-perms-eagain');
    else t.count('relax-perms');
  } else {
    // writable unless dirty logging wants to see the first write to the page
    const base = Math.floor(ipa / vmaPagesize) * vmaPagesize;
    yield* kvmPgtableStage2Map(kvm, base, vmaPagesize, write || !logging, mc);
  }
  yield* spinUnlock(kvm.mmuLock);
  const used = mc.handedOut - before;
  if (used) t.count(`pages:${kind}`, used);
  if (used && !topup) t.count('pages-without-topup', used);
  t.max('max-pages-per-fault', used);
  return 0;
}

/** kvm_handle_guest_abort(): the memslot and its flags are read inside kvm->srcu, for the whole of user_mem_abort(). */
export function* kvmHandleGuestAbort(kvm: Arm64Kvm, vcpu: Arm64Vcpu, slot: number, ipa: number, write: boolean, fault: Stage2Fault): Op<number> {
  const idx = yield* srcuReadLock(kvm.srcu);
  const r = yield* userMemAbort(kvm, vcpu, slot, ipa, write, fault);
  yield* srcuReadUnlock(kvm.srcu, idx);
  return r;
}

/**
 * KVM_SET_USER_MEMORY_REGION changing only KVM_MEM_LOG_DIRTY_PAGES (KVM_MR_FLAGS_ONLY):
 * the memslot with the new flags is installed, synchronize_srcu() waits out every fault
 * that read the old flags, then kvm_arch_commit_memory_region() write-protects the slot
 * (kvm_mmu_wp_memory_region, under mmu_lock) when logging goes on, so writes fault and
 * split blocks into pages. Turning it off commits nothing: later faults collapse the
 * pages into blocks again (Alexandru Elisei's third case). Faults that began before the
 * update still map with the old flags during the grace period.
 */
export function* kvmSetDirtyLogging(kvm: Arm64Kvm, slot: number, on: boolean): Op {
  const t = current;
  yield POINT;
  if (on) shared.or(kvm.i32, kvm.slotFlags + slot, KVM_MEM_LOG_DIRTY_PAGES);
  else shared.and(kvm.i32, kvm.slotFlags + slot, ~KVM_MEM_LOG_DIRTY_PAGES);
  t.trace(T_DIRTY_LOG, slot, on ? 1 : 0);
  t.count(on ? 'logging-on' : 'logging-off');
  yield* synchronizeSrcu(kvm.srcu);
  if (!on) return;
  yield* spinLock(kvm.mmuLock);
  t.count('sptes-write-protected', kvmPgtableStage2Wrprotect(kvm, slot * SLOT_PAGES, SLOT_PAGES));
  yield* spinUnlock(kvm.mmuLock);
}
