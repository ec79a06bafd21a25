/** Trace op codes of the arm64 stage-2 model (48..52). */
import { registerOps } from '../../../rt/trace.js';

export const T_ABORT = 48;
export const T_S2_TABLE = 49;
export const T_S2_SPLIT = 50;
export const T_S2_COLLAPSE = 51;
export const T_DIRTY_LOG = 52;

export const SIZE_NAMES = ['', '1G', '2M', '4K'];
const SLOTS = ['4 KiB pages', '2 MiB THP', '1 GiB hugetlb'];

/** T_ABORT's b: the fault and the decision, packed. */
export function packAbort(perm: boolean, level: number, write: boolean, logging: boolean, topup: boolean, vmaLevel: number): number {
  return (perm ? 1 : 0) | (level << 1) | (write ? 8 : 0) | (logging ? 16 : 0) | (topup ? 32 : 0) | (vmaLevel << 6);
}

const ipaText = (ipa: number) => `IPA 0x${(ipa * 4096).toString(16)}`;

registerOps({
  [T_ABORT]: (a, b) =>
    `user_mem_abort(${ipaText(a)}, ${b & 8 ? 'write' : 'read'}): ${b & 1 ? 'permission' : 'translation'} fault at level ${(b >> 1) & 3} ` +
    `(fault_granule ${SIZE_NAMES[(b >> 1) & 3]}), vma_pagesize ${SIZE_NAMES[(b >> 6) & 3]}${b & 16 ? ' (dirty logging on)' : ''}: ${b & 32 ? 'tops up' : 'no topup'}`,
  [T_S2_TABLE]: (a, b) => `kvm_pgtable_stage2_map(${ipaText(a)}): no table at level ${b}: a page from the memcache`,
  [T_S2_SPLIT]: (a, b) => `kvm_pgtable_stage2_map(${ipaText(a)}): a ${SIZE_NAMES[b]} block at level ${b} is in the way: split, a page from the memcache`,
  [T_S2_COLLAPSE]: (a, b) => `kvm_pgtable_stage2_map(${ipaText(a)}): collapses the level-${b & 3} table into a ${SIZE_NAMES[b & 3]} block (${b >> 2} pages freed)`,
  [T_DIRTY_LOG]: (a, b) => `KVM_MEM_LOG_DIRTY_PAGES ${b ? 'set' : 'cleared'} on memslot ${a} (${SLOTS[a]})${b ? ': kvm_mmu_wp_memory_region after the grace period' : ''}`,
});
