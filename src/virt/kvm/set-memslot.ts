/**
 * kvm_set_memslot() and install_new_memslots() (virt/kvm/kvm_main.c, 5.16), step
 * for step: slots_arch_lock is taken before the memslots are copied and released by
 * install_new_memslots() after the copy is published and before synchronize_srcu(),
 * because vCPUs take it inside their SRCU read sections (virt/kvm/kvm_main.c: kvm_set_memslot(); docs/kernel-facts.md §4). A deleted or
 * moved slot is first installed marked KVM_MEMSLOT_INVALID and its mappings flushed;
 * then the memslots are copied afresh under slots_arch_lock, so arch data allocated in
 * between (the lazy rmaps) is not lost ("KVM: Ensure local memslot copies operate on
 * up-to-date arch-specific data").
 */
import type { Op } from '../../rt/op.js';
import { current } from '../../rt/task.js';
import { OBJ_IN_USE } from '../../shm/pool.js';
import { mutexLock, mutexUnlock, smpStoreRelease, synchronizeSrcu } from '../../sync/index.js';
import {
  idToMemslot,
  KVM_MEM_SLOTS,
  KVM_MEMSLOT_INVALID,
  KVM_MR_CREATE,
  KVM_MR_DELETE,
  type KvmSlots,
  kvmMemslotsLocked,
  kvzallocMayFail,
  MEMSLOT_PAGES,
  MEMSLOTS_WORDS,
  MS_BASE_GFN,
  MS_FLAGS,
  MS_ID,
  MS_NPAGES,
  MS_RMAP,
  SLOTS_GENERATION,
  SLOTS_INSTALLED_BY,
  SLOTS_INSTALLED_STEP,
  slotEntry,
  slotWord,
} from './memslots.js';
import { ENOMEM } from './constants.js';
import { shared } from '../../rt/shared.js';

/** What kvm_set_memslot() asks of the architecture. */
export interface MemslotArch {
  /**
   * kvm_arch_prepare_memory_region() for a created or moved slot (slots_arch_lock held):
   * the new slot's arch data (x86: its rmap array object, 0 for none) or -ENOMEM.
   */
  prepareMemoryRegion(change: number): Op<number>;
  /** kvm_arch_flush_shadow_memslot(): zap everything that maps the (now invalid) slot `entry` (x86 zaps all). */
  flushShadowMemslot(entry: number): Op;
  /** kvm_arch_free_memslot(): free arch data of a slot that is no longer installed. */
  freeMemslot(rmap: number): void;
  /** Mutation (lazy-rmaps memslot-without-arch-lock): a created slot is copied and installed without slots_arch_lock. */
  createWithoutArchLock?: boolean;
  /** Mutation (kvm-lock-order arch-lock-across-srcu-sync): install_new_memslots() drops slots_arch_lock only after synchronize_srcu(). */
  archLockAcrossSync?: boolean;
  /** Mutation (kvm-lock-order abba-arch-vs-mmu): every update flushes the slot's mappings (mmu_lock) while holding slots_arch_lock, before installing. */
  flushUnderArchLock?: boolean;
}

/** kvm_dup_memslots(): a copy of `from` in a new kvzalloc'd array; 0 on -ENOMEM. */
function* kvmDupMemslots(s: KvmSlots, from: number): Op<number> {
  if (!(yield* kvzallocMayFail(s, 'struct kvm_memslots'))) return 0;
  const t = current;
  const slots = s.memslotsPool.take(OBJ_IN_USE, t.id, t.lastStep);
  if (slots === 0) throw new Error('kvm_memslots pool exhausted: more than the installed array and one copy are live');
  kvmCopyMemslots(s, slots, from);
  return slots;
}

/** kvm_copy_memslots(): the whole array, arch data included, by value. */
function kvmCopyMemslots(s: KvmSlots, to: number, from: number): void {
  const a = s.memslotsPool.data(from);
  const b = s.memslotsPool.data(to);
  for (let k = 0; k < MEMSLOTS_WORDS; k++) shared.store(s.i32, b + k, shared.load(s.i32, a + k));
}

/**
 * install_new_memslots(): publish `slots` (rcu_assign_pointer), drop slots_arch_lock
 * (which kvm_set_memslot() took), wait out every SRCU reader of the old array, and
 * return the old array for reuse or kvfree.
 */
function* installNewMemslots(s: KvmSlots, arch: MemslotArch, slots: number, archLocked: boolean, change: number): Op<number> {
  const old = kvmMemslotsLocked(s);
  const t = current;
  const h = s.memslotsPool.data(slots);
  shared.store(s.i32, h + SLOTS_GENERATION, shared.load(s.i32, s.memslotsPool.data(old) + SLOTS_GENERATION) + 1);
  shared.store(s.i32, h + SLOTS_INSTALLED_BY, t.id + 1);
  yield* smpStoreRelease(s.i32, s.memslots, slots);
  shared.store(s.i32, h + SLOTS_INSTALLED_STEP, t.lastStep);
  t.count(`installed:${change}`);
  if (archLocked && !arch.archLockAcrossSync) yield* mutexUnlock(s.slotsArchLock);
  yield* synchronizeSrcu(s.srcu, 'install_new_memslots');
  if (archLocked && arch.archLockAcrossSync) yield* mutexUnlock(s.slotsArchLock);
  return old;
}

/** update_memslots(): write the new slot into the copy (create, move) or remove it (delete). */
function updateMemslots(s: KvmSlots, slots: number, change: number, id: number, baseGfn: number, flags: number, rmap: number): void {
  let e = idToMemslot(s, slots, id);
  if (e < 0) {
    for (let k = 0; k < KVM_MEM_SLOTS && e < 0; k++) if (slotWord(s, slotEntry(s, slots, k), MS_ID) === 0) e = slotEntry(s, slots, k);
  }
  const set = (f: number, v: number) => shared.store(s.i32, e + f, v);
  if (change === KVM_MR_DELETE) {
    for (const f of [MS_ID, MS_BASE_GFN, MS_NPAGES, MS_FLAGS, MS_RMAP]) set(f, 0);
    return;
  }
  set(MS_ID, id + 1);
  set(MS_BASE_GFN, baseGfn);
  set(MS_NPAGES, MEMSLOT_PAGES);
  set(MS_FLAGS, flags);
  set(MS_RMAP, rmap);
}

/**
 * kvm_set_memslot(), called by __kvm_set_memory_region() with slots_lock held. Returns
 * 0 or -ENOMEM; on success the old slot's arch data (deleted or moved slot) is freed
 * here, as __kvm_set_memory_region() does with kvm_free_memslot().
 */
export function* kvmSetMemslot(s: KvmSlots, arch: MemslotArch, change: number, id: number, baseGfn: number, flags: number): Op<number> {
  const archLocked = !(change === KVM_MR_CREATE && arch.createWithoutArchLock);
  if (archLocked) yield* mutexLock(s.slotsArchLock, 'kvm_set_memslot');
  if (arch.flushUnderArchLock) {
    const e = idToMemslot(s, kvmMemslotsLocked(s), change === KVM_MR_CREATE ? 0 : id);
    yield* arch.flushShadowMemslot(e);
  }
  let slots = yield* kvmDupMemslots(s, kvmMemslotsLocked(s));
  if (slots === 0) {
    if (archLocked) yield* mutexUnlock(s.slotsArchLock);
    return -ENOMEM;
  }
  const invalidate = change !== KVM_MR_CREATE;
  if (invalidate) {
    const e = idToMemslot(s, slots, id);
    shared.store(s.i32, e + MS_FLAGS, slotWord(s, e, MS_FLAGS) | KVM_MEMSLOT_INVALID);
    slots = yield* installNewMemslots(s, arch, slots, archLocked, change);
    yield* arch.flushShadowMemslot(idToMemslot(s, kvmMemslotsLocked(s), id));
    yield* mutexLock(s.slotsArchLock, 'kvm_set_memslot');
    // the arch data may have changed while slots_arch_lock was dropped: copy afresh
    kvmCopyMemslots(s, slots, kvmMemslotsLocked(s));
  }
  const oldRmap = invalidate ? slotWord(s, idToMemslot(s, slots, id), MS_RMAP) : 0;
  const rmap = change === KVM_MR_DELETE ? 0 : yield* arch.prepareMemoryRegion(change);
  if (rmap < 0) {
    if (invalidate) {
      const e = idToMemslot(s, slots, id);
      shared.store(s.i32, e + MS_FLAGS, slotWord(s, e, MS_FLAGS) & ~KVM_MEMSLOT_INVALID);
      slots = yield* installNewMemslots(s, arch, slots, archLocked, change);
    } else if (archLocked) {
      yield* mutexUnlock(s.slotsArchLock);
    }
    s.memslotsPool.give(slots, current.id);
    return rmap;
  }
  updateMemslots(s, slots, change, id, baseGfn, flags, rmap);
  const old = yield* installNewMemslots(s, arch, slots, archLocked, change);
  s.memslotsPool.give(old, current.id); // kvfree(): no reader can still see it
  if (oldRmap) arch.freeMemslot(oldRmap);
  return 0;
}
