/**
 * lazy-rmaps: the thread "KVM: x86/mmu: Lazily allocate memslot rmaps" (Sean Christopherson,
 * 4 May 2021; docs/sources.md). With the TDP MMU, memslot rmaps are allocated only when the
 * first shadow root is (a nested guest starts), and kvm->arch.shadow_root_allocated
 * tells everyone that every memslot has them. vCPUs fault through the TDP MMU; one of
 * them starts a nested guest at a random fault; a VMM creates, moves and deletes
 * memslots; a dirty-log ioctl walks the rmaps whenever memslots have them.
 */
import { checkLazyRmaps } from '../src/arch/x86/kvm/memslot-accounting.js';
import { KVM_VCPUS_RUNNING, LazyRmapsKvm, type LazyRmapsProtocol } from '../src/arch/x86/kvm/memslot-host.js';
import { kvmMmuWriteProtectPtMasked } from '../src/arch/x86/kvm/mmu/slot-rmap.js';
import { kvmSetUserMemoryRegion, kvmVcpuFault, nestedEntry, randomGfn, type VcpuMmu } from '../src/arch/x86/kvm/memslot-run.js';
import { x86MemslotArch } from '../src/arch/x86/kvm/x86.js';
import { type Op, POINT } from '../src/rt/op.js';
import type { Task } from '../src/rt/task.js';
import { defineScenario, idleFor, type Params, wholeNumberIn } from '../src/scenario.js';
import { mutexLock, mutexUnlock, srcuReadLock, srcuReadUnlock } from '../src/sync/index.js';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_SLOTS, idToMemslot, kvmMemslotsLocked, MS_FLAGS, slotWord } from '../src/virt/kvm/memslots.js';
import { KVM_LOCK_ORDER } from '../src/virt/kvm/locking.js';
import { DIRTY_LOG_SYNC, MAX_EVERY, MEMSLOT_UPDATE, OnDemand } from '../src/virt/kvm/on-demand.js';
import { shared } from '../src/rt/shared.js';

const PROTOCOLS: Record<string, LazyRmapsProtocol> = {
  merged: {},
  'flag-before-alloc': { flagBeforeAlloc: true },
  'memslot-without-arch-lock': { createWithoutArchLock: true },
  'keep-flag-on-failure': { keepFlagOnFailure: true },
  'v4-unlock-leak': { unlockLeak: true },
  'plain-flag': { flagStore: 'once', flagLoad: 'once' },
  'reader-without-acquire': { flagLoad: 'once' },
};

const MAX_VCPUS = 24;
const MAX_FAULTS = 1_000_000;

/**
 * The VM, and the VMM's rare ioctls when faults pace them (`memslotEvery`, `dirtyLogEvery`
 * > 0): each sleeps until one fault in N asks for it. Null: the role keeps its own pace.
 */
type LazyRmapsWorld = LazyRmapsKvm & { memslotUpdates: OnDemand | null; dirtyLogs: OnDemand | null };

function running(kvm: LazyRmapsKvm): boolean {
  return shared.load(kvm.i32, kvm.base + KVM_VCPUS_RUNNING) > 0;
}

/**
 * A vCPU: `faults` faults on random gfns, each inside kvm->srcu as vcpu_run() holds it.
 * vcpu0 starts a nested guest at a random fault: kvm_mmu_load() -> mmu_alloc_shadow_roots()
 * -> mmu_first_shadow_root_alloc(); from then on its faults are shadow faults that
 * rmap_add() under write_lock(mmu_lock). A failed load returns -ENOMEM from KVM_RUN.
 */
function* vcpuRun(kvm: LazyRmapsWorld, self: Task, p: Params): Op {
  const nested = nestedEntry(self, p);
  const mmu: VcpuMmu = { shadowRoot: false };
  for (let i = 0; i < p.faults; i++) {
    const gfn = randomGfn(self);
    const idx = yield* srcuReadLock(kvm.slots.srcu, 'vcpu_run');
    const r = yield* kvmVcpuFault(kvm, self, mmu, gfn, nested(i));
    yield* srcuReadUnlock(kvm.slots.srcu, idx);
    if (r !== 0) {
      self.count('kvm-run-enomem');
      break;
    }
    self.progress();
    // the VMM's rare ioctls, when faults pace them
    if (kvm.memslotUpdates) yield* kvm.memslotUpdates.event(self);
    if (kvm.dirtyLogs) yield* kvm.dirtyLogs.event(self);
  }
  yield POINT;
  if (shared.sub(kvm.i32, kvm.base + KVM_VCPUS_RUNNING, 1) === 1) {
    // the last vCPU out wakes the roles asleep until a fault asks for them
    if (kvm.memslotUpdates) yield* kvm.memslotUpdates.stop();
    if (kvm.dirtyLogs) yield* kvm.dirtyLogs.stop();
  }
}

/**
 * The VMM's pace: up to `vmmPause` idle op boundaries between two ioctls, or, when faults
 * pace it, asleep until a fault asks. False: the vCPUs are gone.
 */
function* vmmWait(kvm: LazyRmapsKvm, self: Task, p: Params, demand: OnDemand | null): Op<boolean> {
  if (demand) return yield* demand.wait(() => running(kvm));
  yield* idleFor(self, p.vmmPause);
  return true;
}

/** The VMM: KVM_SET_USER_MEMORY_REGION over slots 1..3 while vCPUs run (see kvmSetUserMemoryRegion). */
function* vmmRun(kvm: LazyRmapsWorld, self: Task, p: Params): Op {
  const arch = x86MemslotArch(kvm);
  while (running(kvm)) {
    if (!(yield* vmmWait(kvm, self, p, kvm.memslotUpdates))) return;
    yield* kvmSetUserMemoryRegion(kvm, self, arch);
    self.progress();
  }
}

/**
 * KVM_GET_DIRTY_LOG on a random slot, as a VMM migrating the guest does (every slot logs
 * dirty pages): under slots_lock, the slot's dirty pages are write-protected again,
 * through its rmaps once memslots have them.
 */
function* dirtyLogRun(kvm: LazyRmapsWorld, self: Task, p: Params): Op {
  while (running(kvm)) {
    if (!(yield* vmmWait(kvm, self, p, kvm.dirtyLogs))) return;
    yield* mutexLock(kvm.slots.slotsLock, 'kvm_vm_ioctl_get_dirty_log');
    const slots = kvmMemslotsLocked(kvm.slots);
    const e = idToMemslot(kvm.slots, slots, Math.floor(self.rng() * KVM_MEM_SLOTS));
    if (e >= 0 && slotWord(kvm.slots, e, MS_FLAGS) & KVM_MEM_LOG_DIRTY_PAGES) yield* kvmMmuWriteProtectPtMasked(kvm, slots, e);
    yield* mutexUnlock(kvm.slots.slotsLock);
    self.count('get-dirty-log');
    self.progress();
  }
}

export default defineScenario<LazyRmapsWorld>({
  name: 'lazy-rmaps',
  summary: 'memslot rmaps allocated at the first shadow root and published by a flag (merged 2021)',
  description: [
    'Models "KVM: x86/mmu: Lazily allocate memslot rmaps" (Ben Gardon, 2021) in its merged form. The TDP',
    'MMU is on, so memslots have no rmaps until the first shadow root: vcpu0 starts a nested guest at a random',
    'fault, and mmu_first_shadow_root_alloc() (inside kvm->srcu, before mmu_lock) takes slots_arch_lock, gives',
    'every memslot its rmaps and publishes kvm->arch.shadow_root_allocated with smp_store_release; readers use',
    'smp_load_acquire (kvm_memslots_have_rmaps). A VMM creates, moves and deletes memslots (kvm_set_memslot under',
    'slots_lock: slots_arch_lock from copying the memslots until the copy is installed with a release store, then',
    'synchronize_srcu with slots_arch_lock dropped; a deleted or moved slot is first installed KVM_MEMSLOT_INVALID',
    'and flushed). The VMM is migrating the guest: every slot logs dirty pages, and KVM_GET_DIRTY_LOG walks a',
    'slot\'s rmaps under slots_lock whenever memslots have them.',
    'use-before-publish: rmap_add or an rmap walk finds a memslot without rmaps while kvm_memslots_have_rmaps()',
    'is true, or the execution ends so. Simplified: one address space, 4 slots of 16 pages, 4 KiB rmaps only',
    '(a head counts its SPTEs), no write-tracking, memslots copied whole as before the 5.17 rework; MMU-notifier',
    'walks (which read memslots in their own SRCU section) are not modeled.',
  ].join('\n'),
  params: { vcpus: 2, faults: 100, allocFail: 0, vmmPause: 20, memslotEvery: 0, dirtyLogEvery: 0, nestedEvery: 0 },
  paramHelp: {
    vcpus: `vCPUs (1..${MAX_VCPUS}); vcpu0 starts the nested guest`,
    faults: `faults per vCPU (1..${MAX_FAULTS})`,
    allocFail: 'probability that one kvzalloc/kvcalloc (a memslot copy, an rmap array) fails with -ENOMEM (0..1)',
    vmmPause: 'the VMM and the dirty-log ioctl wait up to this many op boundaries between ioctls, unless faults pace them (0..100000)',
    memslotEvery:
      `one vCPU fault in this many, on average, wakes the VMM for one memslot update (0: its own pace, vmmPause; 1..${MAX_EVERY}). ` +
      'A real host updates memslots at boot, on BAR remaps and hotplug: thousands of faults or more apart, e.g. 1000-100000',
    dirtyLogEvery:
      `one vCPU fault in this many, on average, wakes the dirty-log ioctl for one KVM_GET_DIRTY_LOG (0: its own pace, vmmPause; 1..${MAX_EVERY}). ` +
      'A real migrating VMM syncs each slot once per pass, thousands of faults apart',
    nestedEvery:
      `vcpu0 starts the nested guest (the first shadow root) at each fault with probability 1/this (0: at a random fault of every execution; 1..${MAX_EVERY}). ` +
      'A real L1 starts its first L2 guest once in its life, if ever: millions of faults in',
  },
  validate(p) {
    const probability = p.allocFail >= 0 && p.allocFail <= 1 ? null : `allocFail is a probability: 0..1, not ${p.allocFail}`;
    return (
      wholeNumberIn(p, 'vcpus', 1, MAX_VCPUS) ??
      wholeNumberIn(p, 'faults', 1, MAX_FAULTS) ??
      probability ??
      wholeNumberIn(p, 'vmmPause', 0, 100_000) ??
      wholeNumberIn(p, 'memslotEvery', 0, MAX_EVERY) ??
      wholeNumberIn(p, 'dirtyLogEvery', 0, MAX_EVERY) ??
      wholeNumberIn(p, 'nestedEvery', 0, MAX_EVERY)
    );
  },
  variants: {
    merged: {
      expect: 'ok',
      // clean: 300 executions of evidence, about 1.2 s of one idle core
      campaign: { executions: 300 },
      source: 'mainline: "KVM: x86/mmu: Lazily allocate memslot rmaps" (Ben Gardon, 2021), in its form after the Oct 2021 cleanup (mmu_first_shadow_root_alloc, shadow_root_allocated)',
      summary: 'rmaps for every slot under slots_arch_lock, then smp_store_release(flag); new slots get rmaps under the same lock',
    },
    'flag-before-alloc': {
      expect: 'use-before-publish',
      // seed 1 finds it at execution 8 (seeds 1-11: at most 16 executions)
      campaign: { executions: 35 },
      source: 'mutation: the flag readers check published before the rmaps are allocated (v2 set only its writer-side flag alloc_memslot_rmaps first, and kept a second flag, shadow_mmu_active, for readers until after)',
      summary: 'mmu_first_shadow_root_alloc publishes the flag first, then allocates the rmaps',
    },
    'memslot-without-arch-lock': {
      expect: 'use-before-publish',
      // seed 1 finds it at execution 5 (seeds 1-11: at most 18 executions)
      campaign: { executions: 40 },
      source: 'mutation: kvm_set_memslot creates a slot without slots_arch_lock (what the lock was added for)',
      summary: 'a created slot is copied, given rmaps only if the flag is set, and installed without slots_arch_lock',
    },
    'keep-flag-on-failure': {
      expect: 'use-before-publish',
      // seed 1 finds it at execution 9 (seeds 1-11: at most 10 executions)
      campaign: { executions: 30 },
      source: 'mutation: mmu_first_shadow_root_alloc jumps to out_success on -ENOMEM',
      summary: 'an rmap allocation failure still publishes the flag, with some slots left without rmaps',
      params: { allocFail: 0.05 },
    },
    'v4-unlock-leak': {
      expect: 'lock-held-at-exit',
      // seed 1 finds it at execution 9 (seeds 1-11: at most 9 executions)
      campaign: { executions: 30 },
      source: 'v4 of the series, as reviewed: an error path returned with slots_arch_lock held',
      summary: 'the -ENOMEM path of mmu_first_shadow_root_alloc returns without mutex_unlock(slots_arch_lock)',
      params: { allocFail: 0.05 },
    },
    'plain-flag': {
      expect: 'use-before-publish',
      // seed 1 finds it at execution 8 (seeds 1-11: at most 24 executions)
      campaign: { executions: 50 },
      memory: 'weak',
      source: 'mutation: the flag written with WRITE_ONCE and read with READ_ONCE instead of smp_store_release / smp_load_acquire',
      summary: 'nothing orders the rmap pointer stores before the flag: on arm64 or POWER a vCPU may see the flag set and a slot\'s rmap still NULL',
    },
    'reader-without-acquire': {
      expect: 'use-before-publish',
      // seed 1 finds it at execution 8 (seeds 1-11: at most 24 executions)
      campaign: { executions: 50 },
      memory: 'weak',
      source: 'mutation: kvm_shadow_root_allocated() reads the flag with READ_ONCE; the writer still uses smp_store_release',
      summary: 'a release with no acquire to pair with: the reader\'s later rmap load may still return NULL',
    },
  },
  progress: 'a vCPU fault, a memslot update or a dirty-log ioctl that returns',
  lockOrder: KVM_LOCK_ORDER,
  setup(arena, p, variant) {
    return Object.assign(new LazyRmapsKvm(arena, p.vcpus, p.allocFail, PROTOCOLS[variant]), {
      memslotUpdates: p.memslotEvery > 0 ? new OnDemand(arena, 'vmm_memslot_wait', p.memslotEvery, MEMSLOT_UPDATE) : null,
      dirtyLogs: p.dirtyLogEvery > 0 ? new OnDemand(arena, 'vmm_dirty_log_wait', p.dirtyLogEvery, DIRTY_LOG_SYNC) : null,
    });
  },
  roles: {
    vcpu: { count: (p) => p.vcpus, run: vcpuRun },
    vmm: { count: () => 1, run: vmmRun },
    'dirty-log': { count: () => 1, run: dirtyLogRun },
  },
  check(kvm, _p, _variant, step) {
    return checkLazyRmaps(kvm, step);
  },
  summarize(s, executions) {
    const n = (k: string) => s[k] ?? 0;
    const per = (k: string) => (n(k) / executions).toFixed(1);
    return [
      `vCPU faults: ${n('vcpu.tdp-faults')} TDP, ${n('vcpu.shadow-faults')} shadow (rmap_add ${n('vcpu.rmap-adds')}), ${n('vcpu.faults-retried')} retried on an invalid slot, ${n('vcpu.faults-mmio')} MMIO`,
      `first shadow roots: ${n('vcpu.first-shadow-root-alloc')} (${n('vcpu.first-shadow-root-alloc-failed')} failed, ${n('vcpu.kvm-run-enomem')} KVM_RUN -ENOMEM)`,
      `memslot updates per execution: ${per('vmm.KVM_MR_CREATE')} created, ${per('vmm.KVM_MR_MOVE')} moved, ${per('vmm.KVM_MR_DELETE')} deleted; ` +
        `${n('vmm.KVM_MR_CREATE-ENOMEM') + n('vmm.KVM_MR_MOVE-ENOMEM') + n('vmm.KVM_MR_DELETE-ENOMEM')} failed with -ENOMEM`,
      `rmap walks: ${n('dirty-log.rmap-walks')} by KVM_GET_DIRTY_LOG (of ${n('dirty-log.get-dirty-log')}); memslot flushes: ${n('vmm.zap-all-fast')}, zapping ${n('vmm.sptes-zapped')} SPTEs; ` +
        `${n('vcpu.alloc-failures') + n('vmm.alloc-failures')} allocations failed`,
    ];
  },
});
