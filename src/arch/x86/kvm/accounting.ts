/**
 * What the KVM model owns at the end of an execution: for the conservation oracle
 * (every page, header and descriptor free, cached or reachable) and for the rmap
 * oracle (every present shadow leaf SPTE in its gfn's rmap exactly once).
 */
import { checkConservation, type PoolAccount } from '../../../check/conservation.js';
import { mainViolation, type Violation } from '../../../rt/violation.js';
import type { ObjectPool } from '../../../shm/pool.js';
import type { Kvm, KvmWorld } from './kvm-host.js';
import { PT_ENTRIES, ROLE_TDP, SP_LEVEL, SP_NEXT, SP_ROLE, SP_SHADOWED, SP_SPT, VM_ACTIVE_HEAD, VM_L1_ROOT, VM_L2_ROOT } from './kvm-host.js';
import { isLastSpte, isShadowPresentPte, parentPtesHead, spteGfn, toShadowPage } from './mmu/mmu-page.js';
import { checkRmaps, rmapEntries, rmapHeads } from './mmu/rmap.js';

/**
 * Walk a VM's page tables from its roots and from active_mmu_pages (a shadow page whose
 * parents were zapped lives on there): mark every page and header, collect the shadow
 * MMU's present leaves ([sptep, gfn]) and, for each shadow page, the SPTEs that point at it.
 */
function walkVm(w: KvmWorld, kvm: Kvm, pages: Uint8Array, headers: Uint8Array, leaves: Map<number, number>, linkedFrom: Map<number, number[]>): void {
  const stack = [kvm.get(VM_L1_ROOT), kvm.get(VM_L2_ROOT)].filter((sp) => sp !== 0);
  for (let sp = kvm.get(VM_ACTIVE_HEAD); sp; sp = w.sp(sp, SP_NEXT)) stack.push(sp);
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
      if (isLastSpte(spte)) {
        if (rmapped) leaves.set(sptep, spteGfn(spte));
        continue;
      }
      const child = toShadowPage(kvm, spte);
      stack.push(child);
      if (rmapped) linkedFrom.set(child, [...(linkedFrom.get(child) ?? []), sptep]);
    }
  }
}

/** Each shadow page's parent_ptes holds exactly the SPTEs that point at it (mmu_page_add_parent_pte / drop_parent_pte). */
function checkParentPtes(w: KvmWorld, kvm: Kvm, linkedFrom: Map<number, number[]>, step: number): Violation | null {
  for (let sp = kvm.get(VM_ACTIVE_HEAD); sp; sp = w.sp(sp, SP_NEXT)) {
    const r = rmapEntries(w, w.i32[parentPtesHead(kvm, sp)]);
    const at = `the parent_ptes of sp${sp} (level ${w.sp(sp, SP_LEVEL)}) in vm${kvm.id}`;
    if (r.problem) return mainViolation('rmap-inconsistent', `${at}: ${r.problem}`, [], step);
    const want = [...(linkedFrom.get(sp) ?? [])].sort((a, b) => a - b).join(',');
    const got = [...r.sptes].sort((a, b) => a - b).join(',');
    if (want !== got) return mainViolation('rmap-inconsistent', `${at} holds the SPTEs [${got}] but [${want}] point at it`, [], step);
  }
  return null;
}

/** Every pool object that is reachable or cached (for the conservation oracle), and each VM's present shadow leaves. */
function survey(w: KvmWorld): { accounts: PoolAccount[]; leaves: Map<number, number>[]; linkedFrom: Map<number, number[]>[] } {
  const pages = new Uint8Array(w.pages.capacity + 1);
  const headers = new Uint8Array(w.spHeaders.capacity + 1);
  const descs = new Uint8Array(w.pteListDesc.capacity + 1);
  const linkedFrom = w.vms.map(() => new Map<number, number[]>());
  const leaves = w.vms.map((kvm, k) => {
    const mine = new Map<number, number>();
    walkVm(w, kvm, pages, headers, mine, linkedFrom[k]);
    for (const [, val] of rmapHeads(kvm)) for (const d of rmapEntries(w, val).descs) descs[d] = 1;
    for (let sp = kvm.get(VM_ACTIVE_HEAD); sp; sp = w.sp(sp, SP_NEXT)) for (const d of rmapEntries(w, w.i32[parentPtesHead(kvm, sp)]).descs) descs[d] = 1;
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
  return { accounts, leaves, linkedFrom };
}

/** Every pool object that is reachable or cached, for the conservation oracle. */
export function kvmAccounts(w: KvmWorld): PoolAccount[] {
  return survey(w).accounts;
}

/** The end-of-execution check of the x86 scenarios: the rmaps agree with the page tables, then every object is accounted for. */
export function checkKvm(w: KvmWorld, step: number): Violation | null {
  const { accounts, leaves, linkedFrom } = survey(w);
  for (const [k, kvm] of w.vms.entries()) {
    const v = checkRmaps(w, kvm, leaves[k], step) ?? checkParentPtes(w, kvm, linkedFrom[k], step);
    if (v) return v;
  }
  return checkConservation(accounts, step);
}
