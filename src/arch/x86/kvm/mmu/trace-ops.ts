/** Trace op codes of the x86 MMU model (36..45; the memory caches' are in virt/kvm). */
import { registerOps } from '../../../../rt/trace.js';
import { RET_PF_NAMES } from './constants.js';

export const T_FAULT = 36;
export const T_FAULT_DONE = 37;
export const T_SP_ALLOC = 38;
export const T_SP_LINK = 39;
export const T_SP_LINK_LOST = 40;
export const T_SP_ZAP = 41;
export const T_SHRINK_SCAN = 42;
export const T_SHRINK_DONE = 43;
export const T_VM_MOVE_TAIL = 44;
export const T_ROOT = 45;

/** Which handler a fault went to: an index into FAULT_FNS, plus FAULT_L2 for a nested guest's fault. */
export const FAULT_TDP_MMU = 0;
export const FAULT_DIRECT = 1;
export const FAULT_PAGING64 = 2;
export const FAULT_EPT = 3;
export const FAULT_LOAD = 4;
export const FAULT_L2 = 16;
export const FAULT_FNS = ['kvm_tdp_mmu_page_fault', 'direct_page_fault', 'paging64_page_fault', 'ept_page_fault', 'kvm_mmu_load'];

const ERRNO: Record<number, string> = { 5: 'EIO', 12: 'ENOMEM', 28: 'ENOSPC' };

registerOps({
  [T_FAULT]: (a, b) =>
    (b & ~FAULT_L2) === FAULT_LOAD
      ? `kvm_mmu_load(${b & FAULT_L2 ? 'the nested guest\'s MMU' : 'L1'})`
      : `${FAULT_FNS[b & ~FAULT_L2]}(${b & FAULT_L2 ? 'L2 ' : ''}gfn 0x${a.toString(16)})`,
  [T_FAULT_DONE]: (a) => `fault returns ${a < 0 ? `-${ERRNO[-a] ?? -a}` : `RET_PF_${RET_PF_NAMES[a] ?? a}`}`,
  [T_SP_ALLOC]: (a, b) => `allocates shadow page sp${a} for level ${b}`,
  [T_SP_LINK]: (a, b) => `links sp${a} at level ${b}`,
  [T_SP_LINK_LOST]: (a) => `tdp_mmu_link_sp(sp${a}) lost the cmpxchg: tdp_mmu_free_sp`,
  [T_SP_ZAP]: (a, b) => `__kvm_mmu_prepare_zap_page(sp${a})${b > 1 ? ` (and ${b - 1} parentless nested pages below)` : ''}`,
  [T_SHRINK_SCAN]: (a) => `mmu_shrink_scan(nr_to_scan ${a})`,
  [T_SHRINK_DONE]: (a) => `mmu_shrink_scan freed ${a}`,
  [T_VM_MOVE_TAIL]: (a) => `list_move_tail(vm${a}) on vm_list`,
  [T_ROOT]: (a, b) => `root sp${a} (root_count ${b})`,
});
