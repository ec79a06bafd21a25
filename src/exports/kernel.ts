/**
 * `mmu-stress/kernel`: the kernel services the KVM model calls into, outside KVM:
 * cpu_hotplug_lock and static keys (kernel/cpu.c, kernel/jump_label.c) and memory
 * reclaim as lockdep sees it (fs_reclaim, shrinkers, kswapd: mm/vmscan.c). The locks
 * themselves are the package root's (`mmu-stress`).
 */
export { CpuHotplug, cpusReadLock, cpusReadUnlock } from '../kernel/cpu.js';
export { staticKeySlowInc } from '../kernel/jump-label.js';
export { KSWAPD_WAKE, kswapdOnDemand, kswapdReclaim, mightAlloc, Reclaim, SHRINK_BATCH, type Shrinker, shrinkSlab, wakeupKswapd } from '../mm/reclaim.js';
