/**
 * pte-list-desc: the thread "KVM: x86/mmu: Shrink pte_list_desc size when KVM is using TDP"
 * (Peter Xu, 12 Jul 2022; docs/sources.md). A nested guest whose page tables alias several L2 gfns onto
 * one L1 gfn (as firmware remapping flash below 1 MiB does) makes the shadow MMU keep
 * rmaps of several SPTEs, held in chains of pte_list_desc taken from the vCPU's
 * mmu_pte_list_desc_cache; the page-zapping shrinker removes them again.
 */
import { checkKvm } from '../src/arch/x86/kvm/accounting.js';
import { HOST_PARAM_HELP, HOST_PARAM_NAMES, HOST_PARAMS, hostConfig, validateHostParams } from '../src/arch/x86/kvm/host-params.js';
import { KvmWorld, type MmuProtocol } from '../src/arch/x86/kvm/kvm-host.js';
import { PTE_LIST_EXT, PTE_LIST_EXT_TDP_2022 } from '../src/arch/x86/kvm/mmu/pte-list-desc.js';
import { mmuZapShrinker, SHRINK_EVERY_HELP, validateShrinkEvery, ZAP_SHRINKER_ROLE } from '../src/arch/x86/kvm/mmu/shrinker.js';
import { VCPU_PROGRESS, VCPU_ROLE } from '../src/arch/x86/kvm/vcpu-run.js';
import { KVM_LOCK_ORDER } from '../src/virt/kvm/locking.js';
import { defineScenario } from '../src/scenario.js';

const PROTOCOLS: Record<string, MmuProtocol> = {
  ext14: { cacheLock: 'none', shrinker: 'none', pteListExt: PTE_LIST_EXT },
  // the patch shrinks the descriptor only when TDP is on: setup() picks by tdp_enabled
  'ext2-tdp': { cacheLock: 'none', shrinker: 'none', pteListExt: PTE_LIST_EXT_TDP_2022 },
  ext1: { cacheLock: 'none', shrinker: 'none', pteListExt: 1 },
};

/** The most L2 gfns one L1 gfn may stand behind (a whole page table's worth). */
const MAX_ALIASES = 512;

export default defineScenario<KvmWorld>({
  name: 'pte-list-desc',
  summary: 'rmaps of many SPTEs, pte_list_desc at 14 entries or 2 (the unmerged 2022 TDP patch)',
  description: [
    "Models Sean Christopherson's 2022 patch \"KVM: x86/mmu: Shrink pte_list_desc size when KVM is using",
    'TDP" (14 -> 2 entries, not merged), and what an rmap of several SPTEs needs. vCPUs fault mostly from a nested',
    'guest (nested TDP: ept_* or paging64_*) over 1 MiB of memory whose L2 gfns alias onto L1 gfns `aliases` at a',
    'time; each new leaf SPTE joins its L1 gfn\'s rmap (rmap_add -> pte_list_add: one SPTE in the head, then',
    'descriptors from mmu_pte_list_desc_cache, a new head when the head is full), and zaps (the page-zapping',
    'mmu_shrink_scan, make_mmu_pages_available) drop them again (pte_list_remove). rmap-inconsistent: a write past',
    'a descriptor\'s PTE_LIST_EXT entries, a KVM_BUG_ON_DATA_CORRUPTION in pte_list_remove, or, after the',
    'execution, a present shadow SPTE not in its rmap exactly once or descriptor counts that disagree. See also',
    '`mmu-stress footprint`. Simplified as shrinker-vs-fault.',
  ].join('\n'),
  params: { ...HOST_PARAMS, guestMemMiB: 1, nestedPercent: 90, aliases: 32, shrinkEvery: 300 },
  paramHelp: {
    ...HOST_PARAM_HELP,
    aliases: `how many consecutive L2 gfns the nested guest maps onto one L1 gfn (1: no aliasing; at most ${MAX_ALIASES})`,
    shrinkEvery: SHRINK_EVERY_HELP,
  },
  paramNames: HOST_PARAM_NAMES,
  validate(p) {
    if (!Number.isInteger(p.aliases) || p.aliases < 1 || p.aliases > MAX_ALIASES) return `aliases must be a whole number 1..${MAX_ALIASES}, not ${p.aliases}`;
    return validateShrinkEvery(p) ?? validateHostParams(p);
  },
  variants: {
    ext14: {
      expect: 'ok',
      // clean: 150 executions of evidence, about 2.0 s of one idle core
      campaign: { executions: 150 },
      source: 'mainline: PTE_LIST_EXT 14 (128-byte pte_list_desc)',
      summary: '14 entries per descriptor',
    },
    'ext2-tdp': {
      expect: 'ok',
      // clean: 100 executions of evidence, about 2.3 s of one idle core
      campaign: { executions: 100 },
      source: 'Sean Christopherson, "KVM: x86/mmu: Shrink pte_list_desc size when KVM is using TDP" (2022, not merged)',
      summary: '2 entries per descriptor when TDP is on (32 bytes)',
    },
    ext1: {
      expect: 'rmap-inconsistent',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: "mutation: PTE_LIST_EXT 1, breaking pte_list_add()'s assumption of at least two entries",
      summary: '1 entry per descriptor',
    },
  },
  progress: VCPU_PROGRESS,
  lockOrder: KVM_LOCK_ORDER,
  setup(arena, p, variant) {
    const protocol = variant === 'ext2-tdp' && !p.tdpEnabled ? { ...PROTOCOLS[variant], pteListExt: PTE_LIST_EXT } : PROTOCOLS[variant];
    const w = new KvmWorld(arena, { ...hostConfig(p), aliases: p.aliases }, protocol);
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
      `rmaps: ${n('vcpu.rmap-adds')} SPTEs added, ${n('vcpu.rmap-removes') + n('shrinker.rmap-removes')} removed; ` +
        `${n('vcpu.rmap-descs')} pte_list_desc taken from the caches; at most ${n('vcpu.max-rmap-size')} SPTEs in one rmap`,
      `shadow pages: ${n('vcpu.sp-alloc')} allocated, ${n('vcpu.sp-zapped')} zapped by make_mmu_pages_available(), ` +
        `${n('shrinker.shrinker-zapped')} by mmu_shrink_scan() in ${n('shrinker.shrinker-scans')} scans`,
    ];
  },
});
