/**
 * zap-oldest: the one real shrinker bug named in the thread "KVM: x86/mmu: Use MMU
 * shrinker to shrink KVM MMU memory caches" (Sean Christopherson, 24 Oct 2024; docs/sources.md), and CVE-2022-45869. A small
 * n_max_mmu_pages makes the shadow MMU recycle pages through make_mmu_pages_available()
 * and kvm_mmu_zap_oldest_mmu_pages(), while the page-zapping mmu_shrink_scan() of the
 * time zaps the oldest pages of the first VM that has any.
 */
import { checkKvm } from '../src/arch/x86/kvm/accounting.js';
import { HOST_PARAM_HELP, HOST_PARAM_NAMES, HOST_PARAMS, hostConfig, validateHostParams } from '../src/arch/x86/kvm/host-params.js';
import { KvmWorld, type MmuProtocol } from '../src/arch/x86/kvm/kvm-host.js';
import { mmuZapShrinker, SHRINK_EVERY_HELP, validateShrinkEvery, ZAP_SHRINKER_ROLE } from '../src/arch/x86/kvm/mmu/shrinker.js';
import { VCPU_PROGRESS, VCPU_ROLE } from '../src/arch/x86/kvm/vcpu-run.js';
import { KVM_LOCK_ORDER } from '../src/virt/kvm/locking.js';
import { defineScenario } from '../src/scenario.js';

const PROTOCOLS: Record<string, MmuProtocol> = {
  reverse: { cacheLock: 'none', shrinker: 'none', zapOldest: 'reverse' },
  forward: { cacheLock: 'none', shrinker: 'none', zapOldest: 'forward' },
  'tdp-read-lock-zap': { cacheLock: 'none', shrinker: 'none', zapOldest: 'reverse', tdpFaultMakesPagesAvailable: true },
};

export default defineScenario<KvmWorld>({
  name: 'zap-oldest',
  summary: 'the shadow MMU must zap its oldest pages, under the write lock (CVE-2022-45869)',
  description: [
    'Models the one real shrinker bug named in the MMU-shrinker thread (Sean Christopherson, 24 Oct 2024) and CVE-2022-45869. vCPUs fault with the TDP MMU, half of the',
    'faults from a nested guest through the shadow MMU; n_max_mmu_pages at its minimum (64) makes',
    'make_mmu_pages_available() recycle shadow pages through kvm_mmu_zap_oldest_mmu_pages() (new pages at',
    'the head of active_mmu_pages, roots skipped), and the page-zapping mmu_shrink_scan() runs as a role (under',
    'kvm_lock, write_lock(mmu_lock), zap the oldest nr_to_scan pages of the first VM with any, move it to the',
    'tail of vm_list). zap-order: a zap that picks a page while an older zappable page stays. The',
    'CVE-2022-45869 fix asserts the write lock in __kvm_mmu_prepare_zap_page(): zapping under the TDP MMU\'s',
    'read lock is lock-not-held. Simplified as shrinker-vs-fault (no SRCU).',
  ].join('\n'),
  params: { ...HOST_PARAMS, faults: 200, nestedPercent: 50, shrinkEvery: 1000 },
  paramHelp: {
    ...HOST_PARAM_HELP,
    shrinkEvery: SHRINK_EVERY_HELP,
  },
  paramNames: HOST_PARAM_NAMES,
  validate(p) {
    return validateShrinkEvery(p) ?? validateHostParams(p);
  },
  variants: {
    reverse: {
      expect: 'ok',
      // clean: 100 executions of evidence, about 1.9 s of one idle core
      campaign: { executions: 100 },
      source: 'mainline: "KVM: x86: Zap the oldest MMU pages, not the newest" (list_for_each_entry_safe_reverse)',
      summary: 'kvm_mmu_zap_oldest_mmu_pages walks active_mmu_pages from the tail, oldest first',
    },
    forward: {
      expect: 'zap-order',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'before "KVM: x86: Zap the oldest MMU pages, not the newest": the forward walk of "KVM: x86/mmu: Batch zap MMU pages when recycling oldest pages"',
      summary: 'the walk starts at the head of active_mmu_pages, where the newest pages are',
    },
    'tdp-read-lock-zap': {
      expect: 'lock-not-held',
      // seed 1 finds it at execution 2 (seeds 1-11: at most 4 executions)
      campaign: { executions: 10 },
      source: 'before 47b0c2e4c220 "KVM: x86/mmu: Fix race condition in direct_page_fault" (CVE-2022-45869)',
      summary: 'the TDP MMU fault calls make_mmu_pages_available() under read_lock(mmu_lock)',
    },
  },
  progress: VCPU_PROGRESS,
  lockOrder: KVM_LOCK_ORDER,
  setup(arena, p, variant) {
    const w = new KvmWorld(arena, hostConfig(p), PROTOCOLS[variant]);
    w.reclaim.register(mmuZapShrinker(w));
    return w;
  },
  roles: {
    vcpu: VCPU_ROLE,
    shrinker: ZAP_SHRINKER_ROLE,
  },
  check(w, _p, _variant, step) {
    return checkKvm(w, step);
  },
  summarize(s, executions) {
    const n = (k: string) => s[k] ?? 0;
    const faults = n('vcpu.faults');
    return [
      `${faults} faults (${(faults / executions).toFixed(0)} per execution), ${n('vcpu.faults-retried')} retried, ${n('vcpu.faults-failed')} failed`,
      `shadow pages: ${n('vcpu.sp-alloc')} allocated, ${n('vcpu.sp-zapped')} zapped by make_mmu_pages_available(), ` +
        `${n('shrinker.shrinker-zapped')} by mmu_shrink_scan() in ${n('shrinker.shrinker-scans')} scans`,
    ];
  },
});
