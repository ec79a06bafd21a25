/**
 * kernel/cpu.c: cpu_hotplug_lock, the percpu rw-semaphore behind cpus_read_lock(), which
 * CPU hotplug takes for write. Documentation/virt/kvm/locking.rst: cpus_read_lock() is
 * taken outside kvm_lock.
 */
import type { Op } from '../rt/op.js';
import type { Arena } from '../shm/arena.js';
import { PercpuRwsem, percpuDownRead, percpuUpRead } from '../sync/index.js';

export class CpuHotplug {
  readonly lock: PercpuRwsem;
  constructor(arena: Arena) {
    this.lock = new PercpuRwsem(arena, 'cpu_hotplug_lock');
  }
}

export function* cpusReadLock(c: CpuHotplug, site?: string): Op {
  yield* percpuDownRead(c.lock, site);
}

export function* cpusReadUnlock(c: CpuHotplug): Op {
  yield* percpuUpRead(c.lock);
}
