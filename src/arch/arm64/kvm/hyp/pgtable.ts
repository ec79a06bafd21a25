/**
 * The stage-2 page-table walker of arch/arm64/kvm/hyp/pgtable.c, as of 5.12 (mmu_lock
 * held across every walk): kvm_pgtable_stage2_map() creates missing tables and splits a
 * block that stands where a smaller mapping goes, taking each table page from the
 * vCPU's memcache; a table where a block goes is collapsed (its pages freed, nothing
 * allocated). kvm_pgtable_stage2_relax_perms() only changes the leaf. The memcache
 * pages are the only allocations: an empty memcache here is cache-empty-under-lock.
 */
import type { Op } from '../../../../rt/op.js';
import { current } from '../../../../rt/task.js';
import { freeObject, type KvmMmuMemoryCache, kvmMmuMemoryCacheAlloc } from '../../../../virt/kvm/memory-cache.js';
import {
  type Arm64Kvm,
  LEAF_LEVEL,
  levelFor,
  levelPages,
  PTE_PAGE_SHIFT,
  PTE_S2AP_W,
  PTE_TABLE,
  PTE_VALID,
  PTRS_PER_PTE,
  START_LEVEL,
} from '../kvm-host.js';
import { T_S2_COLLAPSE, T_S2_SPLIT, T_S2_TABLE } from '../trace-ops.js';
import { shared } from '../../../../rt/shared.js';

export const isValid = (pte: number): boolean => (pte & PTE_VALID) !== 0;
export const isTable = (pte: number, level: number): boolean => level < LEAF_LEVEL && (pte & PTE_TABLE) !== 0;
export const tablePage = (pte: number): number => pte >>> PTE_PAGE_SHIFT;
const tablePte = (page: number): number => (page << PTE_PAGE_SHIFT) | PTE_TABLE | PTE_VALID;
const leafPte = (writable: boolean): number => PTE_VALID | (writable ? PTE_S2AP_W : 0);

/** The index, at `level`, of the IPA page `ipa` (in 4 KiB pages). */
export function levelIndex(ipa: number, level: number): number {
  return Math.floor(ipa / levelPages(level)) % PTRS_PER_PTE;
}

/** What the hardware reports in ESR_EL2 for an access: no fault, or a translation or permission fault at a level. */
export interface Stage2Fault {
  kind: 'none' | 'translation' | 'permission';
  level: number;
}

/**
 * The hardware stage-2 walk of one guest access (no lock: the MMU walks the tables as
 * they are). Its result is the fault the vCPU takes; the tables may change before
 * user_mem_abort() takes mmu_lock, as on a real machine.
 */
export function stage2HardwareWalk(kvm: Arm64Kvm, ipa: number, write: boolean): Stage2Fault {
  let table = kvm.pgd;
  for (let level = START_LEVEL; level <= LEAF_LEVEL; level++) {
    const pte = shared.load(kvm.i32, kvm.pte(table, levelIndex(ipa, level)));
    if (!isValid(pte)) return { kind: 'translation', level };
    if (!isTable(pte, level)) return write && !(pte & PTE_S2AP_W) ? { kind: 'permission', level } : { kind: 'none', level };
    table = tablePage(pte);
  }
  throw new Error('stage-2 walk past the leaf level');
}

/** Free a table page holding entries of `level`, and every table below it (put_page on a collapsed subtree). */
function freeSubtree(kvm: Arm64Kvm, page: number, level: number): number {
  let freed = 1;
  for (let k = 0; k < PTRS_PER_PTE && level < LEAF_LEVEL; k++) {
    const pte = shared.load(kvm.i32, kvm.pte(page, k));
    if (isValid(pte) && isTable(pte, level)) freed += freeSubtree(kvm, tablePage(pte), level + 1);
  }
  freeObject(kvm.pages, page, 'stage-2 table page');
  return freed;
}

/**
 * kvm_pgtable_stage2_map(pgt, ipa, size, ..., mc): map `pages` pages at `ipa` with a leaf
 * at the level of that size.
 */
export function* kvmPgtableStage2Map(kvm: Arm64Kvm, ipa: number, pages: number, writable: boolean, mc: KvmMmuMemoryCache): Op {
  const t = current;
  const target = levelFor(pages);
  let table = kvm.pgd;
  for (let level = START_LEVEL; level < target; level++) {
    const ptep = kvm.pte(table, levelIndex(ipa, level));
    const pte = shared.load(kvm.i32, ptep);
    if (!isValid(pte) || !isTable(pte, level)) {
      // a missing table, or a block in the way of a smaller mapping (dirty logging): a new table from the memcache
      t.trace(isValid(pte) ? T_S2_SPLIT : T_S2_TABLE, ipa, level);
      const child = yield* kvmMmuMemoryCacheAlloc(mc, 'kvm_pgtable_stage2_map');
      if (isValid(pte)) t.count('block-splits'); // break-before-make: the block goes, the rest of it faults again
      t.count('table-pages');
      shared.store(kvm.i32, ptep, tablePte(child));
      table = child;
    } else {
      table = tablePage(pte);
    }
  }
  const ptep = kvm.pte(table, levelIndex(ipa, target));
  const pte = shared.load(kvm.i32, ptep);
  if (isValid(pte) && isTable(pte, target)) {
    const freed = freeSubtree(kvm, tablePage(pte), target + 1);
    t.trace(T_S2_COLLAPSE, ipa, target | (freed << 2));
    t.count('collapsed-table-pages', freed);
  }
  shared.store(kvm.i32, ptep, leafPte(writable));
  t.count(`mapped-level-${target}`);
}

/** kvm_pgtable_stage2_relax_perms(): make the leaf that maps `ipa` writable; -EAGAIN (1 here) if nothing maps it any more. */
export function kvmPgtableStage2RelaxPerms(kvm: Arm64Kvm, ipa: number): number {
  let table = kvm.pgd;
  for (let level = START_LEVEL; level <= LEAF_LEVEL; level++) {
    const ptep = kvm.pte(table, levelIndex(ipa, level));
    const pte = shared.load(kvm.i32, ptep);
    if (!isValid(pte)) return 1;
    if (!isTable(pte, level)) {
      shared.store(kvm.i32, ptep, pte | PTE_S2AP_W);
      return 0;
    }
    table = tablePage(pte);
  }
  return 1;
}

/** kvm_pgtable_stage2_wrprotect() over [ipa, ipa + pages): clear write permission on every leaf there. */
export function kvmPgtableStage2Wrprotect(kvm: Arm64Kvm, ipa: number, pages: number): number {
  let n = 0;
  const walk = (table: number, level: number, base: number) => {
    for (let k = 0; k < PTRS_PER_PTE; k++) {
      const at = base + k * levelPages(level);
      if (at + levelPages(level) <= ipa || at >= ipa + pages) continue;
      const ptep = kvm.pte(table, k);
      const pte = shared.load(kvm.i32, ptep);
      if (!isValid(pte)) continue;
      if (isTable(pte, level)) walk(tablePage(pte), level + 1, at);
      else if (pte & PTE_S2AP_W) {
        shared.store(kvm.i32, ptep, pte & ~PTE_S2AP_W);
        n++;
      }
    }
  };
  walk(kvm.pgd, START_LEVEL, 0);
  return n;
}
