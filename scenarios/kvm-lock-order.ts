/**
 * kvm-lock-order: KVM's documented lock order, checked by lockdep over the paths that
 * take those locks: vCPUs under vcpu->mutex and kvm->srcu, memslot updates under
 * slots_lock and slots_arch_lock, a shrinker under kvm_lock, and, for the kvm_usage_count
 * chain, VM creation and the nx_huge_pages parameter.
 */
import { checkLazyRmaps } from '../src/arch/x86/kvm/memslot-accounting.js';
import { KVM_VCPUS_RUNNING, LazyRmapsKvm, type LazyRmapsProtocol } from '../src/arch/x86/kvm/memslot-host.js';
import { kvmSetUserMemoryRegion, kvmVcpuFault, nestedEntry, randomGfn, type VcpuMmu } from '../src/arch/x86/kvm/memslot-run.js';
import { setNxHugePages } from '../src/arch/x86/kvm/mmu/nx-huge-pages.js';
import { x86MemslotArch } from '../src/arch/x86/kvm/x86.js';
import { IDLE, type Op } from '../src/rt/op.js';
import type { Task } from '../src/rt/task.js';
import { CpuHotplug } from '../src/kernel/cpu.js';
import { staticKeySlowInc } from '../src/kernel/jump-label.js';
import { defineScenario, idleFor, type Params, wholeNumberIn } from '../src/scenario.js';
import type { Arena } from '../src/shm/arena.js';
import { Mutex, mutexLock, mutexUnlock, srcuReadLock, srcuReadUnlock } from '../src/sync/index.js';
import { hardwareEnableAll, KvmGlobal } from '../src/virt/kvm/kvm-main.js';
import { KVM_LOCK_ORDER, KVM_LOCK_ORDER_44D17459 } from '../src/virt/kvm/locking.js';
import { MAX_EVERY, MEMSLOT_UPDATE, OnDemand } from '../src/virt/kvm/on-demand.js';
import { shared } from '../src/rt/shared.js';

interface Variant {
  protocol: LazyRmapsProtocol;
  /** The kvm_usage_count roles run (VM creation, the nx_huge_pages write, a vCPU's static key); with which lock guarding the count. */
  usage: 'kvm_lock' | 'kvm_usage_lock' | null;
}

const VARIANTS: Record<string, Variant> = {
  documented: { protocol: {}, usage: null },
  'abba-arch-vs-mmu': { protocol: { firstRootUnderMmuLock: true, flushUnderArchLock: true }, usage: null },
  'arch-lock-across-srcu-sync': { protocol: { archLockAcrossSync: true }, usage: null },
  'kvm-lock-for-usage-count': { protocol: {}, usage: 'kvm_lock' },
  'kvm-usage-lock': { protocol: {}, usage: 'kvm_usage_lock' },
};

class LockOrderWorld {
  readonly kvm: LazyRmapsKvm;
  readonly hotplug: CpuHotplug;
  readonly global: KvmGlobal;
  readonly vcpuMutexes: Mutex[] = [];
  /** Set once the VMM has installed its first memslot: QEMU sets up memory before it runs vCPUs. */
  readonly ready: number;
  /** With `memslotEvery` > 0: the VMM sleeps between memslot updates until a fault asks for one. */
  readonly memslotUpdates: OnDemand | null;

  constructor(arena: Arena, p: Params, v: Variant) {
    this.kvm = new LazyRmapsKvm(arena, p.vcpus, 0, v.protocol);
    this.hotplug = new CpuHotplug(arena);
    this.global = new KvmGlobal(arena, this.hotplug, v.usage ?? 'kvm_usage_lock');
    for (let k = 0; k < p.vcpus; k++) this.vcpuMutexes.push(new Mutex(arena, `vcpu${k}->mutex`, '&vcpu->mutex'));
    this.ready = arena.region('VMM ready', 1);
    this.memslotUpdates = p.memslotEvery > 0 ? new OnDemand(arena, 'vmm_memslot_wait', p.memslotEvery, MEMSLOT_UPDATE) : null;
  }

  running(): boolean {
    return shared.load(this.kvm.i32, this.kvm.base + KVM_VCPUS_RUNNING) > 0;
  }
}

/**
 * A vCPU: KVM_RUN under vcpu->mutex, `faults` faults each inside kvm->srcu; vcpu0 starts a
 * nested guest at a random fault (the first shadow root takes slots_arch_lock inside the
 * read section). In the kvm_usage_count variants each vCPU also turns a static key on
 * from inside the read section once (static_key_slow_inc -> cpus_read_lock).
 */
function* vcpuRun(w: LockOrderWorld, self: Task, p: Params, variant: string): Op {
  while (shared.load(w.kvm.i32, w.ready) === 0) yield IDLE;
  const nested = nestedEntry(self, p);
  const keyAt = VARIANTS[variant].usage ? Math.floor(self.rng() * p.faults) : -1;
  const mmu: VcpuMmu = { shadowRoot: false };
  yield* mutexLock(w.vcpuMutexes[self.index], 'kvm_vcpu_ioctl');
  for (let i = 0; i < p.faults; i++) {
    const idx = yield* srcuReadLock(w.kvm.slots.srcu, 'vcpu_run');
    const r = yield* kvmVcpuFault(w.kvm, self, mmu, randomGfn(self), nested(i));
    if (i === keyAt) yield* staticKeySlowInc(w.hotplug, 'apic_hw_disabled'); // kvm_lapic_set_base(), from KVM_SET_MSRS
    yield* srcuReadUnlock(w.kvm.slots.srcu, idx);
    if (r !== 0) break;
    self.progress();
    if (w.memslotUpdates) yield* w.memslotUpdates.event(self); // a memslot update, when faults pace them
  }
  yield* mutexUnlock(w.vcpuMutexes[self.index]);
  // the last vCPU out wakes a VMM asleep until a fault asks for an update
  if (shared.sub(w.kvm.i32, w.kvm.base + KVM_VCPUS_RUNNING, 1) === 1 && w.memslotUpdates) yield* w.memslotUpdates.stop();
}

/**
 * The VMM: its first memslot update before the vCPUs run, then updates while they do, at
 * its own pace (`pause`) or, with `memslotEvery`, asleep until a fault asks for one.
 */
function* vmmRun(w: LockOrderWorld, self: Task, p: Params): Op {
  const arch = x86MemslotArch(w.kvm);
  yield* kvmSetUserMemoryRegion(w.kvm, self, arch);
  shared.store(w.kvm.i32, w.ready, 1);
  while (w.running()) {
    if (w.memslotUpdates) {
      if (!(yield* w.memslotUpdates.wait(() => w.running()))) return;
    } else yield* idleFor(self, p.pause);
    yield* kvmSetUserMemoryRegion(w.kvm, self, arch);
    self.progress();
  }
}

/** The MMU shrinker's count: vm_list walked under kvm_lock, now and then. */
function* shrinkerRun(w: LockOrderWorld, self: Task, p: Params): Op {
  while (w.running()) {
    yield* idleFor(self, p.pause);
    yield* mutexLock(w.global.kvmLock, 'mmu_shrink_count');
    self.count('vm-list-walks');
    yield* mutexUnlock(w.global.kvmLock);
    self.progress();
  }
}

/** kvm_create_vm() of a second VM: hardware_enable_all(). */
function* vmCreateRun(w: LockOrderWorld, self: Task, p: Params): Op {
  yield* idleFor(self, p.pause * 4);
  yield* hardwareEnableAll(w.global);
}

/** A write to /sys/module/kvm/parameters/nx_huge_pages: set_nx_huge_pages() over vm_list. */
function* nxHugePagesRun(w: LockOrderWorld, self: Task, p: Params): Op {
  yield* idleFor(self, p.pause * 4);
  yield* setNxHugePages(w.global, [w.kvm.slots.slotsLock]);
}

const MAX_VCPUS = 8;
const MAX_FAULTS = 1_000_000;
const usage = (variant: string) => (VARIANTS[variant].usage ? 1 : 0);

export default defineScenario<LockOrderWorld>({
  name: 'kvm-lock-order',
  summary: "KVM's documented lock order, checked by lockdep over the paths that take the locks",
  description: [
    'KVM\'s lock order (Documentation/virt/kvm/locking.rst; docs/kernel-facts.md §7) checked by lockdep, which reports a',
    'possible deadlock from executions that merely took locks in conflicting orders. vCPUs run under vcpu->mutex',
    'and fault inside kvm->srcu; vcpu0 starts a nested guest, whose first shadow root takes slots_arch_lock inside',
    'the read section; a VMM updates memslots (slots_lock -> slots_arch_lock, the arch lock dropped before',
    'synchronize_srcu); a shrinker walks vm_list under the kvm_lock mutex. The kvm_usage_count variants add VM',
    'creation (hardware_enable_all under cpus_read_lock), a static key turned on from a vCPU inside kvm->srcu',
    '(kvm_lapic_set_base: apic_hw_disabled, cpus_read_lock), and the nx_huge_pages parameter write (kvm_lock ->',
    'slots_lock). The documented orders (mainline\'s; kvm-usage-lock loads the 2024 document of 44d17459, whose',
    'kvm_usage_lock rule 9a798b1337af turned round) are known to lockdep before the first execution, so taking any pair',
    'the other way round is reported at once.',
  ].join('\n'),
  params: { vcpus: 2, faults: 50, pause: 20, memslotEvery: 0, nestedEvery: 0 },
  paramHelp: {
    vcpus: `vCPUs (1..${MAX_VCPUS})`,
    faults: `faults per vCPU (1..${MAX_FAULTS})`,
    pause: 'the other roles wait up to this many op boundaries between their ioctls (the VMM too, unless faults pace it) (0..100000)',
    memslotEvery:
      `after the first memslot, one vCPU fault in this many, on average, wakes the VMM for one memslot update (0: its own pace, pause; 1..${MAX_EVERY}). ` +
      'A real host updates memslots at boot, on BAR remaps and hotplug: thousands of faults or more apart, e.g. 1000-100000',
    nestedEvery:
      `vcpu0 starts the nested guest (the first shadow root) at each fault with probability 1/this (0: at a random fault of every execution; 1..${MAX_EVERY}). ` +
      'A real L1 starts its first L2 guest once in its life, if ever: millions of faults in',
  },
  validate(p) {
    return (
      wholeNumberIn(p, 'vcpus', 1, MAX_VCPUS) ??
      wholeNumberIn(p, 'faults', 1, MAX_FAULTS) ??
      wholeNumberIn(p, 'pause', 0, 100_000) ??
      wholeNumberIn(p, 'memslotEvery', 0, MAX_EVERY) ??
      wholeNumberIn(p, 'nestedEvery', 0, MAX_EVERY)
    );
  },
  variants: {
    documented: {
      expect: 'ok',
      // clean: 300 executions of evidence, about 1.0 s of one idle core
      campaign: { executions: 300 },
      source: 'mainline: the orders of Documentation/virt/kvm/locking.rst',
      summary: 'every path takes its locks in the documented order',
    },
    'abba-arch-vs-mmu': {
      expect: 'lock-order-cycle',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source: 'mutation: the first shadow root allocated under mmu_lock, and memslot updates flushing under slots_arch_lock',
      summary: 'mmu_lock -> slots_arch_lock on one path, slots_arch_lock -> mmu_lock on another',
    },
    'arch-lock-across-srcu-sync': {
      expect: 'lock-order-cycle',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source:
        'mutation: install_new_memslots drops slots_arch_lock only after synchronize_srcu (what kvm_set_memslot() never does: it drops the lock first); ' +
        'lockdep reports it since f0f44752f5f6 (v6.4), which made synchronize_srcu a write of the SRCU class',
      summary: 'slots_arch_lock held across synchronize_srcu while vCPUs take it inside their read sections',
    },
    'kvm-lock-for-usage-count': {
      expect: 'lock-order-cycle',
      // seed 1 finds it at execution 1 (seeds 1-11: at most 1 execution)
      campaign: { executions: 10 },
      source:
        'before 44d17459626052a2390457e550a12cb973506b2f "KVM: Use dedicated mutex to protect kvm_usage_count to avoid deadlock" (2024); ' +
        'the chain runs through kvm->srcu, which lockdep sees only since f0f44752f5f6 (v6.4: synchronize_srcu a write, srcu_read_lock a recursive read)',
      summary: 'kvm_usage_count under kvm_lock: kvm_lock -> slots_lock -> kvm->srcu -> cpu_hotplug_lock -> kvm_lock',
    },
    'kvm-usage-lock': {
      expect: 'ok',
      // clean: 300 executions of evidence, about 1.0 s of one idle core
      campaign: { executions: 300 },
      source:
        '44d17459626052a2390457e550a12cb973506b2f (August 2024): kvm_usage_count under its own kvm_usage_lock, inside cpus_read_lock, ' +
        'checked against that commit\'s locking.rst ("cpus_read_lock() is taken outside kvm_lock and kvm_usage_lock"), which 9a798b1337af (v6.12) turned round',
      summary: 'the fix: kvm_lock is no longer taken under cpus_read_lock by VM creation',
      lockOrder: KVM_LOCK_ORDER_44D17459,
    },
  },
  lockOrder: KVM_LOCK_ORDER,
  progress: 'a vCPU fault, a memslot update or a vm_list walk that returns',
  setup(arena, p, variant) {
    return new LockOrderWorld(arena, p, VARIANTS[variant]);
  },
  roles: {
    vcpu: { count: (p) => p.vcpus, run: vcpuRun },
    vmm: { count: () => 1, run: vmmRun },
    shrinker: { count: () => 1, run: shrinkerRun },
    'vm-create': { count: (_p, v) => usage(v), run: vmCreateRun },
    'nx-huge-pages': { count: (_p, v) => usage(v), run: nxHugePagesRun },
  },
  check(w, _p, _variant, step) {
    return checkLazyRmaps(w.kvm, step);
  },
  summarize(s) {
    const n = (k: string) => s[k] ?? 0;
    return [
      `vCPU faults: ${n('vcpu.tdp-faults')} TDP, ${n('vcpu.shadow-faults')} shadow; first shadow roots ${n('vcpu.first-shadow-root-alloc')}`,
      `memslots: ${n('vmm.KVM_MR_CREATE')} created, ${n('vmm.KVM_MR_MOVE')} moved, ${n('vmm.KVM_MR_DELETE')} deleted; vm_list walks under kvm_lock: ${n('shrinker.vm-list-walks')}`,
      `kvm_usage_count: ${n('vm-create.hardware-enabled')} hardware enables, ${n('nx-huge-pages.nx-huge-pages-zap-all')} nx_huge_pages zaps, ${n('vcpu.static-key:apic_hw_disabled')} static keys turned on`,
    ];
  },
});
