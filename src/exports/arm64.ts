/**
 * `mmu-stress/kvm/arm64`: the arm64 host (arch/arm64/kvm in the kernel): the VM with its
 * stage-2 page table and memslots by backing size, vCPUs with vcpu->arch.mmu_page_cache,
 * user_mem_abort() and its topup rules, dirty logging, the stage-2 walker of hyp/pgtable.c,
 * and the table-page conservation check. KVM_MEM_LOG_DIRTY_PAGES is `mmu-stress/kvm`'s.
 */
export {
  Arm64Kvm,
  Arm64Vcpu,
  LEAF_LEVEL,
  levelFor,
  levelPages,
  PTE_PAGE_SHIFT,
  PTE_S2AP_W,
  PTE_TABLE,
  PTE_VALID,
  PTRS_PER_PTE,
  SLOT_BACKING,
  SLOT_PAGES,
  SLOT_THP,
  STAGE2_LEVELS,
  START_LEVEL,
  type TopupRule,
} from '../arch/arm64/kvm/kvm-host.js';
export { granuleCase, kvmHandleGuestAbort, kvmMmuCacheMinPages, kvmSetDirtyLogging, userMemAbort } from '../arch/arm64/kvm/mmu.js';
export {
  isTable,
  isValid,
  kvmPgtableStage2Map,
  kvmPgtableStage2RelaxPerms,
  kvmPgtableStage2Wrprotect,
  levelIndex,
  type Stage2Fault,
  stage2HardwareWalk,
  tablePage,
} from '../arch/arm64/kvm/hyp/pgtable.js';
export { checkArm64Kvm } from '../arch/arm64/kvm/accounting.js';
export { packAbort, SIZE_NAMES, T_ABORT, T_DIRTY_LOG, T_S2_COLLAPSE, T_S2_SPLIT, T_S2_TABLE } from '../arch/arm64/kvm/trace-ops.js';
