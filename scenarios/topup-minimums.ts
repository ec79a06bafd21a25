/**
 * topup-minimums: "KVM: x86/mmu: Clean up the gorilla math in mmu_topup_memory_caches()"
 * (Sean Christopherson, 2020; the thread's reply by Ben Gardon, 10 Jun 2020, is in
 * docs/sources.md). How many objects must each
 * memory cache hold before a fault takes mmu_lock, when a fault may build every level
 * below the root (indirect pages with their gfn arrays) and prefetch PTE_PREFETCH_NUM
 * rmaps; and why the old minimums held although 5-level paging came later.
 */
import { checkKvm } from '../src/arch/x86/kvm/accounting.js';
import { HOST_PARAM_HELP, HOST_PARAM_NAMES, HOST_PARAMS, hostConfig, validateHostParams } from '../src/arch/x86/kvm/host-params.js';
import { KvmWorld, type MmuProtocol, type TopupMinimums } from '../src/arch/x86/kvm/kvm-host.js';
import { PT64_ROOT_MAX_LEVEL, PTE_PREFETCH_NUM } from '../src/arch/x86/kvm/mmu/constants.js';
import { TOPUP_TODAY } from '../src/arch/x86/kvm/mmu/mmu.js';
import { kvmMmuZapAllFast } from '../src/arch/x86/kvm/mmu/mmu-page.js';
import { VCPU_PROGRESS, VCPU_ROLE } from '../src/arch/x86/kvm/vcpu-run.js';
import { IDLE } from '../src/rt/op.js';
import { KVM_LOCK_ORDER } from '../src/virt/kvm/locking.js';
import { defineScenario, wholeNumberIn } from '../src/scenario.js';
import { MAX_EVERY } from '../src/virt/kvm/on-demand.js';
import { shared } from '../src/rt/shared.js';

/** Before the 2020 cleanup: rmaps 8 + PTE_PREFETCH_NUM, 8 pages shared by page tables and gfn arrays, 4 headers (a 4-level baseline). */
const TOPUP_PRE_2020: TopupMinimums = { rmaps: 8 + PTE_PREFETCH_NUM, pages: 8, shadowedInfo: null, headers: 4 };

const PROTOCOLS: Record<string, MmuProtocol> = {
  current: { cacheLock: 'none', shrinker: 'none', topup: TOPUP_TODAY },
  'pre-2020': { cacheLock: 'none', shrinker: 'none', topup: TOPUP_PRE_2020 },
  'roots-in-fault-pre-2020': { cacheLock: 'none', shrinker: 'none', topup: TOPUP_PRE_2020, rootsInFault: true },
  'shared-gfn-cache-1x': { cacheLock: 'none', shrinker: 'none', topup: { ...TOPUP_TODAY, shadowedInfo: null } },
  'no-prefetch-headroom': { cacheLock: 'none', shrinker: 'none', topup: { ...TOPUP_TODAY, rmaps: 1 + PT64_ROOT_MAX_LEVEL } },
};

const MAX_ZAP_ALL_EVERY = 1_000_000;

const CACHES = [['mmu_pte_list_desc_cache'], ['mmu_shadow_page_cache'], ['mmu_shadowed_info_cache'], ['mmu_page_header_cache']];

export default defineScenario<KvmWorld>({
  name: 'topup-minimums',
  summary: 'how many objects each memory cache must hold before a fault takes mmu_lock (the 2020 cleanup)',
  description: [
    'Models the thread "KVM: x86/mmu: Clean up the gorilla math in mmu_topup_memory_caches()" (Ben Gardon, 10 Jun 2020): the topup minimums of mmu_topup_memory_caches() before and after the 2020 cleanup. vCPUs',
    'fault over 4- or 5-level paging with L1 on shadow paging and half of the faults from a nested guest, so that',
    'a fault may build every level below the root with indirect pages (a page table and a gfn array each) and',
    'prefetches the rmaps of its PTE_PREFETCH_NUM-aligned block; a VMM role now and then zaps every shadow page',
    '(kvm_mmu_zap_all_fast), so faults rebuild whole paths and roots are reloaded, in their own flow (kvm_mmu_load)',
    'except in roots-in-fault-pre-2020. cache-empty-under-lock: a fault found a cache empty under mmu_lock; the',
    'statistics give, per cache, the most objects one fault took next to its minimum. Simplified as',
    'shrinker-vs-fault (a shadow page has one parent at a time, so its parent_ptes never needs a descriptor).',
  ].join('\n'),
  params: { ...HOST_PARAMS, levels: 5, tdpEnabled: 0, tdpMmu: 0, nestedPercent: 50, guestMemMiB: 1, faults: 200, zapAllEvery: 500, memslotEvery: 0 },
  paramHelp: {
    ...HOST_PARAM_HELP,
    zapAllEvery: `the VMM role's steps between two kvm_mmu_zap_all_fast() calls, on average, unless faults pace it (0: never; at most ${MAX_ZAP_ALL_EVERY})`,
    memslotEvery:
      `one vCPU fault in this many, on average, wakes the VMM for a memslot delete or move, that is kvm_mmu_zap_all_fast() (0: its own pace, zapAllEvery; 1..${MAX_EVERY}; ` +
      'overrides zapAllEvery). A real host updates memslots at boot, on BAR remaps and hotplug: thousands of faults or more apart, e.g. 1000-100000',
  },
  paramNames: HOST_PARAM_NAMES,
  validate(p) {
    if (!Number.isInteger(p.zapAllEvery) || p.zapAllEvery < 0 || p.zapAllEvery > MAX_ZAP_ALL_EVERY) return `zapAllEvery must be a whole number 0..${MAX_ZAP_ALL_EVERY}, not ${p.zapAllEvery}`;
    return wholeNumberIn(p, 'memslotEvery', 0, MAX_EVERY) ?? validateHostParams(p);
  },
  variants: {
    current: {
      expect: 'ok',
      // clean: 100 executions of evidence, about 2.0 s of one idle core
      campaign: { executions: 100 },
      source: 'mainline since "KVM: x86/mmu: Clean up the gorilla math in mmu_topup_memory_caches()" (2020)',
      summary: 'rmaps 1 + PT64_ROOT_MAX_LEVEL + PTE_PREFETCH_NUM, pages and headers PT64_ROOT_MAX_LEVEL, gfn arrays their own cache',
    },
    'pre-2020': {
      expect: 'ok',
      // clean: 60 executions of evidence, about 2.0 s of one idle core
      campaign: { executions: 60 },
      source: 'before that cleanup: rmaps 8 + PTE_PREFETCH_NUM, 8 pages (shared with gfn arrays), 4 headers',
      summary: 'the old minimums: they held, because roots are allocated in their own flow',
    },
    'roots-in-fault-pre-2020': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 4 executions)
      campaign: { executions: 10 },
      source: 'mutation: a fault that also allocates its 5-level root, with the pre-2020 header minimum of 4',
      summary: 'the root comes from the fault\'s own caches: 5 headers for a minimum of 4, 10 pages for 8',
    },
    'shared-gfn-cache-1x': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 2 executions)
      campaign: { executions: 10 },
      source: 'mutation: one page cache for page tables and gfn arrays, with a minimum of PT64_ROOT_MAX_LEVEL',
      summary: 'why the 2x existed: an indirect page takes two pages',
    },
    'no-prefetch-headroom': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 7 (seeds 1-11: at most 7 executions)
      campaign: { executions: 25 },
      source: 'mutation: rmap minimum 1 + PT64_ROOT_MAX_LEVEL while PTE prefetch is on',
      summary: 'no room for the PTE_PREFETCH_NUM prefetched rmaps',
    },
  },
  progress: VCPU_PROGRESS,
  lockOrder: KVM_LOCK_ORDER,
  setup(arena, p, variant) {
    return new KvmWorld(arena, { ...hostConfig(p), nestedScatter: true, memslotEvery: p.memslotEvery }, PROTOCOLS[variant]);
  },
  roles: {
    vcpu: VCPU_ROLE,
    vmm: {
      count: (p) => (p.zapAllEvery > 0 || p.memslotEvery > 0 ? 1 : 0),
      *run(w, self, p) {
        const running = () => shared.load(w.i32, w.vcpusRunning) > 0;
        // With memslotEvery: asleep until a fault asks, then a memslot deleted or moved -> kvm_mmu_zap_all_fast() on every VM.
        if (w.memslotUpdates) {
          while (yield* w.memslotUpdates.wait(running)) for (const kvm of w.vms) yield* kvmMmuZapAllFast(kvm);
          return;
        }
        // Now and then, while any vCPU faults: the same, one VMM step in zapAllEvery.
        while (running()) {
          if (self.rng() * p.zapAllEvery < 1) for (const kvm of w.vms) yield* kvmMmuZapAllFast(kvm);
          else yield IDLE;
        }
      },
    },
  },
  check(w, _p, _variant, step) {
    return checkKvm(w, step);
  },
  summarize(s, executions) {
    const n = (k: string) => s[k] ?? 0;
    const faults = n('vcpu.faults');
    return [
      `${faults} faults (${(faults / executions).toFixed(0)} per execution), ${n('vcpu.prefetched')} SPTEs prefetched, ${n('vmm.zap-all')} kvm_mmu_zap_all_fast() calls, ${n('vcpu.mmu-loads')} MMU loads`,
      `most objects one fault took from each cache, against its topup minimum: ${CACHES.map(([field]) => {
        const min = n(`vcpu.max-topup-minimum:${field}`);
        return `${field} ${n(`vcpu.max-per-fault:${field}`)} of ${min || '(none: the gfn arrays come from the page cache)'}`;
      }).join(', ')}`,
    ];
  },
});
