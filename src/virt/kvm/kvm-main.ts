/**
 * The global locks of virt/kvm/kvm_main.c: kvm_lock (a mutex since 2019) over vm_list,
 * and kvm_usage_count, the count of VMs that need virtualization enabled on every CPU.
 * Before 44d17459626052a2390457e550a12cb973506b2f ("KVM: Use dedicated mutex to protect
 * kvm_usage_count to avoid deadlock", 2024) kvm_lock guarded the count too, under
 * cpus_read_lock() in hardware_enable_all(); the fix gave it kvm_usage_lock, and
 * 9a798b1337af (v6.12) moved cpus_read_lock() inside kvm_usage_lock.
 */
import type { Op } from '../../rt/op.js';
import { current } from '../../rt/task.js';
import { type CpuHotplug, cpusReadLock, cpusReadUnlock } from '../../kernel/cpu.js';
import type { Arena } from '../../shm/arena.js';
import { Mutex, mutexLock, mutexUnlock } from '../../sync/index.js';
import { shared } from '../../rt/shared.js';

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
 * hardware_enable_all(), from kvm_create_vm(), as it was until 9a798b1337af: under
 * cpus_read_lock(), count the VM and enable virtualization on every CPU for the first;
 * the count under kvm_lock before 44d17459, under kvm_usage_lock after it (locking.rst
 * then: "cpus_read_lock() is taken outside kvm_lock and kvm_usage_lock").
 */
export function* hardwareEnableAll(g: KvmGlobal): Op {
  yield* cpusReadLock(g.hotplug, 'hardware_enable_all');
  const lock = g.usageGuard === 'kvm_lock' ? g.kvmLock : g.kvmUsageLock;
  yield* mutexLock(lock, 'hardware_enable_all');
  if (shared.add(g.i32, g.usageCount, 1) === 0) current.count('hardware-enabled');
  yield* mutexUnlock(lock);
  yield* cpusReadUnlock(g.hotplug);
}

/**
 * kvm_enable_virtualization() of mainline (9a798b1337af, renamed from hardware_enable_all()
 * by 70c0194337d3): kvm_usage_lock first, and for the first VM cpuhp_setup_state(), which
 * takes cpus_read_lock() inside it; locking.rst since: "kvm_usage_lock is taken outside
 * cpus_read_lock()".
 */
export function* kvmEnableVirtualization(g: KvmGlobal): Op {
  yield* mutexLock(g.kvmUsageLock, 'kvm_enable_virtualization');
  if (shared.add(g.i32, g.usageCount, 1) === 0) {
    yield* cpusReadLock(g.hotplug, 'cpuhp_setup_state');
    current.count('hardware-enabled');
    yield* cpusReadUnlock(g.hotplug);
  }
  yield* mutexUnlock(g.kvmUsageLock);
}
