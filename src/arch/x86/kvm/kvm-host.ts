/**
 * The modeled host: VMs on a kvm_lock-protected vm_list, each with its mmu_lock,
 * page tables and vCPUs; each vCPU with its four MMU memory caches and (for the v2
 * shrinker protocol) its mmu_memory_cache_lock. Everything lives in the arena, laid
 * out in the same order in the main thread and in every worker.
 */
import type { Arena } from '../../../shm/arena.js';
import { ObjectPool } from '../../../shm/pool.js';
import { Mutex, RwLock, Spinlock } from '../../../sync/index.js';
import { KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE } from '../../../virt/kvm/constants.js';
import { KVM_REFILL_PAGES, PTE_PREFETCH_NUM } from './mmu/constants.js';
import { PTE_LIST_EXT, pteListDescWords } from './mmu/pte-list-desc.js';
import { type CacheSharing, KvmMmuMemoryCache } from '../../../virt/kvm/memory-cache.js';
import { Reclaim } from '../../../mm/reclaim.js';
import { MEMSLOT_UPDATE, OnDemand } from '../../../virt/kvm/on-demand.js';
import { shared } from '../../../rt/shared.js';

/** mmu_topup_memory_caches()' minimums, per cache ("the gorilla math": the thread "KVM: x86/mmu: Clean up the
 * gorilla math in mmu_topup_memory_caches()", Ben Gardon, 10 Jun 2020; docs/sources.md). */
export interface TopupMinimums {
  /** mmu_pte_list_desc_cache: 1 rmap, 1 parent PTE per level, the prefetched rmaps. */
  rmaps: number;
  /** mmu_shadow_page_cache (before 2020 mmu_page_cache): page tables. */
  pages: number;
  /**
   * mmu_shadowed_info_cache: the gfn arrays of indirect pages; null when they come from
   * the page cache, as before they had a cache of their own.
   */
  shadowedInfo: number | null;
  /** mmu_page_header_cache: one kvm_mmu_page per new level. */
  headers: number;
}

/** How the vCPUs and the shrinker protect the caches: the thing the variants change. */
export interface MmuProtocol {
  /** Where a fault takes vcpu->arch.mmu_memory_cache_lock. */
  cacheLock: 'none' | 'before-topup' | 'after-topup';
  /** How mmu_shrink_scan gets at a vCPU's caches; 'none' means no cache shrinker. */
  shrinker: 'none' | 'trylock' | 'unlocked' | 'mutex-lock';
  /**
   * Which way kvm_mmu_zap_oldest_mmu_pages() walks active_mmu_pages: 'reverse' from the
   * tail, the oldest first (mainline); 'forward' from the head, the newest first (the
   * bug fixed by "KVM: x86: Zap the oldest MMU pages, not the newest"). Default reverse.
   */
  zapOldest?: 'reverse' | 'forward';
  /**
   * The TDP MMU's fault calls make_mmu_pages_available() under read_lock(mmu_lock), as
   * direct_page_fault() did before the CVE-2022-45869 fix (47b0c2e4c220). Default off.
   */
  tdpFaultMakesPagesAvailable?: boolean;
  /**
   * PTE_LIST_EXT: entries per pte_list_desc (mainline 14; 2 in the unmerged 2022 TDP
   * patch; 1 breaks pte_list_add()'s assumption of at least two). Default 14.
   */
  pteListExt?: number;
  /** mmu_topup_memory_caches()' minimums (default today's, TOPUP_TODAY). */
  topup?: TopupMinimums;
  /**
   * A nested fault that finds no root allocates it itself, from the caches it topped up,
   * instead of kvm_mmu_load() doing it in its own flow first (the gorilla-math thread's "KVM always
   * allocates roots in a separate flow"). Default off.
   */
  rootsInFault?: boolean;
}

export interface KvmConfig {
  vms: number;
  vcpus: number; // per VM
  /** Paging levels: 4 or 5. */
  levels: number;
  /** Guest memory per VM, in MiB; faults pick gfns below it. */
  guestMemMiB: number;
  /**
   * tdp_enabled (EPT or NPT in use): 1, L1 faults go to kvm_tdp_page_fault; 0, L1 runs
   * on shadow paging and its faults go to paging64_page_fault over indirect pages.
   */
  tdpEnabled: number;
  /** The kvm.tdp_mmu module parameter; the TDP MMU is used only with tdp_enabled (see tdpMmuEnabled). */
  tdpMmu: number;
  /** VENDOR_INTEL or VENDOR_AMD: which paging_tmpl.h flavour shadows a nested guest's TDP tables. */
  vendor: number;
  /** Percent of faults that are nested (L2) shadow-paging faults: indirect, write lock. */
  nestedPercent: number;
  /** n_max_mmu_pages per VM, for the shadow MMU. */
  nMaxMmuPages: number;
  /** Faults each vCPU takes. */
  faults: number;
  /**
   * How many L2 gfns a nested guest maps onto one L1 gfn (1: none), as firmware remapping
   * flash below 1 MiB does: their shadow SPTEs then share one rmap. Default 1.
   */
  aliases?: number;
  /**
   * The nested guest's page tables scatter its pages over L1 memory (an L2 gfn maps a
   * pseudo-random L1 gfn) instead of mapping them in order: neighbouring L2 SPTEs then
   * join unrelated rmaps. Default off (in order, `aliases` at a time).
   */
  nestedScatter?: boolean;
  /** Probability that one topup's allocations fall below the watermark and reclaim directly (run the shrinkers in the vCPU). Default 0. */
  pressure?: number;
  /** One topup in this many wakes kswapd (0: allocations never wake it). Default 0. */
  kswapdEvery?: number;
  /**
   * One fault in this many, on average, wakes a VMM role asleep on `memslotUpdates` for a
   * memslot update (0: no VMM sleeps there; a VMM role keeps its own pace). Default 0.
   */
  memslotEvery?: number;
}

export const VENDOR_INTEL = 0;
export const VENDOR_AMD = 1;
export const VENDOR_NAMES = ['intel', 'amd'];

/**
 * root_role.direct of the MMU a fault or load uses: L1's with tdp_enabled (TDP maps
 * gfns directly); a nested guest's, or L1's on shadow paging, shadows guest page tables.
 */
export function mmuIsDirect(c: KvmConfig, nested: boolean): boolean {
  return !nested && c.tdpEnabled === 1;
}

/** Whether the shadow MMU runs at all (and so builds rmaps): without the TDP MMU, or for a nested guest. */
export function usesShadowMmu(c: KvmConfig): boolean {
  return !tdpMmuEnabled(c) || c.nestedPercent > 0;
}

/** tdp_mmu_enabled = tdp_mmu_allowed && tdp_enabled (kvm_configure_mmu). */
export function tdpMmuEnabled(c: KvmConfig): boolean {
  return c.tdpMmu === 1 && c.tdpEnabled === 1;
}

export const PT_BITS = 9;
export const PT_ENTRIES = 1 << PT_BITS;

/** struct kvm_mmu_page fields, one pool object each (the mmu_page_header_cache's kmem_cache). */
export const SP_SPT = 0;
export const SP_GFN = 1;
export const SP_LEVEL = 2;
export const SP_ROLE = 3;
export const SP_SHADOWED = 4;
/**
 * Shadow MMU: sp->parent_ptes, a pte_list (like an rmap head) of the SPTEs that point at
 * this page. TDP MMU: sp->ptep, its one parent SPTE. One word for both, as the two share
 * a union in struct kvm_mmu_page: the role says which.
 */
export const SP_PARENT_PTES = 5;
export const SP_PTEP = 5;
/** sp->hash_link: the next page in its kvm->arch.mmu_page_hash bucket (shadow MMU only). */
export const SP_HASH_NEXT = 6;
export const SP_PREV = 7;
export const SP_NEXT = 8;
export const SP_ROOT_COUNT = 9;
export const SP_VM = 10;
/** The how-manieth shadow page of its VM this is (1, 2, ...): its age, for the zap-order oracle. */
export const SP_BIRTH = 11;
const SP_WORDS = 12;

export const ROLE_DIRECT = 1;
export const ROLE_TDP = 2;
/** role.guest_mode: the page shadows a nested guest's tables (L2 gfns), not L1's. */
export const ROLE_GUEST_MODE = 4;

/** Per-VM words. */
export const VM_L1_ROOT = 0; // root sp of the L1 MMU (TDP or direct shadow)
export const VM_L2_ROOT = 1; // root sp of the nested (indirect) shadow MMU
export const VM_ACTIVE_HEAD = 2; // active_mmu_pages: newest at head
export const VM_ACTIVE_TAIL = 3;
export const VM_N_USED = 4; // n_used_mmu_pages
export const VM_N_MAX = 5; // n_max_mmu_pages
export const VM_SP_BIRTHS = 6; // shadow pages this VM has allocated so far (the last SP_BIRTH)
export const VM_MMU_VALID_GEN = 7; // kvm->arch.mmu_valid_gen: bumped when every shadow page, roots included, is zapped
const VM_WORDS = 8;
/** Buckets of kvm->arch.mmu_page_hash (KVM_NUM_MMU_PAGES is 1 << 12 in the kernel; the model's VMs hold far fewer pages). */
export const KVM_NUM_MMU_PAGES = 1 << 8;

/** "vcpu1", or "vm1.vcpu0" when there are several VMs. */
export function vcpuName(vms: number, vm: number, vcpuIdx: number): string {
  return vms > 1 ? `vm${vm}.vcpu${vcpuIdx}` : `vcpu${vcpuIdx}`;
}

export class Vcpu {
  readonly mmuMemoryCacheLock: Mutex;
  readonly mmuPteListDescCache: KvmMmuMemoryCache;
  readonly mmuShadowPageCache: KvmMmuMemoryCache;
  readonly mmuShadowedInfoCache: KvmMmuMemoryCache;
  readonly mmuPageHeaderCache: KvmMmuMemoryCache;

  constructor(
    arena: Arena,
    world: KvmWorld,
    readonly kvm: Kvm,
    /** Global index (= role instance of the vcpu role). */
    readonly id: number,
    /** vcpu_idx within its VM. */
    readonly vcpuIdx: number,
  ) {
    const name = vcpuName(world.config.vms, kvm.id, vcpuIdx);
    this.name = name;
    this.mmuMemoryCacheLock = new Mutex(arena, `${name}.mmu_memory_cache_lock`, '&vcpu->arch.mmu_memory_cache_lock');
    const cache = (field: string, pool: ObjectPool, sharing: CacheSharing) => {
      const c = new KvmMmuMemoryCache(arena, `${name}.${field}`, field, pool, name);
      c.guardedBy = this.mmuMemoryCacheLock.id;
      c.sharing = sharing;
      return c;
    };
    // who else touches these caches (for dfs's topup reduction; checked on every emptying):
    // only the v2 shrinker, which reads the two page caches' nobjs in mmu_shrink_count()
    // (summed and tested against zero) and empties them under the mutex unless the
    // protocol skips it; nothing outside the vCPU touches the other two
    const shrunk: CacheSharing = { none: 'private' as const, trylock: 'guarded' as const, 'mutex-lock': 'guarded' as const, unlocked: 'shared' as const }[world.protocol.shrinker];
    this.mmuPteListDescCache = cache('mmu_pte_list_desc_cache', world.pteListDesc, 'private');
    this.mmuShadowPageCache = cache('mmu_shadow_page_cache', world.pages, shrunk);
    this.mmuShadowedInfoCache = cache('mmu_shadowed_info_cache', world.pages, shrunk);
    this.mmuPageHeaderCache = cache('mmu_page_header_cache', world.spHeaders, 'private');
  }

  readonly name: string;

  /** handedOut of each cache (in caches() order) when the current fault began. */
  faultStart: number[] = [0, 0, 0, 0];
  /** VM_MMU_VALID_GEN when this vCPU last loaded its L1 [0] and nested [1] roots: a root gone since is stale, not missing. */
  loadedGen: number[] = [0, 0];

  caches(): KvmMmuMemoryCache[] {
    return [this.mmuPteListDescCache, this.mmuShadowPageCache, this.mmuShadowedInfoCache, this.mmuPageHeaderCache];
  }
}

export class Kvm {
  readonly mmuLock: RwLock;
  /** kvm->arch.tdp_mmu_pages_lock: guards the TDP MMU's root list. */
  readonly tdpMmuPagesLock: Spinlock;
  readonly base: number;
  /**
   * The memslot's 4 KiB rmap (slot->arch.rmap[0]), as an open-addressed table over the
   * gfns the shadow MMU has mapped: rmapCapacity keys (gfn + 1, 0 empty), then as many
   * kvm_rmap_head values. 0 when the shadow MMU is never used (rmaps are lazy: "KVM: x86/mmu: Lazily allocate memslot rmaps").
   */
  readonly rmap: number;
  readonly rmapCapacity: number;
  /** kvm->arch.mmu_page_hash: KVM_NUM_MMU_PAGES bucket heads (a shadow page, 0 for none), chained by SP_HASH_NEXT. */
  readonly mmuPageHash: number;
  readonly vcpus: Vcpu[] = [];

  constructor(
    arena: Arena,
    readonly world: KvmWorld,
    readonly id: number,
  ) {
    const prefix = world.config.vms > 1 ? `vm${id}.` : '';
    this.mmuLock = new RwLock(arena, `${prefix}mmu_lock`, '&kvm->mmu_lock');
    this.tdpMmuPagesLock = new Spinlock(arena, `${prefix}tdp_mmu_pages_lock`, '&kvm->arch.tdp_mmu_pages_lock');
    this.base = arena.region(`kvm${id}`, VM_WORDS);
    if (arena.init) arena.i32[this.base + VM_N_MAX] = world.config.nMaxMmuPages;
    this.rmapCapacity = usesShadowMmu(world.config) ? rmapTableCapacity(world.config) : 0;
    this.rmap = this.rmapCapacity ? arena.region(`kvm${id}:rmap`, 2 * this.rmapCapacity) : 0;
    this.mmuPageHash = arena.region(`kvm${id}:mmu_page_hash`, KVM_NUM_MMU_PAGES);
  }

  get(word: number): number {
    return shared.load(this.world.i32, this.base + word);
  }

  set(word: number, v: number): void {
    shared.store(this.world.i32, this.base + word, v);
  }
}

/**
 * The most page-table pages one TDP tree can hold: at each level, no more tables than
 * faults, nor more than it takes to cover the guest's memory.
 */
function tdpTreeBound(c: KvmConfig): number {
  const faults = c.vcpus * c.faults;
  const gfns = c.guestMemMiB * 256;
  let pages = 1; // root
  for (let level = 2; level <= c.levels; level++) pages += Math.min(faults, Math.ceil(gfns / PT_ENTRIES ** (level - 1)));
  return pages;
}

/** Shadow-MMU pages one VM keeps: make_mmu_pages_available() holds them near n_max_mmu_pages (a fault may add a page per level before the next check). */
function shadowPagesBound(c: KvmConfig): number {
  return c.nMaxMmuPages + KVM_REFILL_PAGES + c.vcpus * c.levels;
}

/** Leaf SPTEs one VM's shadow MMU can have present: a fault maps one and prefetches up to PTE_PREFETCH_NUM - 1; at most a full table per shadow page. */
function shadowLeafBound(c: KvmConfig): number {
  return Math.min(c.vcpus * c.faults * PTE_PREFETCH_NUM, shadowPagesBound(c) * PT_ENTRIES);
}

/** A power of two at least twice the gfns one VM can rmap (a fault maps up to PTE_PREFETCH_NUM), so the table stays half empty. */
function rmapTableCapacity(c: KvmConfig): number {
  const gfns = Math.min(c.guestMemMiB * 256, c.vcpus * c.faults * PTE_PREFETCH_NUM);
  return 2 ** Math.ceil(Math.log2(2 * gfns + 2));
}

/**
 * How many objects each pool holds: every cache full, plus every page a VM can have
 * mapped: its TDP tree (if any) and the shadow MMU's pages, which
 * make_mmu_pages_available() keeps near n_max_mmu_pages (a fault may add a page per
 * level before the next check).
 */
function poolSizes(c: KvmConfig): { pages: number; headers: number; descs: number } {
  const cacheFill = KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE;
  const shadow = shadowPagesBound(c);
  const spPerVm = (tdpMmuEnabled(c) ? tdpTreeBound(c) : 0) + shadow;
  return {
    pages: c.vms * (c.vcpus * 2 * cacheFill + spPerVm + shadow), // spt of every sp, shadowed info of shadow ones
    headers: c.vms * (c.vcpus * cacheFill + spPerVm),
    // cached, plus one per rmapped SPTE at most (a descriptor holds at least one entry)
    descs: c.vms * (c.vcpus * cacheFill + (usesShadowMmu(c) ? shadowLeafBound(c) : 0)),
  };
}

export class KvmWorld {
  readonly i32: Int32Array;
  readonly pages: ObjectPool;
  readonly spHeaders: ObjectPool;
  readonly pteListDesc: ObjectPool;
  /** PTE_LIST_EXT of this execution (protocol.pteListExt, default 14). */
  readonly pteListExt: number;
  /** page -> kvm_mmu_page (page->private in the kernel). */
  readonly pagePrivate: number;
  /** The global kvm_lock protecting vm_list: a mutex since 2019 ("kvm: Convert kvm_lock to a mutex"; docs/kernel-facts.md §7). */
  readonly kvmLock: Mutex;
  /** The page allocator's reclaim: fs_reclaim for lockdep, and the shrinkers a scenario registers. */
  readonly reclaim: Reclaim;
  /** vm_list as an array of VM ids, head first. */
  readonly vmList: number;
  /** How many vCPUs are still faulting (the shrinker runs while any are). */
  readonly vcpusRunning: number;
  readonly vms: Kvm[] = [];
  readonly vcpus: Vcpu[] = [];
  /** With `memslotEvery`: where a VMM role sleeps until a fault asks for a memslot update. */
  readonly memslotUpdates: OnDemand | null;

  constructor(
    arena: Arena,
    readonly config: KvmConfig,
    readonly protocol: MmuProtocol,
  ) {
    this.i32 = arena.i32;
    const size = poolSizes(config);
    this.pages = new ObjectPool(arena, 'page', size.pages, PT_ENTRIES);
    this.spHeaders = new ObjectPool(arena, 'kvm_mmu_page', size.headers, SP_WORDS);
    this.pteListExt = protocol.pteListExt ?? PTE_LIST_EXT;
    this.pteListDesc = new ObjectPool(arena, 'pte_list_desc', size.descs, pteListDescWords(this.pteListExt));
    this.pagePrivate = arena.region('page->private', size.pages + 1);
    this.kvmLock = new Mutex(arena, 'kvm_lock');
    this.reclaim = new Reclaim(arena, config.pressure ?? 0, config.kswapdEvery ?? 0);
    this.vmList = arena.region('vm_list', config.vms);
    this.vcpusRunning = arena.region('vcpus_running', 1);
    if (arena.init) {
      for (let k = 0; k < config.vms; k++) this.i32[this.vmList + k] = k;
      this.i32[this.vcpusRunning] = config.vms * config.vcpus;
    }
    for (let v = 0; v < config.vms; v++) {
      const kvm = new Kvm(arena, this, v);
      this.vms.push(kvm);
      for (let k = 0; k < config.vcpus; k++) {
        const vcpu = new Vcpu(arena, this, kvm, this.vcpus.length, k);
        for (const mc of vcpu.caches()) mc.reclaim = this.reclaim;
        kvm.vcpus.push(vcpu);
        this.vcpus.push(vcpu);
      }
    }
    this.memslotUpdates = config.memslotEvery ? new OnDemand(arena, 'vmm_memslot_wait', config.memslotEvery, MEMSLOT_UPDATE) : null;
  }

  sp(sp: number, field: number): number {
    return shared.load(this.i32, this.spHeaders.data(sp) + field);
  }

  setSp(sp: number, field: number, v: number): void {
    shared.store(this.i32, this.spHeaders.data(sp) + field, v);
  }

  /** Word offset of entry `idx` of the page table page `page`. */
  spte(page: number, idx: number): number {
    return this.pages.data(page) + idx;
  }
}
