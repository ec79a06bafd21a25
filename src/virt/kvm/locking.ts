/**
 * The acquisition orders of Documentation/virt/kvm/locking.rst as lockdep's known edges.
 * KVM_LOCK_ORDER is mainline's: since 9a798b1337af ("KVM: Register cpuhp and syscore
 * callbacks when enabling hardware", v6.12) kvm_usage_lock is taken OUTSIDE
 * cpus_read_lock() (kvm_enable_virtualization() holds it across cpuhp_setup_state()).
 * KVM_LOCK_ORDER_44D17459 is the document of 44d17459626052a2390457e550a12cb973506b2f
 * ("KVM: Use dedicated mutex to protect kvm_usage_count to avoid deadlock", August 2024,
 * also taken into the stable trees), whose one rule said the opposite: "cpus_read_lock()
 * is taken outside kvm_lock and kvm_usage_lock". Mainline carried that wording only
 * between the two commits (the same v6.12 merge); a variant that reproduces that era's
 * code loads that era's document (VariantDef.lockOrder).
 *
 * The rules about kvm->lock and irq_lock are kept though no model takes those locks: a
 * scenario that lists them (`lockOrder`) has any execution that takes a pair the other
 * way round reported at once, citing the rule. Class names are the model's lockdep
 * classes. The synchronize_srcu() rules are lockdep edges only since f0f44752f5f6 ("rcu:
 * Annotate SRCU's update-side lockdep dependencies", v6.4): before it neither
 * srcu_read_lock() nor synchronize_srcu() was in lockdep's graph.
 */
import type { KnownOrder } from '../../sync/lockdep-graph.js';

const RST = 'Documentation/virt/kvm/locking.rst';

/** The rules every version since 2024 shares. */
const COMMON: readonly KnownOrder[] = [
  { from: 'cpu_hotplug_lock', to: 'kvm_lock', held: 'S', doc: `${RST}: cpus_read_lock() is taken outside kvm_lock` },
  { from: '&kvm->lock', to: '&vcpu->mutex', doc: `${RST}: kvm->lock is taken outside vcpu->mutex` },
  { from: '&kvm->lock', to: '&kvm->slots_lock', doc: `${RST}: kvm->lock is taken outside kvm->slots_lock` },
  { from: '&kvm->lock', to: '&kvm->irq_lock', doc: `${RST}: kvm->lock is taken outside kvm->irq_lock` },
  { from: '&kvm->slots_lock', to: '&kvm->irq_lock', doc: `${RST}: kvm->slots_lock is taken outside kvm->irq_lock` },
  // not a line of the .rst's list: kvm_set_memslot() (virt/kvm/kvm_main.c) takes slots_arch_lock under slots_lock
  { from: '&kvm->slots_lock', to: '&kvm->slots_arch_lock', doc: `${RST}: kvm->slots_lock is taken outside kvm->slots_arch_lock (kvm_set_memslot)` },
  { from: '&kvm->slots_lock', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside kvm->slots_lock` },
  { from: '&vcpu->mutex', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside vcpu->mutex` },
  { from: '&kvm->lock', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside kvm->lock` },
  { from: '&kvm->srcu', to: '&kvm->slots_arch_lock', held: 'R', doc: `${RST}: kvm->slots_arch_lock may be taken inside an SRCU read section (it is released before synchronize_srcu)` },
  { from: '&kvm->mmu_lock', to: '&kvm->arch.tdp_mmu_pages_lock', doc: `${RST}: tdp_mmu_pages_lock is taken only inside mmu_lock` },
];

/** Mainline's orders (9a798b1337af and later). */
export const KVM_LOCK_ORDER: readonly KnownOrder[] = [
  ...COMMON,
  { from: 'kvm_usage_lock', to: 'cpu_hotplug_lock', acq: 'S', doc: `${RST}: kvm_usage_lock is taken outside cpus_read_lock() (9a798b1337af)` },
];

/** The orders of 44d17459 (August 2024, and the stable trees it went into), before 9a798b1337af turned the kvm_usage_lock rule round. */
export const KVM_LOCK_ORDER_44D17459: readonly KnownOrder[] = [
  ...COMMON,
  {
    from: 'cpu_hotplug_lock',
    to: 'kvm_usage_lock',
    held: 'S',
    doc: `${RST} at 44d17459 (2024): cpus_read_lock() is taken outside kvm_lock and kvm_usage_lock`,
  },
];
