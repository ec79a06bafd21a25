/**
 * What a vCPU thread does in the x86 scenarios, as KVM_RUN would have it: load the MMU
 * (kvm_mmu_load, and the nested guest's when it runs one), then take `faults` faults on
 * random gfns, a share of them from the nested guest, each retried while it returns
 * RET_PF_RETRY, as the guest would take it again. Before each try, as vcpu_enter_guest()
 * does with kvm_mmu_reload(), a root that kvm_mmu_zap_all_fast() took away is loaded again
 * (unless the `rootsInFault` mutation leaves that to the fault).
 */
import { POINT, type Op } from '../../../rt/op.js';
import { wakeupKswapd } from '../../../mm/reclaim.js';
import type { Task } from '../../../rt/task.js';
import type { Params, RoleDef } from '../../../scenario.js';
import { RET_PF_RETRY } from './mmu/constants.js';
import { kvmMmuDoPageFault } from './mmu/fault.js';
import { type KvmWorld, vcpuName } from './kvm-host.js';
import { kvmMmuLoad, kvmMmuRootGone, recordTopupMinimums } from './mmu/mmu.js';
import { shared } from '../../../rt/shared.js';

export function* vcpuRun(w: KvmWorld, self: Task, p: Params): Op {
  const vcpu = w.vcpus[self.index];
  recordTopupMinimums(vcpu);
  // A vCPU whose MMU cannot be loaded returns to userspace, as KVM_RUN would.
  let loaded = (yield* kvmMmuLoad(vcpu, false)) >= 0 && (p.nestedPercent === 0 || (yield* kvmMmuLoad(vcpu, true)) >= 0);
  const gfns = p.guestMemMiB * 256;
  for (let i = 0; loaded && i < p.faults; i++) {
    const gfn = Math.floor(self.rng() * gfns);
    const nested = self.rng() * 100 < p.nestedPercent;
    for (let tries = 0; loaded && tries < 8; tries++) {
      if (kvmMmuRootGone(vcpu, nested) && !w.protocol.rootsInFault) loaded = (yield* kvmMmuLoad(vcpu, nested)) >= 0;
      if (loaded && (yield* kvmMmuDoPageFault(vcpu, gfn, nested)) !== RET_PF_RETRY) break;
    }
    if (w.memslotUpdates) yield* w.memslotUpdates.event(self); // a memslot update, when faults pace the VMM
  }
  yield POINT;
  if (shared.sub(w.i32, w.vcpusRunning, 1) === 1) {
    // the last vCPU out wakes kswapd, which reclaims only while vCPUs run, and a VMM asleep until a fault asks
    if (w.config.kswapdEvery) yield* wakeupKswapd(w.reclaim);
    if (w.memslotUpdates) yield* w.memslotUpdates.stop();
  }
}

/** The vcpu role of the x86 scenarios: `vms` x `vcpus` instances named as the model names them. */
export const VCPU_ROLE: RoleDef<KvmWorld> = {
  count: (p) => p.vms * p.vcpus,
  name: (i, p) => vcpuName(p.vms, Math.floor(i / p.vcpus), i % p.vcpus),
  run: vcpuRun,
};

/** What counts as progress for them (ScenarioDef.progress; faultEnd() marks it). */
export const VCPU_PROGRESS = 'a fault or MMU load that returns anything but RET_PF_RETRY';
