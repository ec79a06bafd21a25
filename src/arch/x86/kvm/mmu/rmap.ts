/**
 * The shadow MMU's reverse maps (arch/x86/kvm/mmu/mmu.c): for each gfn, the SPTEs that
 * map it. A kvm_rmap_head with bit 0 clear holds one SPTE; with bit 0 set
 * (KVM_RMAP_MANY) it points at a chain of pte_list_desc taken from the vCPU's
 * mmu_pte_list_desc_cache, the head descriptor first, every tail descriptor full.
 *
 * Oracle `rmap-inconsistent`: a write past a descriptor's PTE_LIST_EXT entries (found
 * when it happens, as KASAN would), the kernel's own KVM_BUG_ON_DATA_CORRUPTION checks
 * in pte_list_remove(), and, after every execution, that every present shadow leaf
 * SPTE is in its gfn's rmap exactly once and the descriptor counts agree.
 *
 * Model: SPTEs are named by their word offset in the arena; a head holds `sptep << 1`
 * or `desc << 1 | KVM_RMAP_MANY`. Only 4 KiB mappings exist, so only rmap[0].
 * Not modeled: RMAP_RECYCLE_THRESHOLD (an rmap of over 1000 SPTEs zaps them all).
 */
import { reportViolation } from '../../../../rt/oracle.js';
import { type Violation, mainViolation } from '../../../../rt/violation.js';
import type { Op } from '../../../../rt/op.js';
import { current } from '../../../../rt/task.js';
import { freeObject, kvmMmuMemoryCacheAlloc } from '../../../../virt/kvm/memory-cache.js';
import type { Kvm, KvmWorld, Vcpu } from '../kvm-host.js';
import { DESC_MORE, DESC_SPTE_COUNT, DESC_SPTES, DESC_TAIL_COUNT, pteListDescBytes } from './pte-list-desc.js';
import { shared } from '../../../../rt/shared.js';

/** KVM_RMAP_MANY: bit 0 of a kvm_rmap_head says it points at a descriptor chain. */
const KVM_RMAP_MANY = 1;

/**
 * gfn_to_rmap(): the arena word of `gfn`'s kvm_rmap_head, found in the VM's table (and
 * claimed there when `create`), or -1 when the gfn has none.
 */
export function gfnToRmap(kvm: Kvm, gfn: number, create: boolean): number {
  const i32 = kvm.world.i32;
  const cap = kvm.rmapCapacity;
  if (cap === 0) return -1;
  for (let k = Math.imul(gfn + 1, 0x9e3779b1) >>> 0 & (cap - 1), n = 0; n < cap; k = (k + 1) & (cap - 1), n++) {
    const key = shared.load(i32, kvm.rmap + k);
    if (key === gfn + 1) return kvm.rmap + cap + k;
    if (key === 0) {
      if (!create) return -1;
      shared.store(i32, kvm.rmap + k, gfn + 1);
      return kvm.rmap + cap + k;
    }
  }
  throw new Error(`the rmap table of vm${kvm.id} is full (${cap} gfns): its capacity bound is wrong`);
}

function desc(w: KvmWorld, d: number, field: number): number {
  return shared.load(w.i32, w.pteListDesc.data(d) + field);
}

function setDesc(w: KvmWorld, d: number, field: number, v: number): void {
  shared.store(w.i32, w.pteListDesc.data(d) + field, v);
}

/** desc->sptes[i] = sptep, unless that is past the descriptor's PTE_LIST_EXT entries: an out-of-bounds write, reported. */
function setDescSpte(w: KvmWorld, d: number, i: number, sptep: number, site: string): boolean {
  if (i >= w.pteListExt) {
    reportViolation('rmap-inconsistent', `${current.name}: ${site}() writes sptes[${i}] of a pte_list_desc that has ${w.pteListExt} (PTE_LIST_EXT): past its end`, [
      `pte_list_add() moves the single SPTE and the new one into a fresh descriptor's sptes[0] and sptes[1]: it assumes PTE_LIST_EXT >= 2`,
      `the write lands in whatever follows the ${pteListDescBytes(w.pteListExt)}-byte object in its slab page`,
    ]);
    return false;
  }
  setDesc(w, d, DESC_SPTES + i, sptep);
  return true;
}

/**
 * pte_list_add(): 0 -> 1 stores the SPTE in the head; 1 -> many takes a descriptor from
 * the cache for both; a full head descriptor gets a new head in front of it (tails stay
 * full). Returns how many SPTEs the rmap held before.
 */
export function* pteListAdd(vcpu: Vcpu, sptep: number, head: number): Op<number> {
  const w = vcpu.kvm.world;
  const i32 = w.i32;
  const val = shared.load(i32, head);
  if (val === 0) {
    shared.store(i32, head, sptep << 1);
    return 0;
  }
  if (!(val & KVM_RMAP_MANY)) {
    const d = yield* kvmMmuMemoryCacheAlloc(vcpu.mmuPteListDescCache, 'pte_list_add');
    current.count('rmap-descs');
    if (!setDescSpte(w, d, 0, val >> 1, 'pte_list_add') || !setDescSpte(w, d, 1, sptep, 'pte_list_add')) return 1;
    setDesc(w, d, DESC_SPTE_COUNT, 2);
    setDesc(w, d, DESC_TAIL_COUNT, 0);
    shared.store(i32, head, (d << 1) | KVM_RMAP_MANY);
    return 1;
  }
  let d = val >> 1;
  const count = desc(w, d, DESC_TAIL_COUNT) + desc(w, d, DESC_SPTE_COUNT);
  if (desc(w, d, DESC_SPTE_COUNT) === w.pteListExt) {
    const next = yield* kvmMmuMemoryCacheAlloc(vcpu.mmuPteListDescCache, 'pte_list_add');
    current.count('rmap-descs');
    setDesc(w, next, DESC_MORE, d);
    setDesc(w, next, DESC_SPTE_COUNT, 0);
    setDesc(w, next, DESC_TAIL_COUNT, count);
    shared.store(i32, head, (next << 1) | KVM_RMAP_MANY);
    d = next;
  }
  const n = desc(w, d, DESC_SPTE_COUNT);
  if (setDescSpte(w, d, n, sptep, 'pte_list_add')) setDesc(w, d, DESC_SPTE_COUNT, n + 1);
  return count;
}

/** rmap_add(): the new leaf SPTE `sptep` (mapping `gfn`) joins gfn's rmap, with descriptors from this vCPU's cache. */
export function* rmapAdd(vcpu: Vcpu, sptep: number, gfn: number): Op {
  const head = gfnToRmap(vcpu.kvm, gfn, true);
  const before = yield* pteListAdd(vcpu, sptep, head);
  current.count('rmap-adds');
  current.max('max-rmap-size', before + 1);
}

function dataCorruption(what: string, where: string): void {
  reportViolation('rmap-inconsistent', `${current.name}: KVM_BUG_ON_DATA_CORRUPTION in pte_list_remove(): ${what}`, [where]);
}

/**
 * pte_list_desc_remove_entry(): fill the hole with the head descriptor's last entry (so
 * tails stay full); an emptied head is freed to the slab and the next becomes the head.
 */
function pteListDescRemoveEntry(kvm: Kvm, where: string, head: number, d: number, i: number): void {
  const w = kvm.world;
  const headDesc = shared.load(w.i32, head) >> 1;
  const j = desc(w, headDesc, DESC_SPTE_COUNT) - 1;
  // The head descriptor is never empty: a new head comes only when the old one is full, and an emptied one is freed.
  if (j < 0) {
    dataCorruption(`the head descriptor ${headDesc} is empty`, where);
    return;
  }
  setDesc(w, d, DESC_SPTES + i, desc(w, headDesc, DESC_SPTES + j));
  setDesc(w, headDesc, DESC_SPTES + j, 0);
  setDesc(w, headDesc, DESC_SPTE_COUNT, j);
  if (j > 0) return;
  const more = desc(w, headDesc, DESC_MORE);
  shared.store(w.i32, head, more ? (more << 1) | KVM_RMAP_MANY : 0);
  freeObject(w.pteListDesc, headDesc, 'mmu_free_pte_list_desc');
}

/**
 * pte_list_remove(): `sptep` leaves the pte_list at arena word `head` (a gfn's rmap, or a
 * shadow page's parent_ptes); `noun` and `where` name that list for the report.
 */
export function pteListRemove(kvm: Kvm, sptep: number, head: number, noun: 'rmap' | 'parent_ptes', where: string): void {
  const w = kvm.world;
  const val = head < 0 ? 0 : shared.load(w.i32, head);
  if (val === 0) {
    dataCorruption(`the SPTE at ${sptep} is not in the ${noun}, which is empty`, where);
  } else if (!(val & KVM_RMAP_MANY)) {
    if (val >> 1 === sptep) shared.store(w.i32, head, 0);
    else dataCorruption(`the ${noun} holds the SPTE at ${val >> 1}, not the one at ${sptep}`, where);
  } else {
    for (let d = val >> 1; d; d = desc(w, d, DESC_MORE)) {
      const n = Math.min(desc(w, d, DESC_SPTE_COUNT), w.pteListExt);
      for (let i = 0; i < n; i++) {
        if (desc(w, d, DESC_SPTES + i) === sptep) {
          pteListDescRemoveEntry(kvm, where, head, d, i);
          return;
        }
      }
    }
    dataCorruption(`the SPTE at ${sptep} is in no descriptor of the ${noun}`, where);
  }
}

/** rmap_remove(): `sptep` (mapping `gfn`) leaves gfn's rmap, as drop_spte() does when it is zapped. */
export function rmapRemove(kvm: Kvm, sptep: number, gfn: number): void {
  current.count('rmap-removes');
  pteListRemove(kvm, sptep, gfnToRmap(kvm, gfn, false), 'rmap', `the rmap of gfn 0x${gfn.toString(16)} in vm${kvm.id}`);
}

/** The SPTEs of one rmap and the descriptors holding them; `problem` names the first count that disagrees. */
export function rmapEntries(w: KvmWorld, val: number): { sptes: number[]; descs: number[]; problem: string | null } {
  if (val === 0) return { sptes: [], descs: [], problem: null };
  if (!(val & KVM_RMAP_MANY)) return { sptes: [val >> 1], descs: [], problem: null };
  const sptes: number[] = [];
  const descs: number[] = [];
  let problem: string | null = null;
  const chain: number[] = [];
  for (let d = val >> 1; d && chain.length <= w.pteListDesc.capacity; d = desc(w, d, DESC_MORE)) chain.push(d);
  let after = 0; // entries in the descriptors after this one
  for (let k = chain.length - 1; k >= 0; k--) {
    const d = chain[k];
    const n = desc(w, d, DESC_SPTE_COUNT);
    if (n < 1 || n > w.pteListExt) problem ??= `descriptor ${d} has spte_count ${n}, outside 1..${w.pteListExt}`;
    else if (k > 0 && n !== w.pteListExt) problem ??= `tail descriptor ${d} holds ${n} of ${w.pteListExt}: tails are kept full`;
    if (desc(w, d, DESC_TAIL_COUNT) !== after) problem ??= `descriptor ${d} has tail_count ${desc(w, d, DESC_TAIL_COUNT)}, but ${after} entries follow it`;
    for (let i = 0; i < Math.min(Math.max(n, 0), w.pteListExt); i++) sptes.push(desc(w, d, DESC_SPTES + i));
    descs.push(d);
    after += Math.max(n, 0);
  }
  if (chain.length > w.pteListDesc.capacity) problem ??= 'the descriptor chain loops';
  return { sptes, descs, problem };
}

/** Every rmap head of a VM, as [gfn, value] pairs. */
export function rmapHeads(kvm: Kvm): [number, number][] {
  const i32 = kvm.world.i32;
  const out: [number, number][] = [];
  for (let k = 0; k < kvm.rmapCapacity; k++) {
    const key = shared.load(i32, kvm.rmap + k);
    if (key) out.push([key - 1, shared.load(i32, kvm.rmap + kvm.rmapCapacity + k)]);
  }
  return out;
}

/**
 * After an execution: `leaves` (every present shadow leaf SPTE, as [sptep, gfn]) and
 * the rmaps must agree exactly, and every descriptor's counts must hold.
 */
export function checkRmaps(w: KvmWorld, kvm: Kvm, leaves: Map<number, number>, step: number): Violation | null {
  const seen = new Set<number>();
  const vm = `vm${kvm.id}`;
  for (const [gfn, val] of rmapHeads(kvm)) {
    const at = `the rmap of gfn 0x${gfn.toString(16)} in ${vm}`;
    const r = rmapEntries(w, val);
    if (r.problem) return mainViolation('rmap-inconsistent', `${at}: ${r.problem}`, [`PTE_LIST_EXT ${w.pteListExt}`], step);
    for (const sptep of r.sptes) {
      if (leaves.get(sptep) !== gfn) {
        const why = leaves.has(sptep) ? `which maps gfn 0x${(leaves.get(sptep) as number).toString(16)}` : 'which is not a present shadow leaf SPTE (zapped without rmap_remove?)';
        return mainViolation('rmap-inconsistent', `${at} holds the SPTE at ${sptep}, ${why}`, [], step);
      }
      if (seen.has(sptep)) return mainViolation('rmap-inconsistent', `${at} holds the SPTE at ${sptep} twice`, [], step);
      seen.add(sptep);
    }
  }
  for (const [sptep, gfn] of leaves) {
    if (!seen.has(sptep)) return mainViolation('rmap-inconsistent', `the present SPTE at ${sptep} maps gfn 0x${gfn.toString(16)} in ${vm} but is in no rmap`, [], step);
  }
  return null;
}
