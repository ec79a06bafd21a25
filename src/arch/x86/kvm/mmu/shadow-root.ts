/**
 * The lazy rmaps of arch/x86/kvm/mmu/mmu.c ("KVM: x86/mmu: Lazily allocate memslot rmaps",
 * thread reply by Sean Christopherson, 4 May 2021, docs/sources.md; merged form): with the TDP MMU,
 * memslots get rmaps only when the first shadow root is allocated, i.e. when a nested
 * guest (or anything else that needs the shadow MMU) starts. shadow_root_allocated is
 * published with smp_store_release strictly after every rmap pointer is set, and read
 * with smp_load_acquire, so whoever sees it set also sees the rmaps.
 */
import type { Op } from '../../../../rt/op.js';
import { current } from '../../../../rt/task.js';
import { mutexLock, mutexUnlock, smpStoreRelease, writeOnce } from '../../../../sync/index.js';
import { KVM_MEM_SLOTS, kvmMemslotsLocked, MS_ID, slotEntry, slotWord } from '../../../../virt/kvm/memslots.js';
import { KVM_FLAG_STEP, KVM_FLAG_TASK, kvmShadowRootAllocated, type LazyRmapsKvm } from '../memslot-host.js';
import { memslotRmapAlloc } from '../x86.js';
import { shared } from '../../../../rt/shared.js';

function* publishShadowRootAllocated(kvm: LazyRmapsKvm): Op {
  if (kvm.protocol.flagStore === 'once') yield* writeOnce(kvm.i32, kvm.flagWord, 1);
  else yield* smpStoreRelease(kvm.i32, kvm.flagWord, 1);
  const t = current;
  shared.store(kvm.i32, kvm.base + KVM_FLAG_STEP, t.lastStep);
  shared.store(kvm.i32, kvm.base + KVM_FLAG_TASK, t.id + 1);
}

/**
 * mmu_first_shadow_root_alloc(), from mmu_alloc_shadow_roots() in vCPU context, inside
 * the SRCU read section and before mmu_lock: 0 or -ENOMEM. The variants change where the
 * flag is published and what the failure path does.
 */
export function* mmuFirstShadowRootAlloc(kvm: LazyRmapsKvm): Op<number> {
  if (yield* kvmShadowRootAllocated(kvm)) return 0;
  const pr = kvm.protocol;
  yield* mutexLock(kvm.slots.slotsArchLock, 'mmu_first_shadow_root_alloc');
  let r = 0;
  if (!(yield* kvmShadowRootAllocated(kvm))) {
    current.count('first-shadow-root-alloc');
    if (pr.flagBeforeAlloc) yield* publishShadowRootAllocated(kvm);
    const slots = kvmMemslotsLocked(kvm.slots);
    for (let k = 0; k < KVM_MEM_SLOTS && r === 0; k++) {
      const e = slotEntry(kvm.slots, slots, k);
      if (slotWord(kvm.slots, e, MS_ID) !== 0) r = yield* memslotRmapAlloc(kvm, e);
    }
    if (r !== 0) current.count('first-shadow-root-alloc-failed');
    if (r !== 0 && pr.unlockLeak) return r; // v4: this error path forgot mutex_unlock()
    if (!pr.flagBeforeAlloc && (r === 0 || pr.keepFlagOnFailure)) yield* publishShadowRootAllocated(kvm);
  }
  yield* mutexUnlock(kvm.slots.slotsArchLock);
  return r;
}
