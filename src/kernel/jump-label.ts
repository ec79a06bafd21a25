/**
 * kernel/jump_label.c: static_key_slow_inc() patches code, so it takes cpus_read_lock():
 * a static key turned on from a vCPU ioctl (KVM_SET_MSRS -> kvm_lapic_set_base(), the
 * apic_hw_disabled key, under vcpu->mutex and kvm->srcu) nests cpu_hotplug_lock inside both.
 */
import type { Op } from '../rt/op.js';
import { current } from '../rt/task.js';
import { type CpuHotplug, cpusReadLock, cpusReadUnlock } from './cpu.js';

export function* staticKeySlowInc(c: CpuHotplug, key: string): Op {
  yield* cpusReadLock(c, 'static_key_slow_inc');
  current.count(`static-key:${key}`);
  yield* cpusReadUnlock(c);
}
