/** Trace op codes of the generic KVM model (virt/kvm): the memory caches (32..35, 46). */
import { registerOps } from '../../rt/trace.js';
import type { NameTable } from '../../shm/arena.js';

export const T_TOPUP = 32;
export const T_CACHE_ALLOC = 33;
export const T_CACHE_ALLOC_EMPTY = 34;
export const T_CACHE_EMPTY = 35;
export const T_TOPUP_FAIL = 46;

const cache = (n: NameTable, id: number) => n.caches[id] ?? `cache#${id}`;

registerOps({
  [T_TOPUP]: (a, b, n) => `kvm_mmu_topup_memory_cache(${cache(n, a)}) filled to ${b}`,
  [T_TOPUP_FAIL]: (a, b, n) => `kvm_mmu_topup_memory_cache(${cache(n, a)}) = -ENOMEM at ${b}`,
  [T_CACHE_ALLOC]: (a, b, n) => `kvm_mmu_memory_cache_alloc(${cache(n, a)}), ${b} left`,
  [T_CACHE_ALLOC_EMPTY]: (a, _b, n) => `kvm_mmu_memory_cache_alloc(${cache(n, a)}) on an EMPTY cache: WARN_ON, GFP_ATOMIC fallback`,
  [T_CACHE_EMPTY]: (a, b, n) => `kvm_mmu_empty_memory_cache(${cache(n, a)}) freed ${b}`,
});
