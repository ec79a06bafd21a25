/**
 * arm64-memcache: the thread "KVM: arm64: Distinguish cases of memcache allocations
 * completely" (Alexandru Elisei, 25 Mar 2021; docs/sources.md). Stage-2 faults over memslots backed by 4 KiB pages, 2 MiB
 * THPs and 1 GiB hugetlb pages while a VMM turns dirty logging on and off; which faults
 * top up the vCPU's memcache before mmu_lock decides whether a block split finds pages.
 */
import { checkArm64Kvm } from '../src/arch/arm64/kvm/accounting.js';
import { stage2HardwareWalk } from '../src/arch/arm64/kvm/hyp/pgtable.js';
import { Arm64Kvm, PTRS_PER_PTE, SLOT_BACKING, SLOT_PAGES, type TopupRule } from '../src/arch/arm64/kvm/kvm-host.js';
import { kvmHandleGuestAbort, kvmMmuCacheMinPages, kvmSetDirtyLogging } from '../src/arch/arm64/kvm/mmu.js';
import { IDLE, type Op, POINT } from '../src/rt/op.js';
import type { Task } from '../src/rt/task.js';
import { defineScenario, idleFor, type Params, wholeNumberIn } from '../src/scenario.js';
import { LOG_TOGGLE, MAX_EVERY, OnDemand } from '../src/virt/kvm/on-demand.js';
import { shared } from '../src/rt/shared.js';

const MAX_VCPUS = 24;
const LOG_TOGGLE_NAMES = ['running', 'paused'];
const LOG_TOGGLE_PAUSED = 1;
const MAX_FAULTS = 1_000_000;

/** The VM, and with `toggleEvery` > 0 the VMM's sleep between dirty-logging toggles until a guest access asks for one. */
type Arm64World = Arm64Kvm & { toggles: OnDemand | null };

/** Words of the VMM's pause_all_vcpus(): a pause request, and how many vCPUs sit paused in userspace. */
const PAUSE_REQUEST = 0;
const PAUSED = 1;

/** Between guest accesses, a vCPU asked to pause leaves KVM_RUN and waits in userspace until resumed. */
function* pausePoint(kvm: Arm64Kvm, self: Task): Op {
  if (shared.load(kvm.i32, kvm.pause + PAUSE_REQUEST) === 0) return;
  shared.add(kvm.i32, kvm.pause + PAUSED, 1);
  self.count('paused');
  while (shared.load(kvm.i32, kvm.pause + PAUSE_REQUEST) !== 0) yield IDLE;
  shared.sub(kvm.i32, kvm.pause + PAUSED, 1);
}

/**
 * A vCPU: `faults` guest accesses, read or write, at random pages of the first `span`
 * pages of a random memslot. The hardware walks stage 2; a translation or permission
 * fault goes to user_mem_abort(). Secondary vCPUs come up (PSCI CPU_ON) once the boot
 * vCPU has run a while, so their memcaches start empty while the tables already exist.
 */
function* vcpuRun(kvm: Arm64World, self: Task, p: Params): Op {
  const vcpu = kvm.vcpus[self.index];
  while (self.index > 0 && shared.load(kvm.i32, kvm.bootAccesses) < p.bootAccesses) {
    yield* pausePoint(kvm, self);
    yield IDLE;
  }
  for (let i = 0; i < p.faults; i++) {
    yield* pausePoint(kvm, self);
    const slot = Math.floor(self.rng() * SLOT_BACKING.length);
    const ipa = slot * SLOT_PAGES + Math.floor(self.rng() * p.span);
    const write = self.rng() < 0.5;
    yield POINT;
    const fault = stage2HardwareWalk(kvm, ipa, write);
    if (fault.kind === 'none') self.count('accesses');
    else if ((yield* kvmHandleGuestAbort(kvm, vcpu, slot, ipa, write, fault)) < 0) self.count('faults-enomem');
    if (self.index === 0) shared.add(kvm.i32, kvm.bootAccesses, 1);
    self.progress();
    if (kvm.toggles) yield* kvm.toggles.event(self); // a dirty-logging toggle, when guest accesses pace them
  }
  yield POINT;
  if (self.index === 0) shared.store(kvm.i32, kvm.bootAccesses, p.bootAccesses); // fewer faults than bootAccesses: let them run
  // the last vCPU out wakes a VMM asleep until an access asks for a toggle
  if (shared.sub(kvm.i32, kvm.vcpusRunning, 1) === 1 && kvm.toggles) yield* kvm.toggles.stop();
}

/**
 * The VMM: dirty logging on a random slot turned on or off, as migrations start and end,
 * at its own pace (`vmmPause`) or, with `toggleEvery`, asleep until a guest access asks.
 * With logToggle=running (QEMU's way) the vCPUs keep running; with logToggle=paused every
 * vCPU is first paused out of KVM_RUN (pause_all_vcpus) and resumed after the update, so
 * no fault straddles it.
 */
function* vmmRun(kvm: Arm64World, self: Task, p: Params): Op {
  const running = () => shared.load(kvm.i32, kvm.vcpusRunning);
  while (running() > 0) {
    if (kvm.toggles) {
      if (!(yield* kvm.toggles.wait(() => running() > 0))) return;
    } else yield* idleFor(self, p.vmmPause);
    const slot = Math.floor(self.rng() * SLOT_BACKING.length);
    const on = !kvm.loggingActive(slot);
    const pause = p.logToggle === LOG_TOGGLE_PAUSED;
    if (pause) {
      shared.store(kvm.i32, kvm.pause + PAUSE_REQUEST, 1);
      while (shared.load(kvm.i32, kvm.pause + PAUSED) < running()) yield IDLE;
    }
    yield* kvmSetDirtyLogging(kvm, slot, on);
    if (pause) {
      shared.store(kvm.i32, kvm.pause + PAUSE_REQUEST, 0);
      // resume_all_vcpus(): every vCPU has left the pause before the next one may begin,
      // or a vCPU on its way out would be counted as paused by the next request
      while (shared.load(kvm.i32, kvm.pause + PAUSED) > 0) yield IDLE;
    }
    self.progress();
  }
}

const TOPUP: Record<string, TopupRule> = {
  mainline: 'mainline',
  'granule-check': 'granule-check',
  'granule-check-under-lock': 'granule-check-under-lock',
  'no-topup-on-perm': 'no-topup-on-perm',
};

export default defineScenario<Arm64World>({
  name: 'arm64-memcache',
  summary: 'arm64 stage-2 faults: when user_mem_abort() must top up its memcache (a 2021 RFC)',
  description: [
    'Models Yanan Wang\'s "KVM: arm64: Distinguish cases of memcache allocations completely" (RFC, 2021,',
    'not merged) against mainline user_mem_abort(). vCPUs read and write the first `span` pages of three memslots',
    'backed by 4 KiB pages, 2 MiB THPs and 1 GiB hugetlb pages; the hardware stage-2 walk gives each access its',
    'fault (translation or permission) and level. user_mem_abort() tops up vcpu->arch.mmu_page_cache to',
    'kvm_mmu_cache_min_pages() (stage-2 levels - 1 = 2) before mmu_lock when the variant says so, then relaxes',
    'permissions (a permission fault with vma_pagesize == fault_granule) or maps through kvm_pgtable_stage2_map(),',
    'which takes a page from the memcache for each missing table and for each block split while dirty logging',
    '(vma_pagesize forced to 4 KiB), and collapses tables into blocks once logging is off. A VMM turns dirty',
    'logging on (flag, then write-protect the slot) and off. cache-empty-under-lock: the walker needs a page the',
    'memcache does not have. Simplified: 3 levels (39-bit IPA), mmu_lock a spinlock as in 5.12 (today an rwlock',
    'taken for read), reads and writes only (no exec faults), a split leaves the new table empty (5.12; no eager',
    'splitting), the memslot flag is one word rather than a new memslot, no MMU notifiers.',
  ].join('\n'),
  params: { vcpus: 2, faults: 100, span: 2 * PTRS_PER_PTE, vmmPause: 30, bootAccesses: 30, logToggle: 0, toggleEvery: 0 },
  paramHelp: {
    vcpus: `vCPUs (1..${MAX_VCPUS})`,
    faults: `guest accesses per vCPU (1..${MAX_FAULTS})`,
    span: `pages at the start of each memslot that the guest touches (1..${SLOT_PAGES}); 1024 spans two 2 MiB blocks`,
    logToggle: 'running: dirty logging is turned on and off while vCPUs fault (as QEMU does); paused: with every vCPU paused out of KVM_RUN',
    bootAccesses: 'secondary vCPUs start once vcpu0 has made this many guest accesses (0..1000000)',
    vmmPause: 'the VMM waits up to this many op boundaries between dirty-logging toggles, unless guest accesses pace them (0..100000)',
    toggleEvery:
      `one guest access in this many, on average, wakes the VMM for one dirty-logging toggle (0: its own pace, vmmPause; 1..${MAX_EVERY}). ` +
      'A real VMM turns logging on when a live migration starts and off when it ends or is cancelled: once per migration, millions of accesses apart',
  },
  paramNames: { logToggle: LOG_TOGGLE_NAMES },
  validate(p) {
    return (
      wholeNumberIn(p, 'vcpus', 1, MAX_VCPUS) ??
      wholeNumberIn(p, 'faults', 1, MAX_FAULTS) ??
      wholeNumberIn(p, 'span', 1, SLOT_PAGES) ??
      wholeNumberIn(p, 'bootAccesses', 0, MAX_FAULTS) ??
      wholeNumberIn(p, 'vmmPause', 0, 100_000) ??
      wholeNumberIn(p, 'toggleEvery', 0, MAX_EVERY)
    );
  },
  variants: {
    mainline: {
      expect: 'ok',
      // clean: 200 executions of evidence, about 1.6 s of one idle core
      campaign: { executions: 200 },
      source: 'mainline user_mem_abort(): if (!fault_is_perm || (logging_active && write_fault)) topup, before mmu_lock',
      summary: 'translation faults and dirty-logging write faults top up before the lock',
    },
    'granule-check': {
      expect: 'ok',
      // clean: 200 executions of evidence, about 1.6 s of one idle core
      campaign: { executions: 200 },
      source:
        'Yanan Wang, [RFC PATCH 4/4] "KVM: arm64: Distinguish cases of memcache allocations completely" (Feb 2021), with the topup kept ' +
        'before the lock: a counterfactual, since a THP maps as PAGE_SIZE there (its 2 MiB comes from transparent_hugepage_adjust under the lock)',
      summary:
        'top up only if fault_granule > vma_pagesize, before the lock; right for all three cases when no fault straddles a ' +
        'dirty-logging update (logToggle=paused); with logToggle=running a fault judged == can find a block another vCPU ' +
        'collapsed in the grace period, split it, and meet a memcache never topped up (cache-empty-under-lock)',
      params: { logToggle: LOG_TOGGLE_PAUSED },
    },
    'granule-check-under-lock': {
      expect: 'sleep-in-atomic',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'Yanan Wang, [RFC PATCH 4/4] as posted: the topup moved after mmu_lock is taken (review finding)',
      summary: 'the same condition, with kvm_mmu_topup_memory_cache() inside the mmu_lock section',
    },
    'no-topup-on-perm': {
      expect: 'cache-empty-under-lock',
      // seed 1 finds it at execution 4 (seeds 1-11: at most 6 executions)
      campaign: { executions: 15 },
      source: 'mutation: permission faults never top up, even a dirty-logging write fault that splits a block',
      summary: 'only translation faults top up',
    },
  },
  progress: 'a guest access or a dirty-logging toggle that completes',
  setup(arena, p, variant) {
    return Object.assign(new Arm64Kvm(arena, p.vcpus, p.span, TOPUP[variant]), {
      toggles: p.toggleEvery > 0 ? new OnDemand(arena, 'vmm_dirty_log_toggle_wait', p.toggleEvery, LOG_TOGGLE) : null,
    });
  },
  roles: {
    vcpu: { count: (p) => p.vcpus, run: vcpuRun },
    vmm: { count: () => 1, run: vmmRun },
  },
  check(kvm, _p, _variant, step) {
    return checkArm64Kvm(kvm, step);
  },
  summarize(s) {
    const n = (k: string) => s[k] ?? 0;
    const row = (what: string, k: string) =>
      `${what}: ${n(`vcpu.faults:trans-${k}`)} translation + ${n(`vcpu.faults:perm-${k}`)} permission faults, ${n(`vcpu.pages:trans-${k}`) + n(`vcpu.pages:perm-${k}`)} table pages taken`;
    return [
      `Alexandru Elisei's three cases (fault_granule vs vma_pagesize):`,
      `  ${row('== (the leaf exists or goes where the fault was)', 'eq')}`,
      `  ${row(' > (a table is missing, or a block must split)', 'gt')}`,
      `  ${row(' < (a table collapses into a block)', 'lt')}`,
      `most table pages one fault took: ${n('vcpu.max-pages-per-fault')} (topup minimum ${kvmMmuCacheMinPages()}); taken by faults that did not top up: ${n('vcpu.pages-without-topup')}`,
      `block splits ${n('vcpu.block-splits')}, collapsed table pages ${n('vcpu.collapsed-table-pages')}, permissions relaxed ${n('vcpu.relax-perms')}; ` +
        `dirty logging turned on ${n('vmm.logging-on')} times (${n('vmm.sptes-write-protected')} leaves write-protected), off ${n('vmm.logging-off')}`,
    ];
  },
});
