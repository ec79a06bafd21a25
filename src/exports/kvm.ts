/**
 * `mmu-stress/kvm`: the generic KVM code of the model (virt/kvm in the kernel), for a
 * scenario of one's own: struct kvm_mmu_memory_cache and its oracle, memslots and
 * kvm_set_memslot(), kvm_main.c's global locks, and the locking orders that
 * Documentation/virt/kvm/locking.rst documents. The files stay where the kernel keeps
 * them (src/virt/kvm/); this module only names what a user may build on.
 */

// virt/kvm/kvm_mm.h, include/linux/kvm_types.h, include/uapi/asm-generic/errno-base.h
export { EIO, ENOMEM, ENOSPC, KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE, PAGE_SIZE } from '../virt/kvm/constants.js';
// struct kvm_mmu_memory_cache (kvm_main.c): topup, alloc, empty, and the cache-empty-under-lock oracle
export {
  type CacheHistory,
  checkCacheEmptyUnderLock,
  freeObject,
  KvmMmuMemoryCache,
  kvmMmuEmptyMemoryCache,
  kvmMmuMemoryCacheAlloc,
  kvmMmuTopupMemoryCache,
} from '../virt/kvm/memory-cache.js';
export { T_CACHE_ALLOC, T_CACHE_ALLOC_EMPTY, T_CACHE_EMPTY, T_TOPUP, T_TOPUP_FAIL } from '../virt/kvm/trace-ops.js';
// struct kvm_memslots / struct kvm_memory_slot, kvm->srcu, slots_lock, slots_arch_lock
export {
  GFN_RANGES,
  idToMemslot,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_SLOTS,
  KVM_MEMSLOT_INVALID,
  KVM_MR_CREATE,
  KVM_MR_DELETE,
  KVM_MR_MOVE,
  KVM_MR_NAMES,
  KvmSlots,
  kvmMemslots,
  kvmMemslotsLocked,
  kvzallocMayFail,
  MEMSLOT_PAGES,
  MEMSLOTS_WORDS,
  MS_BASE_GFN,
  MS_FLAGS,
  MS_ID,
  MS_NPAGES,
  MS_RMAP,
  SLOTS_GENERATION,
  SLOTS_INSTALLED_BY,
  SLOTS_INSTALLED_STEP,
  searchMemslots,
  slotEntry,
  slotWord,
} from '../virt/kvm/memslots.js';
export { kvmSetMemslot, type MemslotArch } from '../virt/kvm/set-memslot.js';
// kvm_lock, kvm_usage_count and hardware_enable_all (kvm_main.c)
export { hardwareEnableAll, KvmGlobal, kvmEnableVirtualization } from '../virt/kvm/kvm-main.js';
export { KVM_LOCK_ORDER, KVM_LOCK_ORDER_44D17459 } from '../virt/kvm/locking.js';
// not kernel code: a userspace VMM's ioctls paced by the guest's own work
export { DIRTY_LOG_SYNC, LOG_TOGGLE, MAX_EVERY, MEMSLOT_UPDATE, OnDemand } from '../virt/kvm/on-demand.js';
