/**
 * shrinker-vs-fault: the race seed 003 argues about. A shrinker empties a vCPU's
 * page caches while that vCPU is between mmu_topup_memory_caches() and the
 * allocations it makes under mmu_lock.
 */
import { checkConservation } from '../src/check/conservation.js';
import { POINT } from '../src/exec/op.js';
import { kvmAccounts } from '../src/kvm/accounting.js';
import { KVM_MIN_ALLOC_MMU_PAGES, PAGE_SIZE, RET_PF_RETRY, SHRINK_BATCH } from '../src/kvm/constants.js';
import { kvmMmuDoPageFault } from '../src/kvm/fault.js';
import { type KvmConfig, KvmWorld, type MmuProtocol, VENDOR_NAMES, vcpuName } from '../src/kvm/kvm.js';
import { kvmMmuLoad } from '../src/kvm/mmu.js';
import { mmuShrinkCount, mmuShrinkScan } from '../src/kvm/shrinker.js';
import { defineScenario, type Params } from '../src/scenario.js';

const PROTOCOLS: Record<string, MmuProtocol> = {
  removed: { cacheLock: 'none', shrinker: 'none' },
  'cache-lock': { cacheLock: 'before-topup', shrinker: 'trylock' },
  'no-cache-lock': { cacheLock: 'before-topup', shrinker: 'unlocked' },
  'lock-after-topup': { cacheLock: 'after-topup', shrinker: 'trylock' },
  'shrinker-mutex-lock': { cacheLock: 'before-topup', shrinker: 'mutex-lock' },
};

function config(p: Params): KvmConfig {
  return {
    vms: p.vms,
    vcpus: p.vcpus,
    levels: p.levels,
    guestMemMiB: p.guestMemMiB,
    tdpEnabled: p.tdpEnabled,
    tdpMmu: p.tdpMmu,
    vendor: p.vendor,
    nestedPercent: p.nestedPercent,
    nMaxMmuPages: p.nMaxMmuPages,
    faults: p.faults,
  };
}

const kib = (objects: number) => (objects * PAGE_SIZE) / 1024;

/** Upper bounds of the parameters, checked before a run (exit 2 beyond them). */
const MAX_VMS = 8;
const MAX_VCPUS = 24;
const MAX_FAULTS = 10_000_000;
const MAX_GUEST_MEM_MIB = 4 * 1024 * 1024;
const MAX_MMU_PAGES = 1_000_000;

export default defineScenario<KvmWorld>({
  name: 'shrinker-vs-fault',
  description: [
    "Models seed 003: Vipin Sharma's v2 series \"KVM: x86/mmu: Use MMU shrinker to shrink KVM MMU memory",
    'caches" (Oct 2024), judged "a clever solution for a problem that doesn\'t exist" and removed in v3.',
    'vCPUs fault on random gfns (the TDP MMU under read_lock, direct_page_fault or shadow paging under',
    'write_lock, a nested guest through ept_* or paging64_* under write_lock), topping up their four memory',
    'caches before mmu_lock; a shrinker repeatedly empties mmu_shadow_page_cache and mmu_shadowed_info_cache',
    'under kvm_lock, nr_to_scan drawn per call in 1..SHRINK_BATCH. Simplified: no fast path, pfn = gfn, no sp',
    'hash (a missing level always allocates), rmaps are not built (pte_list_desc objects are topped up, not',
    'consumed), zapping frees a whole subtree at once. kvm_lock is still a spinlock here (mainline made it a',
    'mutex in 2019; the lock-order issue converts it).',
  ].join('\n'),
  params: {
    vms: 1,
    vcpus: 2,
    faults: 100,
    levels: 4,
    guestMemMiB: 4096,
    tdpEnabled: 1,
    tdpMmu: 1,
    vendor: 0,
    nestedPercent: 20,
    nMaxMmuPages: 64,
  },
  paramHelp: {
    vms: `VMs on vm_list (1..${MAX_VMS})`,
    vcpus: `vCPUs per VM (at most ${MAX_VCPUS} in all)`,
    faults: `faults each vCPU takes (1..${MAX_FAULTS})`,
    levels: 'paging levels, 4 or 5',
    guestMemMiB: `guest memory per VM; faults pick gfns below it (1..${MAX_GUEST_MEM_MIB})`,
    tdpEnabled: 'tdp_enabled: 1, L1 faults go to kvm_tdp_page_fault; 0, L1 runs on shadow paging (paging64_page_fault)',
    tdpMmu: 'the kvm.tdp_mmu module parameter: 1, kvm_tdp_page_fault uses the TDP MMU (read_lock); 0, direct_page_fault (write_lock)',
    vendor: 'intel or amd: a nested guest faults through ept_page_fault (nested EPT) or paging64_page_fault (nested NPT)',
    nestedPercent: 'percent of faults taken by a nested (L2) guest: shadow paging over indirect pages (0..100)',
    nMaxMmuPages: `n_max_mmu_pages per VM, for the shadow MMU (${KVM_MIN_ALLOC_MMU_PAGES}..${MAX_MMU_PAGES})`,
  },
  paramNames: { vendor: VENDOR_NAMES },
  validate(p) {
    if (p.levels !== 4 && p.levels !== 5) return `levels must be 4 or 5, not ${p.levels}`;
    for (const k of ['tdpEnabled', 'tdpMmu']) if (p[k] !== 0 && p[k] !== 1) return `${k} must be 0 or 1, not ${p[k]}`;
    if (!(p.nestedPercent >= 0 && p.nestedPercent <= 100)) return `nestedPercent must be 0..100, not ${p.nestedPercent}`;
    for (const k of ['vms', 'vcpus', 'faults', 'guestMemMiB', 'nMaxMmuPages']) {
      if (!Number.isInteger(p[k]) || p[k] < 1) return `${k} must be a whole number >= 1, not ${p[k]}`;
    }
    if (p.vms > MAX_VMS) return `vms must be at most ${MAX_VMS}, not ${p.vms}`;
    if (p.vms * p.vcpus > MAX_VCPUS) return `at most ${MAX_VCPUS} vCPUs in all (vms x vcpus), not ${p.vms * p.vcpus}`;
    if (p.faults > MAX_FAULTS) return `faults must be at most ${MAX_FAULTS} per vCPU, not ${p.faults}`;
    if (p.guestMemMiB > MAX_GUEST_MEM_MIB) return `guestMemMiB must be at most ${MAX_GUEST_MEM_MIB} (4 TiB), not ${p.guestMemMiB}`;
    if (p.nMaxMmuPages < KVM_MIN_ALLOC_MMU_PAGES) return `nMaxMmuPages must be at least ${KVM_MIN_ALLOC_MMU_PAGES} (KVM_MIN_ALLOC_MMU_PAGES), not ${p.nMaxMmuPages}`;
    if (p.nMaxMmuPages > MAX_MMU_PAGES) return `nMaxMmuPages must be at most ${MAX_MMU_PAGES}, not ${p.nMaxMmuPages}`;
    return null;
  },
  variants: {
    removed: {
      expect: 'ok',
      source: 'v3, mainline: "KVM: x86/mmu: Remove KVM\'s MMU shrinker"',
      summary: 'no cache shrinker at all',
    },
    'cache-lock': {
      expect: 'ok',
      source: 'Vipin Sharma v2 2/3, Oct 2024',
      summary: 'vCPU holds mmu_memory_cache_lock from topup through the fault; the shrinker trylocks it',
    },
    'no-cache-lock': {
      expect: 'cache-empty-under-lock',
      source: 'mutation: the shrinker empties the caches without the per-vCPU mutex',
      summary: 'shrinker skips mmu_memory_cache_lock',
    },
    'lock-after-topup': {
      expect: 'cache-empty-under-lock',
      source: 'mutation: the vCPU takes mmu_memory_cache_lock only after the topup',
      summary: 'the topup is outside the cache mutex',
    },
    'shrinker-mutex-lock': {
      expect: 'sleep-in-atomic',
      source: 'mutation: the shrinker blocks in mutex_lock() while holding kvm_lock',
      summary: 'mutex_lock instead of mutex_trylock, under kvm_lock',
    },
  },
  progress: 'a fault or MMU load that returns anything but RET_PF_RETRY',
  setup(arena, p, variant) {
    return new KvmWorld(arena, config(p), PROTOCOLS[variant]);
  },
  roles: {
    vcpu: {
      count: (p) => p.vms * p.vcpus,
      name: (i, p) => vcpuName(p.vms, Math.floor(i / p.vcpus), i % p.vcpus),
      *run(w, self, p) {
        const vcpu = w.vcpus[self.index];
        // A vCPU whose MMU cannot be loaded returns to userspace, as KVM_RUN would.
        const loaded = (yield* kvmMmuLoad(vcpu, false)) >= 0 && (p.nestedPercent === 0 || (yield* kvmMmuLoad(vcpu, true)) >= 0);
        const gfns = p.guestMemMiB * 256;
        for (let i = 0; loaded && i < p.faults; i++) {
          const gfn = Math.floor(self.rng() * gfns);
          const nested = self.rng() * 100 < p.nestedPercent;
          // A fault that returns RET_PF_RETRY is taken again, as the guest would.
          for (let tries = 0; tries < 8; tries++) {
            if ((yield* kvmMmuDoPageFault(vcpu, gfn, nested)) !== RET_PF_RETRY) break;
          }
        }
        yield POINT;
        Atomics.sub(w.i32, w.vcpusRunning, 1);
      },
    },
    shrinker: {
      count: (_p, variant) => (PROTOCOLS[variant].shrinker === 'none' ? 0 : 1),
      *run(w, self) {
        // The shrinker core calls count, then scan, for as long as memory is tight:
        // here, for as long as any vCPU is faulting. do_shrink_slab() passes
        // nr_to_scan = min(SHRINK_BATCH, what is left to scan), so 1..SHRINK_BATCH:
        // drawn uniformly here, which tries small scans as often as full batches.
        while (Atomics.load(w.i32, w.vcpusRunning) > 0) {
          if ((yield* mmuShrinkCount(w)) > 0) yield* mmuShrinkScan(w, 1 + Math.floor(self.rng() * SHRINK_BATCH));
          else yield POINT;
        }
      },
    },
  },
  check(w, _p, _variant, step) {
    return checkConservation(kvmAccounts(w), step);
  },
  summarize(s, executions, unit) {
    const n = (k: string) => s[k] ?? 0;
    const faults = n('vcpu.faults');
    const lines = [
      `${faults} faults (${(faults / executions).toFixed(0)} per execution), ${n('vcpu.faults-retried')} retried, ${n('vcpu.faults-failed')} failed` +
        `${n('vcpu.mmu-loads-failed') ? ` (and ${n('vcpu.mmu-loads-failed')} failed MMU loads)` : ''}, ` +
        `${n('vcpu.topups')} cache topups, ${n('vcpu.warn-empty-cache')} allocations from an empty cache (WARN)`,
    ];
    if (n('shrinker.shrinker-scans') > 0) {
      const freed = n('shrinker.shrinker-freed');
      const asked = n('shrinker.shrinker-requested');
      lines.push(
        `shrinker: ${n('shrinker.shrinker-scans')} scans asked for ${asked} objects (nr_to_scan 1..${SHRINK_BATCH}) and freed ${freed} cached pages ` +
          `(${asked ? ((100 * freed) / asked).toFixed(1) : '0'}% of what was asked; ${n('shrinker.shrinker-scans-met')} scans freed their nr_to_scan); ` +
          `${(kib(freed) / 1024).toFixed(1)} MiB in all, ${(freed / executions).toFixed(1)} pages per execution, at most ${kib(n('shrinker.max-freed-per-scan'))} KiB in one scan; ` +
          `${n('shrinker.shrinker-trylock-failed')} trylocks failed`,
      );
    }
    const lock = '&vcpu->arch.mmu_memory_cache_lock';
    const waits = n(`vcpu.waits:${lock}`);
    if (waits > 0 || n('shrinker.shrinker-scans') > 0) {
      lines.push(
        `vCPUs waited on mmu_memory_cache_lock ${waits} times (${((100 * waits) / Math.max(faults + n('vcpu.mmu-loads'), 1)).toFixed(2)}% of faults and MMU loads), ` +
          `${n(`vcpu.wait:${lock}`).toFixed(0)} ${unit} in all, at most ${(s[`vcpu.maxwait:${lock}`] ?? 0).toFixed(0)} ${unit}`,
      );
    }
    return lines;
  },
});
