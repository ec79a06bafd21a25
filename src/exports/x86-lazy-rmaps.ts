/**
 * `mmu-stress/kvm/x86/lazy-rmaps`: the x86 VM of "KVM: x86/mmu: Lazily allocate memslot
 * rmaps" (docs/sources.md), for a scenario of one's own over memslots: LazyRmapsKvm with
 * kvm->arch.shadow_root_allocated, the vCPU fault inside kvm->srcu and the VMM's
 * KVM_SET_USER_MEMORY_REGION, mmu_first_shadow_root_alloc(), the x86 memslot hooks of
 * x86.c, and the rmap uses that report use-before-publish. A subpath of its own because
 * its rmap_add() works on memslot rmap arrays, not on KvmWorld's rmaps
 * (`mmu-stress/kvm/x86`).
 */
export {
  FLAG_NAME,
  KVM_FLAG_STEP,
  KVM_FLAG_TASK,
  KVM_SHADOW_ROOT_ALLOCATED,
  KVM_VCPUS_RUNNING,
  LazyRmapsKvm,
  type LazyRmapsProtocol,
  kvmMemslotsHaveRmaps,
  kvmShadowRootAllocated,
} from '../arch/x86/kvm/memslot-host.js';
export { kvmSetUserMemoryRegion, kvmVcpuFault, nestedEntry, randomGfn, type VcpuMmu } from '../arch/x86/kvm/memslot-run.js';
export { checkLazyRmaps } from '../arch/x86/kvm/memslot-accounting.js';
export { kvmAllocMemslotMetadata, memslotRmapAlloc, memslotRmapFree, vcallocRmap, x86MemslotArch } from '../arch/x86/kvm/x86.js';
export { mmuFirstShadowRootAlloc } from '../arch/x86/kvm/mmu/shadow-root.js';
export { kvmMmuInvalidateZapPagesInMemslot, kvmMmuWriteProtectPtMasked, publicationDetails, rmapAdd, slotLabel } from '../arch/x86/kvm/mmu/slot-rmap.js';
