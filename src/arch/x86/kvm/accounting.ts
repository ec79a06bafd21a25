/** What the KVM model owns at the end of an execution, for the conservation oracle. */
import type { PoolAccount } from '../../../check/conservation.js';
import type { ObjectPool } from '../../../shm/pool.js';
import type { KvmWorld } from './kvm-host.js';
import { PT_ENTRIES, SP_LEVEL, SP_SHADOWED, SP_SPT, VM_L1_ROOT, VM_L2_ROOT } from './kvm-host.js';
import { isLastSpte, isShadowPresentPte, toShadowPage } from './mmu/mmu-page.js';

export function kvmAccounts(w: KvmWorld): PoolAccount[] {
  const pages = new Uint8Array(w.pages.capacity + 1);
  const headers = new Uint8Array(w.spHeaders.capacity + 1);
  const descs = new Uint8Array(w.pteListDesc.capacity + 1);
  for (const kvm of w.vms) {
    const stack = [kvm.get(VM_L1_ROOT), kvm.get(VM_L2_ROOT)].filter((sp) => sp !== 0);
    while (stack.length) {
      const sp = stack.pop() as number;
      if (headers[sp]) continue;
      headers[sp] = 1;
      const spt = w.sp(sp, SP_SPT);
      pages[spt] = 1;
      const shadowed = w.sp(sp, SP_SHADOWED);
      if (shadowed) pages[shadowed] = 1;
      if (w.sp(sp, SP_LEVEL) === 1) continue;
      for (let idx = 0; idx < PT_ENTRIES; idx++) {
        const spte = Atomics.load(w.i32, w.spte(spt, idx));
        if (isShadowPresentPte(spte) && !isLastSpte(spte)) stack.push(toShadowPage(kvm, spte));
      }
    }
  }
  const cachedIn = (pool: ObjectPool) =>
    w.vcpus.flatMap((v) =>
      v
        .caches()
        .filter((c) => c.pool === pool)
        .flatMap((c) => c.objects().map((obj) => ({ obj, cache: c.name }))),
    );
  return [
    { pool: w.pages, what: 'page', reachable: pages, cached: cachedIn(w.pages) },
    { pool: w.spHeaders, what: 'kvm_mmu_page header', reachable: headers, cached: cachedIn(w.spHeaders) },
    { pool: w.pteListDesc, what: 'pte_list_desc', reachable: descs, cached: cachedIn(w.pteListDesc) },
  ];
}
