/**
 * The global locks of virt/kvm/kvm_main.c: kvm_lock (a mutex since 2019) over vm_list,
 * and kvm_usage_count, the count of VMs that need virtualization enabled on every CPU.
 * Before 44d17459626052a2390457e550a12cb973506b2f ("KVM: Use dedicated mutex to protect
 * kvm_usage_count to avoid deadlock", 2024) kvm_lock guarded the count too, under
 * cpus_read_lock() in hardware_enable_all(); the fix gave it kvm_usage_lock.
 */
import type { Op } from '../../exec/op.js';
import { current } from '../../exec/task.js';
import { type CpuHotplug, cpusReadLock, cpusReadUnlock } from '../../kernel/cpu.js';
import type { Arena } from '../../shm/arena.js';
import { Mutex, mutexLock, mutexUnlock } from '../../sync/index.js';

export class KvmGlobal {
  readonly kvmLock: Mutex;
  readonly kvmUsageLock: Mutex;
  /** kvm_usage_count */
  readonly usageCount: number;
  readonly i32: Int32Array;

  constructor(
    arena: Arena,
    readonly hotplug: CpuHotplug,
    /** Which lock guards kvm_usage_count: kvm_lock (before the fix) or kvm_usage_lock. */
    readonly usageGuard: 'kvm_lock' | 'kvm_usage_lock',
  ) {
    this.i32 = arena.i32;
    this.kvmLock = new Mutex(arena, 'kvm_lock');
    this.kvmUsageLock = new Mutex(arena, 'kvm_usage_lock');
    this.usageCount = arena.region('kvm_usage_count', 1);
  }
}

/**
 * hardware_enable_all(), from kvm_create_vm(): count the VM and enable virtualization on
 * every CPU for the first. Before the fix, under cpus_read_lock() then kvm_lock; after
 * it, kvm_usage_lock outside cpus_read_lock() (locking.rst: "kvm_usage_lock is taken
 * outside cpus_read_lock()").
 */
export function* hardwareEnableAll(g: KvmGlobal): Op {
  const before = g.usageGuard === 'kvm_lock';
  if (before) {
    yield* cpusReadLock(g.hotplug, 'hardware_enable_all');
    yield* mutexLock(g.kvmLock, 'hardware_enable_all');
  } else {
    yield* mutexLock(g.kvmUsageLock, 'hardware_enable_all');
    yield* cpusReadLock(g.hotplug, 'hardware_enable_all');
  }
  if (Atomics.add(g.i32, g.usageCount, 1) === 0) current.count('hardware-enabled');
  if (before) {
    yield* mutexUnlock(g.kvmLock);
    yield* cpusReadUnlock(g.hotplug);
  } else {
    yield* cpusReadUnlock(g.hotplug);
    yield* mutexUnlock(g.kvmUsageLock);
  }
}
