/**
 * End-of-execution checks of the lazy-rmaps VM: once the flag is published, every
 * installed memslot has rmaps (else use-before-publish, even if no walker happened by);
 * and conservation of rmap arrays and kvm_memslots arrays: each in use is reachable from
 * the installed memslots, the array itself included (else object-leak).
 */
import { checkConservation } from '../../../check/conservation.js';
import { mainViolation, type Violation } from '../../../rt/violation.js';
import { KVM_MEM_SLOTS, kvmMemslotsLocked, MS_ID, MS_RMAP, slotEntry, slotWord } from '../../../virt/kvm/memslots.js';
import { KVM_SHADOW_ROOT_ALLOCATED, type LazyRmapsKvm } from './memslot-host.js';
import { publicationDetails, slotLabel } from './mmu/slot-rmap.js';

export function checkLazyRmaps(kvm: LazyRmapsKvm, step: number): Violation | null {
  const slots = kvmMemslotsLocked(kvm.slots);
  const rmapsReachable = new Uint8Array(kvm.rmaps.capacity + 1);
  for (let k = 0; k < KVM_MEM_SLOTS; k++) {
    const e = slotEntry(kvm.slots, slots, k);
    if (slotWord(kvm.slots, e, MS_ID) === 0) continue;
    const rmap = slotWord(kvm.slots, e, MS_RMAP);
    if (rmap === 0 && kvm.get(KVM_SHADOW_ROOT_ALLOCATED)) {
      return mainViolation(
        'use-before-publish',
        `${slotLabel(kvm, e)} is installed without rmaps while kvm_memslots_have_rmaps() is true: the next rmap walk finds none`,
        publicationDetails(kvm, slots),
        step,
      );
    }
    if (rmap !== 0 && rmapsReachable[rmap]++) {
      return mainViolation('invariant', `${slotLabel(kvm, e)} shares its rmap array ${rmap} with another installed slot`, [], step);
    }
  }
  const slotsReachable = new Uint8Array(kvm.slots.memslotsPool.capacity + 1);
  slotsReachable[slots] = 1;
  return checkConservation(
    [
      { pool: kvm.rmaps, cached: [], reachable: rmapsReachable, what: 'rmap array' },
      { pool: kvm.slots.memslotsPool, cached: [], reachable: slotsReachable, what: 'kvm_memslots array' },
    ],
    step,
  );
}
