/**
 * Constants of the generic KVM code and of the kernel around it, as the model uses them
 * (include/linux/kvm_types.h, arch/x86/include/asm/kvm_types.h; docs/kernel-facts.md §1, §5).
 */

/**
 * KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE: the capacity of a kvm_mmu_memory_cache. Each
 * architecture defines it (40 on both x86 and arm64); the generic cache code sizes its
 * objects[] with it.
 */
export const KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE = 40;
export const PAGE_SIZE = 4096;

export const EIO = 5;
export const ENOMEM = 12;
export const ENOSPC = 28;
