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
import { type KvmConfig, KvmWorld, type MmuProtocol, vcpuName } from '../src/kvm/kvm.js';
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
    tdp: p.tdp,
    nestedPercent: p.nestedPercent,
    nMaxMmuPages: p.nMaxMmuPages,
    faults: p.faults,
  };
}

const kib = (objects: number) => (objects * PAGE_SIZE) / 1024;

export default defineScenario<KvmWorld>({
  name: 'shrinker-vs-fault',
  description: [
    "Models seed 003: Vipin Sharma's v2 series \"KVM: x86/mmu: Use MMU shrinker to shrink KVM MMU memory",
    'caches" (Oct 2024), judged "a clever solution for a problem that doesn\'t exist" and removed in v3.',
    'vCPUs fault on random gfns (TDP MMU under read_lock, nested shadow paging under write_lock), topping up',
    'their four memory caches before mmu_lock; a shrinker repeatedly empties mmu_shadow_page_cache and',
    'mmu_shadowed_info_cache under kvm_lock. Simplified: no fast path, pfn = gfn, no sp hash (a missing level',
    'always allocates), rmaps are not built (pte_list_desc objects are topped up, not consumed), zapping frees',
    'a whole subtree at once. kvm_lock is a spinlock here as in kvm-facts §7 (mainline made it a mutex in 2019).',
  ].join('\n'),
  params: {
    vms: 1,
    vcpus: 2,
    faults: 100,
    levels: 4,
    guestMemMiB: 4096,
    tdp: 1,
    nestedPercent: 20,
    nMaxMmuPages: 64,
    nrToScan: SHRINK_BATCH,
  },
  paramHelp: {
    vms: 'VMs on vm_list',
    vcpus: 'vCPUs per VM',
    faults: 'faults each vCPU takes',
    levels: 'paging levels, 4 or 5',
    guestMemMiB: 'guest memory per VM; faults pick gfns below it',
    tdp: '1: L1 faults use the TDP MMU (read_lock); 0: direct_page_fault (write_lock)',
    nestedPercent: 'percent of faults that are nested shadow-paging faults (indirect pages)',
    nMaxMmuPages: 'n_max_mmu_pages per VM (shadow MMU)',
    nrToScan: 'sc->nr_to_scan of each mmu_shrink_scan call',
  },
  validate(p) {
    if (p.levels !== 4 && p.levels !== 5) return `levels must be 4 or 5, not ${p.levels}`;
    if (p.tdp !== 0 && p.tdp !== 1) return `tdp must be 0 or 1, not ${p.tdp}`;
    if (!(p.nestedPercent >= 0 && p.nestedPercent <= 100)) return `nestedPercent must be 0..100, not ${p.nestedPercent}`;
    for (const k of ['vms', 'vcpus', 'faults', 'guestMemMiB', 'nMaxMmuPages', 'nrToScan']) {
      if (!Number.isInteger(p[k]) || p[k] < 1) return `${k} must be a whole number >= 1, not ${p[k]}`;
    }
    if (p.nMaxMmuPages < KVM_MIN_ALLOC_MMU_PAGES) return `nMaxMmuPages must be at least ${KVM_MIN_ALLOC_MMU_PAGES} (KVM_MIN_ALLOC_MMU_PAGES), not ${p.nMaxMmuPages}`;
    if (p.vms * p.vcpus > 24) return `at most 24 vCPUs in all (vms x vcpus), not ${p.vms * p.vcpus}`;
    if (p.guestMemMiB > 4 * 1024 * 1024) return 'guestMemMiB must be at most 4194304 (4 TiB)';
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
  // About 70 steps per fault in practice; far beyond that is a livelock.
  maxSteps: (p) => 10_000_000 + 2_000 * p.vms * p.vcpus * p.faults,
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
      *run(w, _self, p) {
        // The shrinker core calls count, then scan, for as long as memory is tight:
        // here, for as long as any vCPU is faulting.
        while (Atomics.load(w.i32, w.vcpusRunning) > 0) {
          if ((yield* mmuShrinkCount(w)) > 0) yield* mmuShrinkScan(w, p.nrToScan);
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
      lines.push(
        `shrinker: ${n('shrinker.shrinker-scans')} scans freed ${freed} cached pages (${(kib(freed) / 1024).toFixed(1)} MiB in all, ` +
          `${(freed / executions).toFixed(1)} per execution, at most ${kib(n('shrinker.max-freed-per-scan'))} KiB in one scan); ` +
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
