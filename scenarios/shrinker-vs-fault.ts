/**
 * shrinker-vs-fault: the race the thread "KVM: x86/mmu: Use MMU shrinker to shrink KVM
 * MMU memory caches" (Sean Christopherson, 24 Oct 2024; docs/sources.md) argues about. A shrinker empties a vCPU's
 * page caches while that vCPU is between mmu_topup_memory_caches() and the
 * allocations it makes under mmu_lock.
 */
import { checkKvm } from '../src/arch/x86/kvm/accounting.js';
import { PAGE_SIZE } from '../src/virt/kvm/constants.js';
import { HOST_PARAM_HELP, HOST_PARAM_NAMES, HOST_PARAMS, hostConfig, validateHostParams } from '../src/arch/x86/kvm/host-params.js';
import { KvmWorld, type MmuProtocol } from '../src/arch/x86/kvm/kvm-host.js';
import { mmuShrinker } from '../src/arch/x86/kvm/mmu/shrinker.js';
import { kswapdOnDemand, SHRINK_BATCH } from '../src/mm/reclaim.js';
import { VCPU_PROGRESS, VCPU_ROLE } from '../src/arch/x86/kvm/vcpu-run.js';
import { KVM_LOCK_ORDER } from '../src/virt/kvm/locking.js';
import { defineScenario } from '../src/scenario.js';
import { shared } from '../src/rt/shared.js';

const PROTOCOLS: Record<string, MmuProtocol> = {
  removed: { cacheLock: 'none', shrinker: 'none' },
  'cache-lock': { cacheLock: 'before-topup', shrinker: 'trylock' },
  'no-cache-lock': { cacheLock: 'before-topup', shrinker: 'unlocked' },
  'lock-after-topup': { cacheLock: 'after-topup', shrinker: 'trylock' },
  'shrinker-mutex-lock': { cacheLock: 'before-topup', shrinker: 'mutex-lock' },
};

const kib = (objects: number) => (objects * PAGE_SIZE) / 1024;

export default defineScenario<KvmWorld>({
  name: 'shrinker-vs-fault',
  summary: 'a shrinker emptying vCPU memory caches races the fault path (the 2024 MMU-shrinker series)',
  description: [
    "Models Vipin Sharma's v2 series \"KVM: x86/mmu: Use MMU shrinker to shrink KVM MMU memory",
    'caches" (Oct 2024), judged "a clever solution for a problem that doesn\'t exist" and removed in v3.',
    'vCPUs fault on random gfns (the TDP MMU under read_lock, direct_page_fault or shadow paging under',
    'write_lock, a nested guest through ept_* or paging64_* under write_lock), topping up their four memory',
    'caches before mmu_lock; a shrinker repeatedly empties mmu_shadow_page_cache and mmu_shadowed_info_cache',
    'under the kvm_lock mutex, nr_to_scan drawn per call in 1..SHRINK_BATCH, as kswapd: inside fs_reclaim, the',
    'lockdep map every GFP_KERNEL allocation (a topup) also passes through; with `pressure`, a topup reclaims',
    'directly and the shrinker runs in the vCPU itself. Simplified: no fast path, pfn = gfn, only 4 KiB mappings',
    '(each shadow leaf joins its gfn\'s rmap), no unsync pages; the guests never put one page table under two',
    'entries, so a shadow page has one parent at a time; fs_reclaim is taken once per topup, not per allocation.',
  ].join('\n'),
  params: { ...HOST_PARAMS, pressure: 0, shrinkEvery: 1 },
  paramHelp: {
    ...HOST_PARAM_HELP,
    pressure: 'probability (0..1) that a topup finds free memory below the watermark and reclaims directly: the shrinker runs inside the vCPU, under fs_reclaim',
    shrinkEvery:
      'one topup in this many, on average, finds memory below the low watermark and wakes kswapd for a reclaim round (1..1000000; 1: every topup, which opens the race windows wide; under real memory pressure rounds are rarer, e.g. 100)',
  },
  paramNames: HOST_PARAM_NAMES,
  validate(p) {
    if (!(p.pressure >= 0 && p.pressure <= 1)) return `pressure is a probability: 0..1, not ${p.pressure}`;
    if (!Number.isInteger(p.shrinkEvery) || p.shrinkEvery < 1 || p.shrinkEvery > 1_000_000) return `shrinkEvery must be a whole number 1..1000000, not ${p.shrinkEvery}`;
    return validateHostParams(p);
  },
  variants: {
    removed: {
      expect: 'ok',
      // clean: 100 executions of evidence, about 1.8 s of one idle core
      campaign: { executions: 100 },
      source: 'v3, mainline: "KVM: x86/mmu: Remove KVM\'s MMU shrinker"',
      summary: 'no cache shrinker at all',
    },
    'cache-lock': {
      expect: 'ok',
      // clean: 100 executions of evidence, about 1.7 s of one idle core
      campaign: { executions: 100 },
      source: 'Vipin Sharma v2 2/3, Oct 2024',
      summary: 'vCPU holds mmu_memory_cache_lock from topup through the fault; the shrinker trylocks it',
    },
    'no-cache-lock': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'mutation: the shrinker empties the caches without the per-vCPU mutex',
      summary: 'shrinker skips mmu_memory_cache_lock',
    },
    'lock-after-topup': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'mutation: the vCPU takes mmu_memory_cache_lock only after the topup',
      summary: 'the topup is outside the cache mutex',
    },
    'shrinker-mutex-lock': {
      expect: 'lock-order-cycle',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'mutation: the shrinker takes each vCPU\'s cache mutex with mutex_lock() instead of mutex_trylock()',
      summary:
        'mutex_lock instead of mutex_trylock: reclaim (fs_reclaim) -> kvm_lock -> the cache mutex, which a vCPU holds while its ' +
        'topup allocates (-> fs_reclaim); under direct reclaim the vCPU would wait for its own mutex',
    },
  },
  progress: VCPU_PROGRESS,
  lockOrder: KVM_LOCK_ORDER,
  setup(arena, p, variant) {
    const w = new KvmWorld(arena, { ...hostConfig(p), pressure: p.pressure, kswapdEvery: p.shrinkEvery }, PROTOCOLS[variant]);
    if (PROTOCOLS[variant].shrinker !== 'none') w.reclaim.register(mmuShrinker(w));
    return w;
  },
  roles: {
    vcpu: VCPU_ROLE,
    shrinker: {
      count: (_p, variant) => (PROTOCOLS[variant].shrinker === 'none' ? 0 : 1),
      *run(w) {
        // kswapd: asleep until a topup wakes it (one in shrinkEvery), then a reclaim round
        // (count, then scan with nr_to_scan in 1..SHRINK_BATCH, as do_shrink_slab() passes
        // min(SHRINK_BATCH, what is left)) inside fs_reclaim; for as long as vCPUs run
        yield* kswapdOnDemand(w.reclaim, () => shared.load(w.i32, w.vcpusRunning) > 0);
      },
    },
  },
  check(w, _p, _variant, step) {
    return checkKvm(w, step);
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
