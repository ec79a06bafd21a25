/**
 * The x86 VM of the lazy-rmaps scenario ("KVM: x86/mmu: Lazily allocate memslot rmaps", Sean
 * Christopherson, 4 May 2021; docs/sources.md): memslots (the generic KvmSlots),
 * mmu_lock, the TDP MMU on, and kvm->arch.shadow_root_allocated, the flag that says
 * every memslot has rmaps. Its rmaps are one array per memslot (slot->arch.rmap[0]),
 * one head per 4 KiB page; a head counts the shadow SPTEs that map its gfn, which is
 * all the publication protocol needs (pte-list-desc models the heads themselves).
 */
import type { Arena } from '../../../shm/arena.js';
import { ObjectPool } from '../../../shm/pool.js';
import type { Op } from '../../../rt/op.js';
import { RwLock, readOnce, smpLoadAcquire } from '../../../sync/index.js';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_SLOTS, KvmSlots, MEMSLOT_PAGES } from '../../../virt/kvm/memslots.js';
import { shared } from '../../../rt/shared.js';

/** How a variant departs from the merged protocol. */
export interface LazyRmapsProtocol {
  /** mmu_first_shadow_root_alloc() publishes the flag, then allocates the rmaps (v2's alloc_memslot_rmaps order). */
  flagBeforeAlloc?: boolean;
  /** kvm_set_memslot() copies and installs a created slot without slots_arch_lock. */
  createWithoutArchLock?: boolean;
  /** mmu_first_shadow_root_alloc() sets the flag even when an rmap allocation failed. */
  keepFlagOnFailure?: boolean;
  /** The flag is published with WRITE_ONCE instead of smp_store_release (an ordering bug only weak memory shows). */
  flagStore?: 'once';
  /** The flag is read with READ_ONCE instead of smp_load_acquire. */
  flagLoad?: 'once';
  /** mmu_first_shadow_root_alloc() returns from its allocation-failure path with slots_arch_lock held (v4). */
  unlockLeak?: boolean;
  /** kvm_set_memslot() keeps slots_arch_lock across synchronize_srcu(). */
  archLockAcrossSync?: boolean;
  /** kvm_set_memslot() flushes (write_lock(mmu_lock)) while holding slots_arch_lock. */
  flushUnderArchLock?: boolean;
  /** The first shadow root is allocated with mmu_lock held for write, so slots_arch_lock is taken inside mmu_lock. */
  firstRootUnderMmuLock?: boolean;
}

/** Per-VM words. */
export const KVM_SHADOW_ROOT_ALLOCATED = 0; // kvm->arch.shadow_root_allocated
export const KVM_FLAG_STEP = 1; // step of the smp_store_release that set it
export const KVM_FLAG_TASK = 2; // task + 1 that set it
export const KVM_VCPUS_RUNNING = 3;
const KVM_WORDS = 4;

export class LazyRmapsKvm {
  readonly slots: KvmSlots;
  readonly mmuLock: RwLock;
  /** Rmap arrays (kvcalloc(npages, sizeof(*slot->arch.rmap[0]))), one head per page. */
  readonly rmaps: ObjectPool;
  readonly base: number;
  readonly i32: Int32Array;

  constructor(
    arena: Arena,
    readonly vcpus: number,
    allocFail: number,
    readonly protocol: LazyRmapsProtocol,
  ) {
    this.i32 = arena.i32;
    this.slots = new KvmSlots(arena, allocFail, KVM_MEM_LOG_DIRTY_PAGES);
    this.mmuLock = new RwLock(arena, 'mmu_lock', '&kvm->mmu_lock');
    // every slot's rmaps and a moved slot's new ones, plus those a buggy variant leaks
    this.rmaps = new ObjectPool(arena, 'rmap', 16 * KVM_MEM_SLOTS, MEMSLOT_PAGES);
    this.base = arena.region('kvm->arch', KVM_WORDS);
    arena.nameWord(this.flagWord, 'kvm->arch.shadow_root_allocated');
    if (arena.init) this.i32[this.base + KVM_VCPUS_RUNNING] = vcpus;
  }

  get(word: number): number {
    return shared.load(this.i32, this.base + word);
  }

  /** The flag's word, for smp_store_release / smp_load_acquire. */
  get flagWord(): number {
    return this.base + KVM_SHADOW_ROOT_ALLOCATED;
  }
}

export const FLAG_NAME = 'kvm->arch.shadow_root_allocated';

/** kvm_shadow_root_allocated() (mmu.h): smp_load_acquire(&kvm->arch.shadow_root_allocated). */
export function* kvmShadowRootAllocated(kvm: LazyRmapsKvm): Op<boolean> {
  if (kvm.protocol.flagLoad === 'once') return (yield* readOnce(kvm.i32, kvm.flagWord, FLAG_NAME)) !== 0;
  return (yield* smpLoadAcquire(kvm.i32, kvm.flagWord, FLAG_NAME)) !== 0;
}

/** kvm_memslots_have_rmaps() (mmu.h): !tdp_mmu_enabled || kvm_shadow_root_allocated(); the TDP MMU is on here. */
export function* kvmMemslotsHaveRmaps(kvm: LazyRmapsKvm): Op<boolean> {
  return yield* kvmShadowRootAllocated(kvm);
}
