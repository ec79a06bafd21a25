/**
 * kvm_mmu_page_fault() -> kvm_mmu_do_page_fault(): which fault handler runs, as
 * vcpu->arch.mmu->page_fault decides. A nested guest's fault goes to its shadow MMU's
 * FNAME(page_fault) (ept_page_fault on Intel, paging64_page_fault on AMD). An L1 fault
 * goes to kvm_tdp_page_fault() with tdp_enabled (the TDP MMU if enabled, else
 * direct_page_fault), and to paging64_page_fault() on shadow paging.
 */
import type { Op } from '../../../../rt/op.js';
import { mmuIsDirect, type Vcpu } from '../kvm-host.js';
import { fnamePageFault, kvmTdpPageFault } from './mmu.js';

export function* kvmMmuDoPageFault(vcpu: Vcpu, gfn: number, nested: boolean): Op<number> {
  if (mmuIsDirect(vcpu.kvm.world.config, nested)) return yield* kvmTdpPageFault(vcpu, gfn);
  return yield* fnamePageFault(vcpu, gfn, nested);
}
