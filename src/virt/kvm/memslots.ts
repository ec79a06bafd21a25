/**
 * struct kvm_memslots and struct kvm_memory_slot as virt/kvm/kvm_main.c had them in 5.16,
 * the last release before the memslot rework: an array of slots, copied whole on every update
 * (kvm_dup_memslots), the copy installed with rcu_assign_pointer() and read by vCPUs with
 * srcu_dereference() inside kvm->srcu. A slot's arch data (x86: arch.rmap) is copied by
 * value with it, so a copy taken without slots_arch_lock can miss rmaps allocated since.
 */
import { POINT, type Op } from '../../rt/op.js';
import { current } from '../../rt/task.js';
import type { Arena } from '../../shm/arena.js';
import { OBJ_IN_USE, ObjectPool } from '../../shm/pool.js';
import { Mutex, mightSleep, Srcu, smpLoadAcquire } from '../../sync/index.js';
import { shared } from '../../rt/shared.js';

/** Slots a VM may have (KVM_USER_MEM_SLOTS is 509 on x86; the races need a few). */
export const KVM_MEM_SLOTS = 4;
/** Pages per memslot: small, so that slots come and go often. */
export const MEMSLOT_PAGES = 16;
/** Guest physical address space, in memslot-sized ranges: slot 0 keeps range 0, the others move among the rest. */
export const GFN_RANGES = 8;

/** struct kvm_memory_slot, one entry of a kvm_memslots object. */
export const MS_ID = 0; // slot id + 1; 0: the entry is unused
export const MS_BASE_GFN = 1;
export const MS_NPAGES = 2;
export const MS_FLAGS = 3;
/** slot->arch.rmap[0]: an rmap array object of the arch's pool, 0 for NULL. */
export const MS_RMAP = 4;
const SLOT_WORDS = 5;

/** struct kvm_memslots: its generation, then who installed it and when (for reports). */
export const SLOTS_GENERATION = 0;
export const SLOTS_INSTALLED_STEP = 1;
export const SLOTS_INSTALLED_BY = 2; // task + 1
const SLOTS_HDR = 3;
export const MEMSLOTS_WORDS = SLOTS_HDR + KVM_MEM_SLOTS * SLOT_WORDS;

/** Memslot flags: userspace's KVM_MEM_LOG_DIRTY_PAGES, and KVM's own KVM_MEMSLOT_INVALID. */
export const KVM_MEM_LOG_DIRTY_PAGES = 1;
export const KVM_MEMSLOT_INVALID = 1 << 16;

export const KVM_MR_CREATE = 0;
export const KVM_MR_DELETE = 1;
export const KVM_MR_MOVE = 2;
export const KVM_MR_NAMES = ['KVM_MR_CREATE', 'KVM_MR_DELETE', 'KVM_MR_MOVE'];

/** The generic part of a VM that memslots need: kvm->srcu, slots_lock, slots_arch_lock, kvm->memslots[0]. */
export class KvmSlots {
  readonly srcu: Srcu;
  /** kvm->slots_lock: serialises memslot updates (KVM_SET_USER_MEMORY_REGION). */
  readonly slotsLock: Mutex;
  /** kvm->slots_arch_lock: held from copying the memslots until the copy is installed. */
  readonly slotsArchLock: Mutex;
  /** struct kvm_memslots objects (kvzalloc'd arrays). */
  readonly memslotsPool: ObjectPool;
  /** kvm->memslots[0]: the installed kvm_memslots object. */
  readonly memslots: number;
  readonly i32: Int32Array;
  /** Probability that one kvzalloc()/kvcalloc() fails (--param allocFail). */
  readonly allocFail: number;

  /** `initialFlags`: slot 0's flags (KVM_MEM_LOG_DIRTY_PAGES when the VMM logs dirty pages). */
  constructor(arena: Arena, allocFail: number, initialFlags = 0) {
    this.i32 = arena.i32;
    this.allocFail = allocFail;
    this.srcu = new Srcu(arena, 'kvm->srcu', '&kvm->srcu');
    this.slotsLock = new Mutex(arena, 'slots_lock', '&kvm->slots_lock');
    this.slotsArchLock = new Mutex(arena, 'slots_arch_lock', '&kvm->slots_arch_lock');
    // the installed array and the copy being built (a delete or move reuses the old array), and one spare
    this.memslotsPool = new ObjectPool(arena, 'kvm_memslots', 3, MEMSLOTS_WORDS);
    this.memslots = arena.region('kvm->memslots[0]', 1);
    arena.nameWord(this.memslots, 'kvm->memslots[0]');
    // the rmap pointers, for traces of weak memory: array object o (1..3), entry k
    for (let o = 1; o <= this.memslotsPool.capacity; o++) {
      for (let k = 0; k < KVM_MEM_SLOTS; k++) arena.nameWord(slotEntry(this, o, k) + MS_RMAP, `kvm_memslots#${o}->memslots[${k}].arch.rmap[0]`);
    }
    if (arena.init) {
      // kvm_create_vm(): an empty array; slot 0 is the VM's base memory, created before any vCPU runs
      const slots = this.memslotsPool.take(OBJ_IN_USE, -1, 0);
      const e = slotEntry(this, slots, 0);
      this.i32[e + MS_ID] = 1;
      this.i32[e + MS_BASE_GFN] = 0;
      this.i32[e + MS_NPAGES] = MEMSLOT_PAGES;
      this.i32[e + MS_FLAGS] = initialFlags;
      this.i32[this.memslots] = slots;
    }
  }
}

/** Word offset of entry `k` of the kvm_memslots object `slots`. */
export function slotEntry(s: KvmSlots, slots: number, k: number): number {
  return s.memslotsPool.data(slots) + SLOTS_HDR + k * SLOT_WORDS;
}

export function slotWord(s: KvmSlots, entry: number, field: number): number {
  return shared.load(s.i32, entry + field);
}

/** __kvm_memslots(): the installed array; the caller holds slots_lock, slots_arch_lock or kvm->srcu. */
export function kvmMemslotsLocked(s: KvmSlots): number {
  return shared.load(s.i32, s.memslots);
}

/** kvm_memslots() / srcu_dereference(kvm->memslots[0], &kvm->srcu): a dependency-ordered load. */
export function* kvmMemslots(s: KvmSlots): Op<number> {
  return yield* smpLoadAcquire(s.i32, s.memslots);
}

/** search_memslots(): the entry of `slots` whose range holds `gfn`, or -1. */
export function searchMemslots(s: KvmSlots, slots: number, gfn: number): number {
  for (let k = 0; k < KVM_MEM_SLOTS; k++) {
    const e = slotEntry(s, slots, k);
    if (slotWord(s, e, MS_ID) === 0) continue;
    const base = slotWord(s, e, MS_BASE_GFN);
    if (gfn >= base && gfn < base + slotWord(s, e, MS_NPAGES)) return e;
  }
  return -1;
}

/** id_to_memslot(): the entry of slot `id` in `slots`, or -1. */
export function idToMemslot(s: KvmSlots, slots: number, id: number): number {
  for (let k = 0; k < KVM_MEM_SLOTS; k++) {
    const e = slotEntry(s, slots, k);
    if (slotWord(s, e, MS_ID) === id + 1) return e;
  }
  return -1;
}

/** A kvzalloc()/kvcalloc() with GFP_KERNEL_ACCOUNT: may sleep, and fails with probability allocFail (0 = never). */
export function* kvzallocMayFail(s: KvmSlots, what: string): Op<boolean> {
  yield POINT;
  const t = current;
  mightSleep(t, `kvzalloc(${what}, GFP_KERNEL_ACCOUNT)`);
  if (s.allocFail > 0 && t.rng() < s.allocFail) {
    t.count('alloc-failures');
    return false;
  }
  return true;
}
