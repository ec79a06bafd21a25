/**
 * What the shadow MMU's reverse maps cost, the numbers the thread "KVM: x86/mmu: Shrink
 * pte_list_desc size when KVM is using TDP" (Peter Xu, 12 Jul 2022; docs/sources.md) argues about: the
 * per-vCPU mmu_pte_list_desc_cache at capacity for 14 and for 2 entries, the slab pages
 * that N vCPUs' cached descriptors really occupy (Peter Xu's question: slab allocates
 * whole pages), and the rmap arrays as a share of guest memory. Every figure comes from
 * the structures in pte-list-desc.ts and the cache capacity.
 */
import { KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE, PAGE_SIZE } from '../../../../virt/kvm/constants.js';
import { KVM_HPAGE_GFN_SHIFT_STEP, KVM_NR_PAGE_SIZES, KVM_RMAP_HEAD_BYTES, PTE_LIST_EXT, PTE_LIST_EXT_TDP_2022, pteListDescBytes } from './pte-list-desc.js';

export interface DescFootprint {
  /** PTE_LIST_EXT. */
  entries: number;
  /** sizeof(struct pte_list_desc). */
  descBytes: number;
  /** One vCPU's mmu_pte_list_desc_cache at capacity. */
  cacheBytesPerVcpu: number;
  /** Objects of that size in one order-0 slab page. */
  objectsPerSlabPage: number;
  /** The slab pages `vcpus` full caches occupy when their objects share pages. */
  slabPages: number;
  slabBytes: number;
}

export interface Footprint {
  vcpus: number;
  cacheCapacity: number;
  slabPageBytes: number;
  descs: DescFootprint[];
  /** The rmap arrays of a memslot: bytes per GiB of guest memory, over every page size. */
  rmapBytesPerGiB: number;
  /** The same as a share of the guest memory it maps (0.00196 = 0.196 %). */
  rmapShare: number;
}

function descFootprint(entries: number, vcpus: number): DescFootprint {
  const descBytes = pteListDescBytes(entries);
  const objectsPerSlabPage = Math.floor(PAGE_SIZE / descBytes);
  const slabPages = Math.ceil((vcpus * KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE) / objectsPerSlabPage);
  return {
    entries,
    descBytes,
    cacheBytesPerVcpu: KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE * descBytes,
    objectsPerSlabPage,
    slabPages,
    slabBytes: slabPages * PAGE_SIZE,
  };
}

/** kvm_alloc_memslot_metadata(): one kvm_rmap_head per gfn at 4 KiB, per 512 at 2 MiB, per 512^2 at 1 GiB. */
function rmapBytesFor(guestBytes: number): number {
  const npages = guestBytes / PAGE_SIZE;
  let heads = 0;
  for (let level = 1; level <= KVM_NR_PAGE_SIZES; level++) heads += Math.ceil(npages / 2 ** (KVM_HPAGE_GFN_SHIFT_STEP * (level - 1)));
  return heads * KVM_RMAP_HEAD_BYTES;
}

export function footprint(vcpus: number): Footprint {
  const gib = 2 ** 30;
  const rmapBytesPerGiB = rmapBytesFor(gib);
  return {
    vcpus,
    cacheCapacity: KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE,
    slabPageBytes: PAGE_SIZE,
    descs: [descFootprint(PTE_LIST_EXT, vcpus), descFootprint(PTE_LIST_EXT_TDP_2022, vcpus)],
    rmapBytesPerGiB,
    rmapShare: rmapBytesPerGiB / gib,
  };
}
