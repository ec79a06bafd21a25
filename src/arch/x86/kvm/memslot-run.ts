/**
 * What vCPUs and the VMM do in the VMs with memslots (lazy-rmaps, kvm-lock-order): a
 * vCPU's fault inside kvm->srcu, the first shadow root included, and one
 * KVM_SET_USER_MEMORY_REGION ioctl over slots 1..3 (slot 0 stays).
 */
import type { Op } from '../../../rt/op.js';
import type { Task } from '../../../rt/task.js';
import { type RareEvent, rare } from '../../../rt/rare.js';
import type { Params } from '../../../scenario.js';
import { mutexLock, mutexUnlock, readLock, readUnlock, writeLock, writeUnlock } from '../../../sync/index.js';
import {
  GFN_RANGES,
  idToMemslot,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_SLOTS,
  KVM_MEMSLOT_INVALID,
  KVM_MR_CREATE,
  KVM_MR_DELETE,
  KVM_MR_MOVE,
  KVM_MR_NAMES,
  kvmMemslots,
  kvmMemslotsLocked,
  MEMSLOT_PAGES,
  MS_BASE_GFN,
  MS_FLAGS,
  MS_ID,
  searchMemslots,
  slotEntry,
  slotWord,
} from '../../../virt/kvm/memslots.js';
import { kvmSetMemslot, type MemslotArch } from '../../../virt/kvm/set-memslot.js';
import type { LazyRmapsKvm } from './memslot-host.js';
import { mmuFirstShadowRootAlloc } from './mmu/shadow-root.js';
import { rmapAdd } from './mmu/slot-rmap.js';

/** A vCPU's MMU state across faults: whether its nested guest's first shadow root is allocated. */
export interface VcpuMmu {
  shadowRoot: boolean;
}

/**
 * One fault of a vCPU, inside kvm->srcu (the caller holds it): a nested fault first loads
 * the shadow MMU (kvm_mmu_load -> mmu_first_shadow_root_alloc; the mutation
 * `firstRootUnderMmuLock` does that with mmu_lock held for write), then the fault maps
 * through the TDP MMU or, nested, the shadow MMU. Returns 0, or -ENOMEM when the load failed.
 */
export function* kvmVcpuFault(kvm: LazyRmapsKvm, self: Task, mmu: VcpuMmu, gfn: number, nested: boolean): Op<number> {
  if (nested && !mmu.shadowRoot) {
    const underMmuLock = kvm.protocol.firstRootUnderMmuLock;
    if (underMmuLock) yield* writeLock(kvm.mmuLock, 'mmu_alloc_shadow_roots');
    const r = yield* mmuFirstShadowRootAlloc(kvm);
    if (underMmuLock) yield* writeUnlock(kvm.mmuLock);
    if (r !== 0) return r;
    mmu.shadowRoot = true;
  }
  yield* pageFault(kvm, self, gfn, nested);
  return 0;
}

/** kvm_mmu_page_fault() as far as memslots go: find the slot, then map through the TDP MMU or the shadow MMU. */
function* pageFault(kvm: LazyRmapsKvm, self: Task, gfn: number, nested: boolean): Op {
  const slots = yield* kvmMemslots(kvm.slots);
  const e = searchMemslots(kvm.slots, slots, gfn);
  if (e < 0) {
    self.count('faults-mmio'); // no memslot: emulated MMIO
    return;
  }
  if (slotWord(kvm.slots, e, MS_FLAGS) & KVM_MEMSLOT_INVALID) {
    self.count('faults-retried'); // kvm_faultin_pfn(): RET_PF_RETRY while the slot is being deleted or moved
    return;
  }
  if (nested) {
    yield* writeLock(kvm.mmuLock);
    rmapAdd(kvm, slots, e, gfn);
    yield* writeUnlock(kvm.mmuLock);
    self.count('shadow-faults');
  } else {
    yield* readLock(kvm.mmuLock);
    self.count('tdp-faults');
    yield* readUnlock(kvm.mmuLock);
  }
}

/**
 * Does vcpu0 start its nested guest (kvm_mmu_load -> the first shadow root) at fault `i`, or has it already? With `nestedEvery` 0, at `nestedFrom`, a
 * fault drawn once per execution; else with probability 1/nestedEvery at each fault, so
 * in many executions not at all (a real L1 starts its first L2 once in its life, if ever).
 */
/** vcpu0 starts its nested guest: the first shadow root (nestedEvery). */
export const NESTED_ENTRY: RareEvent = { name: 'nested-entry', what: 'the nested guest starting', per: 'faults of vcpu0', param: 'nestedEvery' };

export function nestedEntry(self: Task, p: Params): (i: number) => boolean {
  if (self.index !== 0) return () => false;
  if (p.nestedEvery > 0) {
    let entered = false;
    return () => {
      entered ||= rare(self, NESTED_ENTRY, p.nestedEvery);
      return entered;
    };
  }
  const nestedFrom = Math.floor(self.rng() * p.faults);
  return (i) => i >= nestedFrom;
}

/** A random gfn of the guest's physical address space. */
export function randomGfn(self: Task): number {
  return Math.floor(self.rng() * GFN_RANGES * MEMSLOT_PAGES);
}

/** The free gfn ranges (1..GFN_RANGES-1; range 0 is slot 0's) of the installed memslots. */
function freeRanges(kvm: LazyRmapsKvm, slots: number): number[] {
  const used = new Set<number>([0]);
  for (let k = 0; k < KVM_MEM_SLOTS; k++) {
    const e = slotEntry(kvm.slots, slots, k);
    if (slotWord(kvm.slots, e, MS_ID)) used.add(slotWord(kvm.slots, e, MS_BASE_GFN) / MEMSLOT_PAGES);
  }
  const free: number[] = [];
  for (let r = 1; r < GFN_RANGES; r++) if (!used.has(r)) free.push(r);
  return free;
}

/**
 * One KVM_SET_USER_MEMORY_REGION from the VMM: create a slot of 1..3 that is absent,
 * else move or delete it; every slot logs dirty pages (a migration is on).
 * __kvm_set_memory_region() runs under slots_lock and calls kvm_set_memslot().
 */
export function* kvmSetUserMemoryRegion(kvm: LazyRmapsKvm, self: Task, arch: MemslotArch): Op {
  yield* mutexLock(kvm.slots.slotsLock, 'kvm_set_memory_region');
  const slots = kvmMemslotsLocked(kvm.slots);
  const id = 1 + Math.floor(self.rng() * (KVM_MEM_SLOTS - 1));
  const free = freeRanges(kvm, slots);
  const present = idToMemslot(kvm.slots, slots, id) >= 0;
  const change = !present ? KVM_MR_CREATE : free.length && self.rng() < 0.5 ? KVM_MR_MOVE : KVM_MR_DELETE;
  const base = free.length ? free[Math.floor(self.rng() * free.length)] * MEMSLOT_PAGES : 0;
  if (change !== KVM_MR_CREATE || free.length) {
    const r = yield* kvmSetMemslot(kvm.slots, arch, change, id, base, KVM_MEM_LOG_DIRTY_PAGES);
    self.count(r === 0 ? `${KVM_MR_NAMES[change]}` : `${KVM_MR_NAMES[change]}-ENOMEM`);
  }
  yield* mutexUnlock(kvm.slots.slotsLock);
}
