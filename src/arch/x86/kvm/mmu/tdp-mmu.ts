/**
 * The TDP MMU fault path (arch/x86/kvm/mmu/tdp_mmu.c): mmu_lock is taken for READ,
 * so several vCPUs walk and link concurrently, each new table installed with a
 * cmpxchg; the loser frees its page straight back to the allocator (not to its cache)
 * and the fault is retried.
 */
import type { Op } from '../../../../rt/op.js';
import { current, MODE_READ } from '../../../../rt/task.js';
import { cmpxchg, readLock, readOnce, readUnlock, spinLock, spinUnlock } from '../../../../sync/index.js';
import { lockdepAssertHeld } from '../../../../sync/lockdep.js';
import { RET_PF_FIXED, RET_PF_RETRY, RET_PF_SPURIOUS } from './constants.js';
import type { Kvm, Vcpu } from '../kvm-host.js';
import { ROLE_DIRECT, ROLE_TDP, SP_PTEP, SP_ROOT_COUNT, SP_SPT, VM_L1_ROOT } from '../kvm-host.js';
import { isShadowPresentPte, kvmMmuAllocShadowPage, kvmMmuFreeShadowPage, makeLeafSpte, noRoot, spteIndex, toShadowPage } from './mmu-page.js';
import { T_ROOT, T_SP_LINK, T_SP_LINK_LOST } from './trace-ops.js';
import { shared } from '../../../../rt/shared.js';

/** tdp_mmu_alloc_sp() + tdp_mmu_init_child_sp(): header and spt from the caches. */
function* tdpMmuAllocSp(vcpu: Vcpu, parent: number, idx: number, gfn: number, level: number): Op<number> {
  const w = vcpu.kvm.world;
  const sp = yield* kvmMmuAllocShadowPage(vcpu, gfn, level, ROLE_TDP | ROLE_DIRECT, 'tdp_mmu_alloc_sp');
  w.setSp(sp, SP_PTEP, w.spte(w.sp(parent, SP_SPT), idx));
  return sp;
}

/**
 * tdp_mmu_set_spte_atomic(): install `next` where `old` was read, with a cmpxchg that
 * fails if another vCPU changed the SPTE meanwhile. Only under the read lock
 * (lockdep_assert_held_read): the write-lock paths set SPTEs without atomics.
 */
function* tdpMmuSetSpteAtomic(kvm: Kvm, sptep: number, old: number, next: number): Op<boolean> {
  lockdepAssertHeld(current, kvm.mmuLock.id, [MODE_READ], 'tdp_mmu_set_spte_atomic()');
  return (yield* cmpxchg(kvm.world.i32, sptep, old, next)) === old;
}

/**
 * kvm_tdp_mmu_map(): walk from the root; for each non-present non-leaf SPTE allocate
 * a child and link it with tdp_mmu_set_spte_atomic(). Losing the cmpxchg frees the
 * child (tdp_mmu_free_sp) and returns RET_PF_RETRY.
 */
export function* kvmTdpMmuMap(vcpu: Vcpu, gfn: number): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  let sp = kvm.get(VM_L1_ROOT);
  if (!sp) return noRoot('kvm_tdp_mmu_map');
  for (let level = w.config.levels; level > 1; level--) {
    const idx = spteIndex(gfn, level);
    const sptep = w.spte(w.sp(sp, SP_SPT), idx);
    const spte = yield* readOnce(w.i32, sptep);
    if (isShadowPresentPte(spte)) {
      sp = toShadowPage(kvm, spte);
      continue;
    }
    const child = yield* tdpMmuAllocSp(vcpu, sp, idx, gfn, level - 1);
    // tdp_mmu_link_sp() -> tdp_mmu_set_spte_atomic(): from the value we read
    if (!(yield* tdpMmuSetSpteAtomic(kvm, sptep, spte, w.sp(child, SP_SPT)))) {
      current.trace(T_SP_LINK_LOST, child, level - 1);
      current.count('tdp-link-lost');
      kvmMmuFreeShadowPage(kvm, child);
      return RET_PF_RETRY;
    }
    current.trace(T_SP_LINK, child, level - 1);
    sp = child;
  }
  // tdp_mmu_map_handle_target_level()
  const leaf = w.spte(w.sp(sp, SP_SPT), spteIndex(gfn, 1));
  const newSpte = makeLeafSpte(gfn);
  const old = yield* readOnce(w.i32, leaf);
  if (old === newSpte) return RET_PF_SPURIOUS;
  if (!(yield* tdpMmuSetSpteAtomic(kvm, leaf, old, newSpte))) return RET_PF_RETRY;
  return RET_PF_FIXED;
}

/**
 * kvm_tdp_mmu_alloc_root(): under read_lock(mmu_lock), reuse a root with the same role;
 * else under tdp_mmu_pages_lock check again and allocate one from the vCPU's caches.
 */
export function* kvmTdpMmuAllocRoot(vcpu: Vcpu): Op<number> {
  const kvm = vcpu.kvm;
  const w = kvm.world;
  yield* readLock(kvm.mmuLock);
  const rootCount = (sp: number) => w.spHeaders.data(sp) + SP_ROOT_COUNT;
  let root = kvm.get(VM_L1_ROOT);
  if (root) {
    shared.add(w.i32, rootCount(root), 1); // kvm_tdp_mmu_get_root()
  } else {
    yield* spinLock(kvm.tdpMmuPagesLock);
    root = kvm.get(VM_L1_ROOT); // recheck for a root added meanwhile
    if (root) {
      shared.add(w.i32, rootCount(root), 1);
    } else {
      root = yield* kvmMmuAllocShadowPage(vcpu, 0, w.config.levels, ROLE_TDP | ROLE_DIRECT, 'kvm_tdp_mmu_alloc_root');
      // refcount_set(&root->tdp_mmu_root_count, 2): one for this vCPU, one for the TDP MMU itself
      shared.store(w.i32, rootCount(root), 2);
      kvm.set(VM_L1_ROOT, root); // list_add_rcu(&root->link, &kvm->arch.tdp_mmu_roots)
    }
    yield* spinUnlock(kvm.tdpMmuPagesLock);
  }
  current.trace(T_ROOT, root, shared.load(w.i32, rootCount(root)));
  yield* readUnlock(kvm.mmuLock);
  return 0;
}
