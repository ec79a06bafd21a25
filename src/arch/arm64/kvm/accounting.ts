/**
 * Conservation of stage-2 table pages at the end of an execution: each page in use is
 * in the tree under the pgd, each cached one in exactly one vCPU's memcache.
 */
import { checkConservation } from '../../../check/conservation.js';
import type { Violation } from '../../../rt/violation.js';
import { isTable, isValid, tablePage } from './hyp/pgtable.js';
import { type Arm64Kvm, LEAF_LEVEL, PTRS_PER_PTE, START_LEVEL } from './kvm-host.js';

export function checkArm64Kvm(kvm: Arm64Kvm, step: number): Violation | null {
  const reachable = new Uint8Array(kvm.pages.capacity + 1);
  const walk = (page: number, level: number) => {
    reachable[page] = 1;
    if (level === LEAF_LEVEL) return;
    for (let k = 0; k < PTRS_PER_PTE; k++) {
      const pte = kvm.i32[kvm.pte(page, k)];
      if (isValid(pte) && isTable(pte, level)) walk(tablePage(pte), level + 1);
    }
  };
  walk(kvm.pgd, START_LEVEL);
  const cached = kvm.vcpus.flatMap((v) => v.mmuPageCache.objects().map((obj) => ({ obj, cache: v.mmuPageCache.name })));
  return checkConservation([{ pool: kvm.pages, cached, reachable, what: 'stage-2 table page' }], step);
}
