/**
 * The arm64 VM of the arm64-memcache scenario (the thread "KVM: arm64: Distinguish cases of memcache
 * allocations completely", Alexandru Elisei, 25 Mar 2021; docs/sources.md): a stage-2 page table of three
 * levels with a 4 KiB granule (a 39-bit IPA space: level 1 maps 1 GiB blocks, level 2
 * 2 MiB blocks, level 3 pages), kvm->mmu_lock, three memslots backed by 4 KiB pages,
 * 2 MiB THPs and 1 GiB hugetlb pages, and each vCPU's vcpu->arch.mmu_page_cache.
 */
import type { Arena } from '../../../shm/arena.js';
import { OBJ_IN_USE, ObjectPool } from '../../../shm/pool.js';
import { Spinlock, Srcu } from '../../../sync/index.js';
import { KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE } from '../../../virt/kvm/constants.js';
import { KvmMmuMemoryCache } from '../../../virt/kvm/memory-cache.js';
import { shared } from '../../../rt/shared.js';

/** How a variant decides to top up vcpu->arch.mmu_page_cache in user_mem_abort(). */
export type TopupRule =
  /** mainline: if (!fault_is_perm || (logging_active && write_fault)), before mmu_lock */
  | 'mainline'
  /** Yanan Wang's RFC: if (fault_granule > vma_pagesize), before mmu_lock */
  | 'granule-check'
  /** the same condition, with the topup inside the mmu_lock critical section */
  | 'granule-check-under-lock'
  /** mutation: only translation faults top up */
  | 'no-topup-on-perm';

export const PTRS_PER_PTE = 512;
/** Stage-2 levels of a 39-bit IPA space with 4 KiB pages (start level 1). */
export const STAGE2_LEVELS = 3;
export const START_LEVEL = 1;
export const LEAF_LEVEL = 3;

/** Pages (4 KiB) one entry of each level maps: level 1 a 1 GiB block, level 2 2 MiB, level 3 a page. */
export function levelPages(level: number): number {
  return PTRS_PER_PTE ** (LEAF_LEVEL - level);
}

/** The level whose entries map `pages` pages. */
export function levelFor(pages: number): number {
  return LEAF_LEVEL - Math.round(Math.log(pages) / Math.log(PTRS_PER_PTE));
}

/** Stage-2 descriptor as the model encodes it: 0 invalid; a table (page << 3 | 3); a leaf 1 with S2AP write (4). */
export const PTE_VALID = 1;
export const PTE_TABLE = 2;
export const PTE_S2AP_W = 4;
export const PTE_PAGE_SHIFT = 3;

/** The memslots: what backs each (the VMA's page size, in 4 KiB pages), each 1 GiB of IPA space. */
export const SLOT_BACKING = [1, PTRS_PER_PTE, PTRS_PER_PTE * PTRS_PER_PTE];
export const SLOT_BACKING_NAMES = ['4 KiB pages', '2 MiB THP', '1 GiB hugetlb'];
/** The THP-backed slot: its VMA says PAGE_SIZE; the 2 MiB size appears only under mmu_lock (transparent_hugepage_adjust). */
export const SLOT_THP = 1;
export const SLOT_PAGES = PTRS_PER_PTE * PTRS_PER_PTE;
export const KVM_MEM_LOG_DIRTY_PAGES = 1;

export class Arm64Vcpu {
  /** vcpu->arch.mmu_page_cache: stage-2 table pages. */
  readonly mmuPageCache: KvmMmuMemoryCache;
  constructor(
    arena: Arena,
    kvm: Arm64Kvm,
    readonly id: number,
  ) {
    this.name = `vcpu${id}`;
    this.mmuPageCache = new KvmMmuMemoryCache(arena, `${this.name}.mmu_page_cache`, 'mmu_page_cache', kvm.pages, this.name);
  }
  readonly name: string;
}

export class Arm64Kvm {
  /** kvm->mmu_lock: a spinlock on arm64 when the thread was written (5.12); today an rwlock that faults take for read. */
  readonly mmuLock: Spinlock;
  /** kvm->srcu: a fault reads its memslot inside it; a memslot update waits for those readers before committing. */
  readonly srcu: Srcu;
  /** Page-table pages (the page allocator): cached, in the tree, or free. */
  readonly pages: ObjectPool;
  /** kvm->arch.mmu.pgt->pgd: the level-1 table, allocated with the VM. */
  readonly pgd: number;
  /** Each memslot's flags (KVM_MEM_LOG_DIRTY_PAGES). */
  readonly slotFlags: number;
  readonly vcpusRunning: number;
  /** Guest accesses the boot vCPU has made (secondary vCPUs wait for it). */
  readonly bootAccesses: number;
  /** The VMM's vCPU pause request and how many vCPUs are paused (userspace state, not KVM's). */
  readonly pause: number;
  readonly vcpus: Arm64Vcpu[] = [];
  readonly i32: Int32Array;

  constructor(
    arena: Arena,
    vcpus: number,
    /** The IPA span, in pages, at the start of each slot that the guest touches. */
    readonly spanPages: number,
    readonly topup: TopupRule,
  ) {
    this.i32 = arena.i32;
    this.mmuLock = new Spinlock(arena, 'mmu_lock', '&kvm->mmu_lock');
    this.srcu = new Srcu(arena, 'kvm->srcu', '&kvm->srcu');
    // every cache full, plus the tree: the pgd, a level-2 table per slot, level-3 tables over the span
    const tree = 1 + SLOT_BACKING.length * (1 + Math.ceil(spanPages / PTRS_PER_PTE));
    this.pages = new ObjectPool(arena, 'page', vcpus * (KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE + 8) + 2 * tree, PTRS_PER_PTE);
    this.slotFlags = arena.region('memslot flags', SLOT_BACKING.length);
    this.vcpusRunning = arena.region('vcpus_running', 1);
    this.bootAccesses = arena.region('boot vCPU accesses', 1);
    this.pause = arena.region('VMM pause_all_vcpus', 2);
    this.pgd = arena.init ? this.pages.take(OBJ_IN_USE, -1, 0) : 1; // the first page taken, in every thread
    if (arena.init) this.i32[this.vcpusRunning] = vcpus;
    for (let k = 0; k < vcpus; k++) this.vcpus.push(new Arm64Vcpu(arena, this, k));
  }

  /** Word of entry `idx` of the table page `page`. */
  pte(page: number, idx: number): number {
    return this.pages.data(page) + idx;
  }

  loggingActive(slot: number): boolean {
    return (shared.load(this.i32, this.slotFlags + slot) & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  }
}
