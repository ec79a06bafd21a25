/**
 * kvm_mmu_page_fault() -> kvm_mmu_do_page_fault(): which fault handler runs. With the
 * TDP MMU on, L1 faults go to kvm_tdp_mmu_page_fault (read_lock); without it to
 * direct_page_fault (write_lock); a nested guest's faults go to the shadow MMU's
 * FNAME(page_fault) (ept_page_fault on nested EPT) over indirect pages (write_lock).
 */
import type { Op } from '../exec/op.js';
import type { Vcpu } from './kvm.js';
import { directPageFault, fnamePageFault } from './mmu.js';
import { kvmTdpMmuPageFault } from './tdp-mmu.js';

export function* kvmMmuDoPageFault(vcpu: Vcpu, gfn: number, nested: boolean): Op<number> {
  if (nested) return yield* fnamePageFault(vcpu, gfn);
  if (vcpu.kvm.world.config.tdp) return yield* kvmTdpMmuPageFault(vcpu, gfn);
  return yield* directPageFault(vcpu, gfn);
}
