/**
 * The memslot hooks of arch/x86/kvm/x86.c: a slot's rmaps are allocated when it is
 * created or moved, but only once kvm_memslots_have_rmaps() (TDP MMU off, or a shadow
 * root has been allocated); slots_arch_lock is held, so mmu_first_shadow_root_alloc()
 * cannot run in between and miss the slot.
 */
import type { Op } from '../../../rt/op.js';
import { current } from '../../../rt/task.js';
import { plainStore } from '../../../sync/index.js';
import { OBJ_IN_USE } from '../../../shm/pool.js';
import { kvzallocMayFail, MS_RMAP } from '../../../virt/kvm/memslots.js';
import { ENOMEM } from '../../../virt/kvm/constants.js';
import type { MemslotArch } from '../../../virt/kvm/set-memslot.js';
import { kvmMemslotsHaveRmaps, type LazyRmapsKvm } from './memslot-host.js';
import { kvmMmuInvalidateZapPagesInMemslot } from './mmu/slot-rmap.js';
import { shared } from '../../../rt/shared.js';

/** memslot_rmap_alloc()'s allocation: a zeroed rmap array (__vcalloc, GFP_KERNEL_ACCOUNT); 0 on -ENOMEM. */
export function* vcallocRmap(kvm: LazyRmapsKvm): Op<number> {
  if (!(yield* kvzallocMayFail(kvm.slots, 'slot->arch.rmap[0]'))) return 0;
  const t = current;
  const rmap = kvm.rmaps.take(OBJ_IN_USE, t.id, t.lastStep);
  if (rmap === 0) throw new Error('rmap pool exhausted');
  t.count('rmaps-allocated');
  return rmap;
}

/** memslot_rmap_alloc(): allocate the slot's rmaps unless it has them; 0 or -ENOMEM. */
export function* memslotRmapAlloc(kvm: LazyRmapsKvm, entry: number): Op<number> {
  if (shared.load(kvm.i32, entry + MS_RMAP) !== 0) return 0;
  const rmap = yield* vcallocRmap(kvm);
  if (rmap === 0) return -ENOMEM;
  // a plain store in the kernel (slot->arch.rmap[i] = ...): only the flag's release orders it
  plainStore(kvm.i32, entry + MS_RMAP, rmap);
  return 0;
}

/** memslot_rmap_free() / kvm_arch_free_memslot(): kvfree the rmap array. */
export function memslotRmapFree(kvm: LazyRmapsKvm, rmap: number): void {
  kvm.rmaps.give(rmap, current.id);
}

/**
 * kvm_alloc_memslot_metadata() for a new slot (its arch data starts zeroed): its rmap
 * array when kvm_memslots_have_rmaps(), else none. Returns the rmap object, 0, or -ENOMEM.
 */
export function* kvmAllocMemslotMetadata(kvm: LazyRmapsKvm): Op<number> {
  if (!(yield* kvmMemslotsHaveRmaps(kvm))) return 0;
  const rmap = yield* vcallocRmap(kvm);
  return rmap === 0 ? -ENOMEM : rmap;
}

/** The x86 MemslotArch of a LazyRmapsKvm (kvm_arch_prepare_memory_region and friends). */
export function x86MemslotArch(kvm: LazyRmapsKvm): MemslotArch {
  return {
    prepareMemoryRegion: () => kvmAllocMemslotMetadata(kvm),
    flushShadowMemslot: () => kvmMmuInvalidateZapPagesInMemslot(kvm),
    freeMemslot: (rmap) => memslotRmapFree(kvm, rmap),
    createWithoutArchLock: kvm.protocol.createWithoutArchLock,
    archLockAcrossSync: kvm.protocol.archLockAcrossSync,
    flushUnderArchLock: kvm.protocol.flushUnderArchLock,
  };
}
