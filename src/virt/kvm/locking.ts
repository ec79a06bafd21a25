/**
 * The acquisition orders of Documentation/virt/kvm/locking.rst (kvm-facts §7, and the
 * kvm_usage_lock rule of the 2024 fix, 44d17459626052a2390457e550a12cb973506b2f; a later
 * rework turned that one round, which this model does not follow), as lockdep's known
 * edges. The rules about kvm->lock and irq_lock are kept though no model takes those locks: a scenario that
 * lists them (`lockOrder`) has any execution that takes a pair the other way round
 * reported at once, citing the rule. Class names are the model's lockdep classes.
 */
import type { KnownOrder } from '../../check/lockdep-graph.js';

const RST = 'Documentation/virt/kvm/locking.rst';

export const KVM_LOCK_ORDER: readonly KnownOrder[] = [
  { from: 'cpu_hotplug_lock', to: 'kvm_lock', held: 'S', doc: `${RST}: cpus_read_lock() is taken outside kvm_lock` },
  { from: 'cpu_hotplug_lock', to: 'kvm_usage_lock', held: 'S', doc: `${RST}: cpus_read_lock() is taken outside kvm_usage_lock` },
  { from: '&kvm->lock', to: '&vcpu->mutex', doc: `${RST}: kvm->lock is taken outside vcpu->mutex` },
  { from: '&kvm->lock', to: '&kvm->slots_lock', doc: `${RST}: kvm->lock is taken outside kvm->slots_lock` },
  { from: '&kvm->slots_lock', to: '&kvm->slots_arch_lock', doc: `${RST}: kvm->slots_lock is taken outside kvm->slots_arch_lock (kvm_set_memslot)` },
  { from: '&kvm->slots_lock', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside kvm->slots_lock` },
  { from: '&vcpu->mutex', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside vcpu->mutex` },
  { from: '&kvm->lock', to: '&kvm->srcu', doc: `${RST}: synchronize_srcu(&kvm->srcu) is called inside kvm->lock` },
  { from: '&kvm->srcu', to: '&kvm->slots_arch_lock', held: 'R', doc: `${RST}: kvm->slots_arch_lock may be taken inside an SRCU read section (it is released before synchronize_srcu)` },
  { from: '&kvm->mmu_lock', to: '&kvm->arch.tdp_mmu_pages_lock', doc: `${RST}: tdp_mmu_pages_lock is taken only inside mmu_lock` },
];
