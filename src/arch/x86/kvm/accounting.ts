/**
 * What the KVM model owns at the end of an execution: for the conservation oracle
 * (every page, header and descriptor free, cached or reachable) and for the rmap
 * oracle (every present shadow leaf SPTE in its gfn's rmap exactly once).
 */
import { checkConservation, type PoolAccount } from '../../../check/conservation.js';
import type { Violation } from '../../../check/violation.js';
import type { ObjectPool } from '../../../shm/pool.js';
import type { Kvm, KvmWorld } from './kvm-host.js';
import { PT_ENTRIES, ROLE_TDP, SP_LEVEL, SP_ROLE, SP_SHADOWED, SP_SPT, VM_L1_ROOT, VM_L2_ROOT } from './kvm-host.js';
import { isLastSpte, isShadowPresentPte, spteGfn, toShadowPage } from './mmu/mmu-page.js';
import { checkRmaps, rmapEntries, rmapHeads } from './mmu/rmap.js';

/** Walk a VM's page tables from its roots: mark every page and header, and collect the shadow MMU's present leaves ([sptep, gfn]). */
function walkVm(w: KvmWorld, kvm: Kvm, pages: Uint8Array, headers: Uint8Array, leaves: Map<number, number>): void {
  const stack = [kvm.get(VM_L1_ROOT), kvm.get(VM_L2_ROOT)].filter((sp) => sp !== 0);
  while (stack.length) {
    const sp = stack.pop() as number;
    if (headers[sp]) continue;
    headers[sp] = 1;
    const spt = w.sp(sp, SP_SPT);
    pages[spt] = 1;
    const shadowed = w.sp(sp, SP_SHADOWED);
    if (shadowed) pages[shadowed] = 1;
    const rmapped = !(w.sp(sp, SP_ROLE) & ROLE_TDP);
    if (w.sp(sp, SP_LEVEL) === 1 && !rmapped) continue; // TDP MMU leaves: no rmaps, no pages below
    // Every task has ended: plain reads see their last writes (and cost less than Atomics.load).
    const table = w.spte(spt, 0);
    for (let idx = 0; idx < PT_ENTRIES; idx++) {
      const sptep = table + idx;
      const spte = w.i32[sptep];
      if (!isShadowPresentPte(spte)) continue;
      if (!isLastSpte(spte)) stack.push(toShadowPage(kvm, spte));
      else if (rmapped) leaves.set(sptep, spteGfn(spte));
    }
  }
}

/** Every pool object that is reachable or cached (for the conservation oracle), and each VM's present shadow leaves. */
function survey(w: KvmWorld): { accounts: PoolAccount[]; leaves: Map<number, number>[] } {
  const pages = new Uint8Array(w.pages.capacity + 1);
  const headers = new Uint8Array(w.spHeaders.capacity + 1);
  const descs = new Uint8Array(w.pteListDesc.capacity + 1);
  const leaves = w.vms.map((kvm) => {
    const mine = new Map<number, number>();
    walkVm(w, kvm, pages, headers, mine);
    for (const [, val] of rmapHeads(kvm)) for (const d of rmapEntries(w, val).descs) descs[d] = 1;
    return mine;
  });
  const cachedIn = (pool: ObjectPool) =>
    w.vcpus.flatMap((v) =>
      v
        .caches()
        .filter((c) => c.pool === pool)
        .flatMap((c) => c.objects().map((obj) => ({ obj, cache: c.name }))),
    );
  const accounts = [
    { pool: w.pages, what: 'page', reachable: pages, cached: cachedIn(w.pages) },
    { pool: w.spHeaders, what: 'kvm_mmu_page header', reachable: headers, cached: cachedIn(w.spHeaders) },
    { pool: w.pteListDesc, what: 'pte_list_desc', reachable: descs, cached: cachedIn(w.pteListDesc) },
  ];
  return { accounts, leaves };
}

/** Every pool object that is reachable or cached, for the conservation oracle. */
export function kvmAccounts(w: KvmWorld): PoolAccount[] {
  return survey(w).accounts;
}

/** The end-of-execution check of the x86 scenarios: the rmaps agree with the page tables, then every object is accounted for. */
export function checkKvm(w: KvmWorld, step: number): Violation | null {
  const { accounts, leaves } = survey(w);
  for (const [k, kvm] of w.vms.entries()) {
    const v = checkRmaps(w, kvm, leaves[k], step);
    if (v) return v;
  }
  return checkConservation(accounts, step);
}
