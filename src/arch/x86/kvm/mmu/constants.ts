/** x86 MMU constants the model uses (arch/x86/kvm/mmu/mmu.c, arch/x86/include/asm/kvm_host.h; docs/kernel-facts.md §2, §5); the generic ones are in virt/kvm. */

export const PT64_ROOT_MAX_LEVEL = 5;
export const PTE_PREFETCH_NUM = 8;
/** make_mmu_pages_available(): nothing to do while at least this many are available. */
export const KVM_MIN_FREE_MMU_PAGES = 5;
export const KVM_REFILL_PAGES = 25;
/** The smallest n_max_mmu_pages KVM_SET_NR_MMU_PAGES accepts. */
export const KVM_MIN_ALLOC_MMU_PAGES = 64;
/** Page-fault return codes (arch/x86/kvm/mmu/mmu_internal.h). */
export const RET_PF_CONTINUE = 0;
export const RET_PF_RETRY = 1;
export const RET_PF_EMULATE = 2;
export const RET_PF_WRITE_PROTECTED = 3;
export const RET_PF_INVALID = 4;
export const RET_PF_FIXED = 5;
export const RET_PF_SPURIOUS = 6;
export const RET_PF_NAMES = ['CONTINUE', 'RETRY', 'EMULATE', 'WRITE_PROTECTED', 'INVALID', 'FIXED', 'SPURIOUS'];
