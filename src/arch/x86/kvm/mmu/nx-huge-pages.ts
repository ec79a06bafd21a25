/**
 * set_nx_huge_pages() (arch/x86/kvm/mmu/mmu.c): writing the nx_huge_pages module
 * parameter walks vm_list under kvm_lock and, for each VM, zaps all its pages under its
 * slots_lock (kvm_mmu_zap_all_fast), so kvm_lock is taken outside slots_lock.
 */
import type { Op } from '../../../../rt/op.js';
import { current } from '../../../../rt/task.js';
import { type Mutex, mutexLock, mutexUnlock } from '../../../../sync/index.js';
import type { KvmGlobal } from '../../../../virt/kvm/kvm-main.js';

export function* setNxHugePages(g: KvmGlobal, slotsLocks: Mutex[]): Op {
  yield* mutexLock(g.kvmLock, 'set_nx_huge_pages');
  for (const slotsLock of slotsLocks) {
    yield* mutexLock(slotsLock, 'set_nx_huge_pages');
    current.count('nx-huge-pages-zap-all');
    yield* mutexUnlock(slotsLock);
  }
  yield* mutexUnlock(g.kvmLock);
}
