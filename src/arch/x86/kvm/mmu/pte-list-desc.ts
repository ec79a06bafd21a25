/**
 * struct pte_list_desc and struct kvm_rmap_head (arch/x86/kvm/mmu/mmu.c): the shadow
 * MMU's reverse maps, by their C layout on x86-64, so that what they cost is computed
 * from the structures rather than typed in (docs/kernel-facts.md, "pte_list_desc"; the thread "KVM: x86/mmu:
 * Shrink pte_list_desc size when KVM is using TDP", Peter Xu, 12 Jul 2022, docs/sources.md).
 */

/** PTE_LIST_EXT in mainline: 14 entries, so that the descriptor is 128 bytes. */
export const PTE_LIST_EXT = 14;
/** Sean Christopherson's 2022 patch ("KVM: x86/mmu: Shrink pte_list_desc size when KVM is using TDP", not merged): 2 entries when TDP is on. */
export const PTE_LIST_EXT_TDP_2022 = 2;

const POINTER_BYTES = 8;
const U32_BYTES = 4;

/**
 * sizeof(struct pte_list_desc) for `ext` entries:
 *   struct pte_list_desc *more; u32 spte_count; u32 tail_count; u64 *sptes[ext];
 */
export function pteListDescBytes(ext: number): number {
  return POINTER_BYTES + 2 * U32_BYTES + ext * POINTER_BYTES;
}

/** The model's pte_list_desc: one word per field, in the C order. `sptes` holds SPTE word offsets. */
export const DESC_MORE = 0;
export const DESC_SPTE_COUNT = 1;
export const DESC_TAIL_COUNT = 2;
export const DESC_SPTES = 3;

export function pteListDescWords(ext: number): number {
  return DESC_SPTES + ext;
}

/** sizeof(struct kvm_rmap_head): one unsigned long (an SPTE pointer, or a descriptor pointer with bit 0 set). */
export const KVM_RMAP_HEAD_BYTES = POINTER_BYTES;

/** KVM_NR_PAGE_SIZES on x86: 4 KiB, 2 MiB and 1 GiB mappings each have an rmap array per memslot. */
export const KVM_NR_PAGE_SIZES = 3;
/** KVM_HPAGE_GFN_SHIFT(level) = (level - 1) * 9: gfns per rmap head at each level. */
export const KVM_HPAGE_GFN_SHIFT_STEP = 9;
