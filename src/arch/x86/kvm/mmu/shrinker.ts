/**
 * The MMU shrinker of Vipin Sharma's v2 series ("KVM: x86/mmu: Use MMU shrinker to
 * shrink KVM MMU memory caches", Oct 2024; thread reply by Sean Christopherson, 24 Oct 2024, docs/sources.md): instead of zapping shadow pages
 * it empties the vCPUs' page caches. v3 removed the shrinker altogether. Below it, the
 * page-zapping shrinker the series started from.
 */
import { IDLE, type Op } from '../../../../rt/op.js';
import type { Params, RoleDef } from '../../../../scenario.js';
import { current, type Task } from '../../../../rt/task.js';
import { type RareEvent, rare } from '../../../../rt/rare.js';
import { mutexLock, mutexTrylock, mutexUnlock, readOnce, writeLock, writeUnlock } from '../../../../sync/index.js';
import { type Kvm, type KvmWorld, VM_N_USED } from '../kvm-host.js';
import { kvmMmuZapOldestMmuPages } from './mmu-page.js';
import { kvmMmuEmptyMemoryCache } from '../../../../virt/kvm/memory-cache.js';
import { kswapdReclaim, type Shrinker } from '../../../../mm/reclaim.js';
import { T_SHRINK_DONE, T_SHRINK_SCAN, T_VM_MOVE_TAIL } from './trace-ops.js';
import { onlyTestedForZero, shared } from '../../../../rt/shared.js';

/** list_move_tail(&kvm->vm_list, &vm_list); vm_list is an array of ids, head first. */
function listMoveTail(w: KvmWorld, vm: number): void {
  const n = w.config.vms;
  let k = 0;
  while (k < n && w.i32[w.vmList + k] !== vm) k++;
  for (; k < n - 1; k++) w.i32[w.vmList + k] = w.i32[w.vmList + k + 1];
  w.i32[w.vmList + n - 1] = vm;
  current.trace(T_VM_MOVE_TAIL, vm, 0);
}

/**
 * mmu_shrink_count(): under kvm_lock, the objects in every vCPU's shadow page and
 * shadowed info caches, read without the per-vCPU lock (READ_ONCE).
 */
export function* mmuShrinkCount(w: KvmWorld): Op<number> {
  yield* mutexLock(w.kvmLock);
  let count = 0;
  for (const vcpu of w.vcpus) {
    for (const mc of [vcpu.mmuShadowPageCache, vcpu.mmuShadowedInfoCache]) {
      count += yield* readOnce(w.i32, mc.nobjsWord());
      // the sum only decides whether a scan runs (shrinkSlab: count > 0), so each read is
      // only "empty or not": a topup or an allocation that leaves the cache nonempty does not
      // change what this read decides (for dfs: docs/exploration.md, "dfs reductions")
      onlyTestedForZero(w.i32, mc.nobjsWord());
    }
  }
  yield* mutexUnlock(w.kvmLock);
  return count;
}

/** Empty one vCPU's page caches, taking its cache mutex as `protocol.shrinker` says. */
function* shrinkVcpuCaches(kvm: Kvm, vcpuIdx: number): Op<number> {
  const vcpu = kvm.vcpus[vcpuIdx];
  const how = kvm.world.protocol.shrinker;
  const t = current;
  if (how === 'trylock') {
    if (!(yield* mutexTrylock(vcpu.mmuMemoryCacheLock))) {
      t.count('shrinker-trylock-failed');
      return 0;
    }
  } else if (how === 'mutex-lock') {
    yield* mutexLock(vcpu.mmuMemoryCacheLock);
  }
  let freed = yield* kvmMmuEmptyMemoryCache(vcpu.mmuShadowPageCache);
  freed += yield* kvmMmuEmptyMemoryCache(vcpu.mmuShadowedInfoCache);
  if (how !== 'unlocked') yield* mutexUnlock(vcpu.mmuMemoryCacheLock);
  return freed;
}

/**
 * mmu_shrink_scan(): under kvm_lock, visit each VM once, moving it to the tail of
 * vm_list first so the pain spreads across VMs; empty each vCPU's
 * mmu_shadow_page_cache and mmu_shadowed_info_cache; stop once `nrToScan` objects
 * are freed (checked per vCPU). do_shrink_slab() passes nr_to_scan = min(batch,
 * total_scan), so 1..SHRINK_BATCH; the statistics count what was asked against what
 * was freed.
 */
export function* mmuShrinkScan(w: KvmWorld, nrToScan: number): Op<number> {
  const t = current;
  t.trace(T_SHRINK_SCAN, nrToScan, 0);
  let freed = 0;
  yield* mutexLock(w.kvmLock);
  const first = w.i32[w.vmList];
  scan: for (let visited = 0; visited < w.config.vms; visited++) {
    const vm = w.i32[w.vmList];
    if (visited > 0 && vm === first) break;
    listMoveTail(w, vm);
    const kvm = w.vms[vm];
    for (let k = 0; k < kvm.vcpus.length; k++) {
      freed += yield* shrinkVcpuCaches(kvm, k);
      if (freed >= nrToScan) break scan;
    }
  }
  yield* mutexUnlock(w.kvmLock);
  t.trace(T_SHRINK_DONE, freed, 0);
  t.count('shrinker-scans');
  t.count('shrinker-requested', nrToScan);
  t.count('shrinker-freed', freed);
  if (freed >= nrToScan) t.count('shrinker-scans-met');
  t.max('max-freed-per-scan', freed);
  return freed;
}

/*
 * The MMU shrinker mainline had before the series above (the v2 thread's starting point):
 * it zaps shadow pages instead of emptying caches. `zap-oldest` runs it as a role.
 */

/** mmu_shrink_count(): percpu_counter_read_positive(&kvm_total_used_mmu_pages), every VM's n_used_mmu_pages. */
export function* mmuShrinkCountUsedPages(w: KvmWorld): Op<number> {
  let count = 0;
  for (const kvm of w.vms) count += yield* readOnce(w.i32, kvm.base + VM_N_USED);
  return count;
}

/**
 * mmu_shrink_scan() of the page-zapping shrinker: under kvm_lock walk vm_list (at most
 * nr_to_scan VMs); skip VMs with no shadow pages in use (n_used_mmu_pages read without
 * mmu_lock); for the first other one take write_lock(mmu_lock), zap its oldest pages
 * (kvm_mmu_zap_oldest_mmu_pages(kvm, nr_to_scan)), unlock, move it to the tail of
 * vm_list, and stop. SRCU is not modeled.
 */
export function* mmuShrinkScanZapOldest(w: KvmWorld, nrToScan: number): Op<number> {
  const t = current;
  t.trace(T_SHRINK_SCAN, nrToScan, 0);
  let freed = 0;
  yield* mutexLock(w.kvmLock);
  for (let k = 0, budget = nrToScan; k < w.config.vms && budget-- > 0; k++) {
    const kvm = w.vms[w.i32[w.vmList + k]];
    if (!(yield* readOnce(w.i32, kvm.base + VM_N_USED))) continue;
    yield* writeLock(kvm.mmuLock);
    freed = yield* kvmMmuZapOldestMmuPages(kvm, nrToScan);
    yield* writeUnlock(kvm.mmuLock);
    listMoveTail(w, kvm.id);
    break;
  }
  yield* mutexUnlock(w.kvmLock);
  t.trace(T_SHRINK_DONE, freed, 0);
  t.count('shrinker-scans');
  t.count('shrinker-requested', nrToScan);
  t.count('shrinker-zapped', freed);
  return freed;
}

/** The v2 series' MMU shrinker (register_shrinker in kvm_mmu_vendor_module_init). */
export function mmuShrinker(w: KvmWorld): Shrinker {
  return { name: 'mmu_shrinker', countObjects: () => mmuShrinkCount(w), scanObjects: (n) => mmuShrinkScan(w, n) };
}

/** The page-zapping MMU shrinker mainline had before it. */
export function mmuZapShrinker(w: KvmWorld): Shrinker {
  return { name: 'mmu_shrinker', countObjects: () => mmuShrinkCountUsedPages(w), scanObjects: (n) => mmuShrinkScanZapOldest(w, n) };
}

/**
 * kswapd while memory is tight: here, for as long as any vCPU is faulting, a round of
 * reclaim (the registered shrinkers inside fs_reclaim) one step in `every`, on average.
 */
/** The zap shrinker's step is a scan (shrinkEvery of zap-oldest, pte-list-desc). */
export const SHRINK_SCAN: RareEvent = { name: 'shrink-scan', what: 'a shrinker scan', per: "of the shrinker's steps", param: 'shrinkEvery' };

export function* kswapd(w: KvmWorld, self: Task, every: number): Op {
  while (shared.load(w.i32, w.vcpusRunning) > 0) {
    // (every 1 still draws, as it always did: the same executions)
    if (every === 1 ? self.rng() < 2 : rare(self, SHRINK_SCAN, every)) yield* kswapdReclaim(w.reclaim);
    else yield IDLE;
  }
}

/** The most shrinker steps between two scans `shrinkEvery` may ask for. */
const MAX_SHRINK_EVERY = 1_000_000;

export const SHRINK_EVERY_HELP = `memory pressure: the shrinker's steps between two mmu_shrink_scan() calls, on average (0: no shrinker; at most ${MAX_SHRINK_EVERY})`;

export function validateShrinkEvery(p: Params): string | null {
  if (!Number.isInteger(p.shrinkEvery) || p.shrinkEvery < 0 || p.shrinkEvery > MAX_SHRINK_EVERY) return `shrinkEvery must be a whole number 0..${MAX_SHRINK_EVERY}, not ${p.shrinkEvery}`;
  return null;
}

/**
 * The page-zapping shrinker as a role (scenarios with a `shrinkEvery` parameter).
 * Reclaim comes now and then, not back to back (a shrinker that zapped all the time
 * would leave make_mmu_pages_available() nothing to recycle): while any vCPU is
 * faulting, one step in shrinkEvery calls count, then scan, with nr_to_scan drawn in
 * 1..SHRINK_BATCH as do_shrink_slab() passes it.
 */
export const ZAP_SHRINKER_ROLE: RoleDef<KvmWorld> = {
  count: (p) => (p.shrinkEvery > 0 ? 1 : 0),
  *run(w, self, p) {
    yield* kswapd(w, self, p.shrinkEvery);
  },
};
