/**
 * What the shadow MMU does with a memslot's rmaps in the lazy-rmaps model: rmap_add()
 * from a shadow fault, the dirty log's rmap walk (kvm_mmu_write_protect_pt_masked), and
 * the zap of a memslot flush. Each first finds the slot's rmap array: finding none while
 * kvm_memslots_have_rmaps() is true is `use-before-publish`, the bug every variant of
 * "KVM: x86/mmu: Lazily allocate memslot rmaps" (docs/sources.md) is about (in the kernel, a NULL dereference or a missed SPTE).
 */
import { reportViolation } from '../../../../rt/oracle.js';
import { taskLabel } from '../../../../rt/names.js';
import type { Op } from '../../../../rt/op.js';
import { current, MODE_MUTEX, MODE_WRITE } from '../../../../rt/task.js';
import { plainLoad, writeLock, writeUnlock } from '../../../../sync/index.js';
import { lockdepAssertHeld } from '../../../../sync/lockdep.js';
import {
  KVM_MEM_SLOTS,
  kvmMemslotsLocked,
  MS_BASE_GFN,
  MS_ID,
  MS_NPAGES,
  MS_RMAP,
  SLOTS_INSTALLED_BY,
  SLOTS_INSTALLED_STEP,
  slotEntry,
  slotWord,
} from '../../../../virt/kvm/memslots.js';
import { KVM_FLAG_STEP, KVM_FLAG_TASK, kvmMemslotsHaveRmaps, type LazyRmapsKvm } from '../memslot-host.js';
import { shared } from '../../../../rt/shared.js';

/** The memslot words of an entry, for reports: "memslot 2 (gfns 48..63)". */
export function slotLabel(kvm: LazyRmapsKvm, entry: number): string {
  const base = slotWord(kvm.slots, entry, MS_BASE_GFN);
  return `memslot ${slotWord(kvm.slots, entry, MS_ID) - 1} (gfns ${base}..${base + slotWord(kvm.slots, entry, MS_NPAGES) - 1})`;
}

/** Who published the flag and who installed the memslots `slots`: the two stores a use-before-publish is about. */
export function publicationDetails(kvm: LazyRmapsKvm, slots: number): string[] {
  const h = kvm.slots.memslotsPool.data(slots);
  const by = shared.load(kvm.i32, h + SLOTS_INSTALLED_BY) - 1;
  const flagBy = kvm.get(KVM_FLAG_TASK) - 1;
  return [
    flagBy >= 0
      ? `kvm->arch.shadow_root_allocated was published by ${taskLabel(flagBy)} at step ${kvm.get(KVM_FLAG_STEP)} (${kvm.protocol.flagStore === 'once' ? 'WRITE_ONCE' : 'smp_store_release'} in mmu_first_shadow_root_alloc)`
      : 'kvm->arch.shadow_root_allocated is being published',
    by >= 0
      ? `these memslots were installed by ${taskLabel(by)} at step ${shared.load(kvm.i32, h + SLOTS_INSTALLED_STEP)} (install_new_memslots)`
      : 'these memslots are the VM\'s first (kvm_create_vm)',
    'the merged protocol sets every rmap pointer under slots_arch_lock before the flag, and gives a slot created later its rmaps under the same lock',
  ];
}

/** The slot's rmap array, reporting use-before-publish when it has none; 0 then. */
function slotRmap(kvm: LazyRmapsKvm, slots: number, entry: number, what: string): number {
  // a plain load in the kernel (slot->arch.rmap[level]): ordered after the flag only by its acquire
  const rmap = plainLoad(kvm.i32, entry + MS_RMAP, () => `${slotLabel(kvm, entry)}->arch.rmap[0]`);
  if (rmap === 0) {
    reportViolation(
      'use-before-publish',
      `${current.name}: ${what} finds ${slotLabel(kvm, entry)} without rmaps while kvm_memslots_have_rmaps() is true`,
      publicationDetails(kvm, slots),
    );
  }
  return rmap;
}

/** rmap_add() from a shadow fault (mmu_lock held for write): the gfn's rmap head gains an SPTE. */
export function rmapAdd(kvm: LazyRmapsKvm, slots: number, entry: number, gfn: number): void {
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_WRITE], 'rmap_add');
  const rmap = slotRmap(kvm, slots, entry, `rmap_add(gfn ${gfn})`);
  if (rmap === 0) return;
  shared.add(kvm.i32, kvm.rmaps.data(rmap) + gfn - slotWord(kvm.slots, entry, MS_BASE_GFN), 1);
  current.count('rmap-adds');
}

/**
 * kvm_mmu_write_protect_pt_masked(), from KVM_GET_DIRTY_LOG (kvm_get_dirty_log_protect:
 * slots_lock held, the slot taken from __kvm_memslots(), its dirty_bitmap there because
 * the slot logs dirty pages): under write_lock(mmu_lock), the TDP MMU clears its dirty
 * bits, then, if memslots have rmaps, the rmap of every gfn in the 64-page mask is
 * write-protected. The model's slots are 16 pages, so one mask covers a whole slot.
 */
export function* kvmMmuWriteProtectPtMasked(kvm: LazyRmapsKvm, slots: number, entry: number): Op {
  lockdepAssertHeld(current, kvm.slots.slotsLock.id, [MODE_MUTEX], 'kvm_get_dirty_log_protect');
  yield* writeLock(kvm.mmuLock);
  if (yield* kvmMemslotsHaveRmaps(kvm)) {
    const rmap = slotRmap(kvm, slots, entry, `kvm_mmu_write_protect_pt_masked(${slotLabel(kvm, entry)})`);
    if (rmap) {
      const heads = kvm.rmaps.data(rmap);
      for (let k = 0; k < slotWord(kvm.slots, entry, MS_NPAGES); k++) current.count('sptes-write-protected', shared.load(kvm.i32, heads + k));
      current.count('rmap-walks');
    }
  }
  yield* writeUnlock(kvm.mmuLock);
}

/**
 * kvm_mmu_invalidate_zap_pages_in_memslot() (kvm_arch_flush_shadow_memslot, when a slot is
 * deleted or moved) is kvm_mmu_zap_all_fast(): every shadow page goes, and with it every
 * SPTE leaves its rmap. The model's heads count SPTEs, so each installed slot that has
 * rmaps has its heads emptied; a slot without rmaps has no SPTE to drop (rmap_add would
 * have been caught first), so the zap touches nothing there.
 */
export function* kvmMmuInvalidateZapPagesInMemslot(kvm: LazyRmapsKvm): Op {
  const slots = kvmMemslotsLocked(kvm.slots);
  yield* writeLock(kvm.mmuLock);
  for (let k = 0; k < KVM_MEM_SLOTS; k++) {
    const e = slotEntry(kvm.slots, slots, k);
    const rmap = slotWord(kvm.slots, e, MS_RMAP);
    if (slotWord(kvm.slots, e, MS_ID) === 0 || rmap === 0) continue;
    const heads = kvm.rmaps.data(rmap);
    for (let i = 0; i < slotWord(kvm.slots, e, MS_NPAGES); i++) current.count('sptes-zapped', shared.exchange(kvm.i32, heads + i, 0));
  }
  current.count('zap-all-fast');
  yield* writeUnlock(kvm.mmuLock);
}
