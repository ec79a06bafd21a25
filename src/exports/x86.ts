/**
 * `mmu-stress/kvm/x86`: the x86 host and its MMU (arch/x86/kvm and arch/x86/kvm/mmu in
 * the kernel), for a scenario of one's own over the model the built-in x86 scenarios
 * use: KvmWorld with its VMs and vCPUs (each with its four memory caches), the fault
 * path from kvm_mmu_do_page_fault() down to the TDP MMU and the shadow MMU, shadow
 * pages and rmaps, the shrinkers, and the end-of-execution checks. The lazy-rmaps VM
 * (memslots with lazily allocated rmaps) is `mmu-stress/kvm/x86/lazy-rmaps`.
 */

// the host: VMs on vm_list, vCPUs, the pools, and the words of struct kvm_mmu_page (kvm_host.h)
export {
  type KvmConfig,
  Kvm,
  KvmWorld,
  KVM_NUM_MMU_PAGES,
  type MmuProtocol,
  mmuIsDirect,
  PT_BITS,
  PT_ENTRIES,
  ROLE_DIRECT,
  ROLE_GUEST_MODE,
  ROLE_TDP,
  SP_BIRTH,
  SP_GFN,
  SP_HASH_NEXT,
  SP_LEVEL,
  SP_NEXT,
  SP_PARENT_PTES,
  SP_PREV,
  SP_PTEP,
  SP_ROLE,
  SP_ROOT_COUNT,
  SP_SHADOWED,
  SP_SPT,
  SP_VM,
  type TopupMinimums,
  tdpMmuEnabled,
  usesShadowMmu,
  VENDOR_AMD,
  VENDOR_INTEL,
  VENDOR_NAMES,
  Vcpu,
  VM_ACTIVE_HEAD,
  VM_ACTIVE_TAIL,
  VM_L1_ROOT,
  VM_L2_ROOT,
  VM_MMU_VALID_GEN,
  VM_N_MAX,
  VM_N_USED,
  VM_SP_BIRTHS,
  vcpuName,
} from '../arch/x86/kvm/kvm-host.js';
// a scenario's host parameters (vms, vcpus, faults, levels, tdpMmu, vendor, ...) and the KvmConfig they make
export { HOST_PARAM_HELP, HOST_PARAM_NAMES, HOST_PARAMS, hostConfig, validateHostParams } from '../arch/x86/kvm/host-params.js';
// KVM_RUN: a vCPU thread that loads its MMU and faults (the vcpu role of the built-in scenarios)
export { VCPU_PROGRESS, VCPU_ROLE, vcpuRun } from '../arch/x86/kvm/vcpu-run.js';
// what the model owns at the end of an execution: conservation, rmaps, parent_ptes
export { checkKvm, kvmAccounts } from '../arch/x86/kvm/accounting.js';

// mmu/mmu.c: topup, the page-fault handlers, kvm_mmu_load
export {
  directMap,
  directPageFault,
  faultBegin,
  faultEnd,
  fnameFetch,
  fnamePageFault,
  kvmMmuLoad,
  kvmMmuRootGone,
  kvmTdpMmuPageFault,
  kvmTdpPageFault,
  makeMmuPagesAvailable,
  mmuCacheLockAfterTopup,
  mmuCacheLockBeforeTopup,
  mmuCacheUnlock,
  mmuTopupMemoryCaches,
  recordTopupMinimums,
  TOPUP_TODAY,
} from '../arch/x86/kvm/mmu/mmu.js';
export { kvmMmuDoPageFault } from '../arch/x86/kvm/mmu/fault.js';
export { kvmTdpMmuAllocRoot, kvmTdpMmuMap } from '../arch/x86/kvm/mmu/tdp-mmu.js';
export {
  isLastSpte,
  isShadowPresentPte,
  kvmMmuAllocShadowPage,
  kvmMmuFindShadowPage,
  kvmMmuFreeShadowPage,
  kvmMmuZapAllFast,
  kvmMmuZapOldestMmuPages,
  makeLeafSpte,
  mmuPageAddParentPte,
  noRoot,
  parentPtesHead,
  SPTE_LEAF,
  spteGfn,
  spteIndex,
  toShadowPage,
} from '../arch/x86/kvm/mmu/mmu-page.js';
export { checkRmaps, gfnToRmap, pteListAdd, pteListRemove, rmapAdd, rmapEntries, rmapHeads, rmapRemove } from '../arch/x86/kvm/mmu/rmap.js';
export {
  DESC_MORE,
  DESC_SPTE_COUNT,
  DESC_SPTES,
  DESC_TAIL_COUNT,
  KVM_HPAGE_GFN_SHIFT_STEP,
  KVM_NR_PAGE_SIZES,
  KVM_RMAP_HEAD_BYTES,
  PTE_LIST_EXT,
  PTE_LIST_EXT_TDP_2022,
  pteListDescBytes,
  pteListDescWords,
} from '../arch/x86/kvm/mmu/pte-list-desc.js';
export {
  KVM_MIN_ALLOC_MMU_PAGES,
  KVM_MIN_FREE_MMU_PAGES,
  KVM_REFILL_PAGES,
  PT64_ROOT_MAX_LEVEL,
  PTE_PREFETCH_NUM,
  RET_PF_FIXED,
  RET_PF_NAMES,
  RET_PF_RETRY,
  RET_PF_SPURIOUS,
} from '../arch/x86/kvm/mmu/constants.js';
// the MMU shrinkers: the v2 series' cache shrinker, and the page-zapping one before it
export {
  kswapd,
  mmuShrinkCount,
  mmuShrinkCountUsedPages,
  mmuShrinker,
  mmuShrinkScan,
  mmuShrinkScanZapOldest,
  mmuZapShrinker,
  SHRINK_EVERY_HELP,
  validateShrinkEvery,
  ZAP_SHRINKER_ROLE,
} from '../arch/x86/kvm/mmu/shrinker.js';
export { setNxHugePages } from '../arch/x86/kvm/mmu/nx-huge-pages.js';
export {
  FAULT_DIRECT,
  FAULT_EPT,
  FAULT_FNS,
  FAULT_L2,
  FAULT_LOAD,
  FAULT_PAGING64,
  FAULT_TDP_MMU,
  T_FAULT,
  T_FAULT_DONE,
  T_ROOT,
  T_SHRINK_DONE,
  T_SHRINK_SCAN,
  T_SP_ALLOC,
  T_SP_LINK,
  T_SP_LINK_LOST,
  T_SP_ZAP,
  T_VM_MOVE_TAIL,
} from '../arch/x86/kvm/mmu/trace-ops.js';
