import { describe, expect, it } from 'vitest';
import { checkConservation } from '../src/check/conservation.js';
import { kvmAccounts } from '../src/arch/x86/kvm/accounting.js';
import { ENOMEM, KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE } from '../src/virt/kvm/constants.js';
import { type KvmConfig, KvmWorld } from '../src/arch/x86/kvm/kvm-host.js';
import { kvmMmuEmptyMemoryCache, kvmMmuMemoryCacheAlloc, kvmMmuTopupMemoryCache } from '../src/virt/kvm/memory-cache.js';
import { OBJ_CACHED, OBJ_FREE, OBJ_IN_USE } from '../src/shm/pool.js';
import { mutexLock, mutexUnlock, spinLock, spinUnlock } from '../src/sync/index.js';
import { runOp, solo } from './helpers.js';

const CONFIG: KvmConfig = { vms: 1, vcpus: 1, levels: 4, guestMemMiB: 64, tdpEnabled: 1, tdpMmu: 1, vendor: 0, nestedPercent: 0, nMaxMmuPages: 16, faults: 10 };

function world() {
  return solo((a) => new KvmWorld(a, CONFIG, { cacheLock: 'none', shrinker: 'none' }));
}

describe('kvm_mmu_memory_cache', () => {
  it('topup does nothing while nobjs >= min', () => {
    const { world: w } = world();
    const mc = w.vcpus[0].mmuShadowPageCache;
    expect(runOp(kvmMmuTopupMemoryCache(mc, 5))).toBe(0);
    const free = w.pages.freeCount();
    for (let k = 0; k < KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE - 5; k++) runOp(kvmMmuMemoryCacheAlloc(mc, 'test'));
    expect(mc.nobjs()).toBe(5);
    expect(runOp(kvmMmuTopupMemoryCache(mc, 5))).toBe(0);
    expect(mc.nobjs()).toBe(5);
    expect(w.pages.freeCount()).toBe(free);
  });

  it('topup below min fills to capacity (40), not to min', () => {
    const { world: w } = world();
    const mc = w.vcpus[0].mmuPageHeaderCache;
    expect(runOp(kvmMmuTopupMemoryCache(mc, 5))).toBe(0);
    expect(mc.nobjs()).toBe(KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE);
    for (const obj of mc.objects()) expect(w.spHeaders.state(obj)).toBe(OBJ_CACHED);
  });

  it('alloc pops the most recently cached object first (LIFO)', () => {
    const { world: w } = world();
    const mc = w.vcpus[0].mmuShadowPageCache;
    runOp(kvmMmuTopupMemoryCache(mc, 1));
    const objs = mc.objects();
    expect(runOp(kvmMmuMemoryCacheAlloc(mc, 'test'))).toBe(objs[objs.length - 1]);
    expect(runOp(kvmMmuMemoryCacheAlloc(mc, 'test'))).toBe(objs[objs.length - 2]);
    expect(w.pages.state(objs[objs.length - 1])).toBe(OBJ_IN_USE);
  });

  it('alloc from an empty cache WARNs and falls back to an atomic allocation; no violation without a spinning lock', () => {
    const { world: w, task, violations } = world();
    const mc = w.vcpus[0].mmuShadowPageCache;
    const obj = runOp(kvmMmuMemoryCacheAlloc(mc, 'test'));
    expect(obj).toBeGreaterThan(0);
    expect(w.pages.state(obj)).toBe(OBJ_IN_USE);
    expect(task.stats['warn-empty-cache']).toBe(1);
    expect(violations).toEqual([]);
  });

  it('alloc from an empty cache under a spinning lock is cache-empty-under-lock, naming who emptied it', () => {
    const { world: w, violations } = world();
    const vcpu = w.vcpus[0];
    runOp(kvmMmuTopupMemoryCache(vcpu.mmuShadowPageCache, 5));
    expect(runOp(kvmMmuEmptyMemoryCache(vcpu.mmuShadowPageCache))).toBe(KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE);
    runOp(spinLock(w.kvmLock));
    runOp(kvmMmuMemoryCacheAlloc(vcpu.mmuShadowPageCache, 'tdp_mmu_alloc_sp'));
    runOp(spinUnlock(w.kvmLock));
    expect(violations.map((v) => v.kind)).toEqual(['cache-empty-under-lock']);
    expect(violations[0].message).toContain('mmu_shadow_page_cache');
    expect(violations[0].details.join('\n')).toContain('freed 40 objects');
    // topped up by kvm_mmu_topup_memory_cache() itself here, not through x86's mmu_topup_memory_caches()
    expect(violations[0].details.join('\n')).toMatch(/^last topup of mmu_shadow_page_cache: step \d+, 0 -> 40 objects \(kvm_mmu_topup_memory_cache\(\)\)$/m);
  });

  it('a mutex under a spinlock is sleep-in-atomic; under a mutex it is fine', () => {
    const { world: w, violations } = world();
    const vcpu = w.vcpus[0];
    runOp(mutexLock(vcpu.mmuMemoryCacheLock));
    runOp(kvmMmuTopupMemoryCache(vcpu.mmuShadowPageCache, 5));
    runOp(mutexUnlock(vcpu.mmuMemoryCacheLock));
    expect(violations).toEqual([]);
    runOp(spinLock(w.kvmLock));
    runOp(mutexLock(vcpu.mmuMemoryCacheLock));
    expect(violations.map((v) => v.kind)).toEqual(['sleep-in-atomic']);
  });

  it('a sleeping topup under a spinlock is sleep-in-atomic', () => {
    const { world: w, violations } = world();
    runOp(spinLock(w.kvmLock));
    runOp(kvmMmuTopupMemoryCache(w.vcpus[0].mmuShadowPageCache, 5));
    expect(violations[0]?.kind).toBe('sleep-in-atomic');
  });

  it('emptying frees every object to the allocator, never back to a cache', () => {
    const { world: w } = world();
    const mc = w.vcpus[0].mmuShadowPageCache;
    runOp(kvmMmuTopupMemoryCache(mc, 5));
    const objs = mc.objects();
    const free = w.pages.freeCount();
    expect(runOp(kvmMmuEmptyMemoryCache(mc))).toBe(objs.length);
    expect(mc.nobjs()).toBe(0);
    expect(w.pages.freeCount()).toBe(free + objs.length);
    for (const obj of objs) expect(w.pages.state(obj)).toBe(OBJ_FREE);
  });

  it('topup returns -ENOMEM only when even min cannot be reached', () => {
    const { world: w } = world();
    const mc = w.vcpus[0].mmuPageHeaderCache;
    // Exhaust the header pool but for 3 objects.
    while (w.spHeaders.freeCount() > 3) w.spHeaders.take(OBJ_IN_USE, 0, 0);
    expect(runOp(kvmMmuTopupMemoryCache(mc, 5))).toBe(-ENOMEM);
    expect(mc.nobjs()).toBe(3);
    expect(runOp(kvmMmuTopupMemoryCache(mc, 2))).toBe(0);
  });
});

describe('conservation', () => {
  it('is clean for cached and mapped objects', () => {
    const { world: w } = world();
    runOp(kvmMmuTopupMemoryCache(w.vcpus[0].mmuShadowPageCache, 5));
    expect(checkConservation(kvmAccounts(w), 0)).toBeNull();
  });

  it('reports an in-use object nothing points at as object-leak', () => {
    const { world: w } = world();
    runOp(kvmMmuTopupMemoryCache(w.vcpus[0].mmuShadowPageCache, 5));
    runOp(kvmMmuMemoryCacheAlloc(w.vcpus[0].mmuShadowPageCache, 'test')); // taken, never linked
    expect(checkConservation(kvmAccounts(w), 0)?.kind).toBe('object-leak');
  });

  it('reports freeing an object twice as double-free', () => {
    const { world: w, violations } = world();
    const mc = w.vcpus[0].mmuShadowPageCache;
    runOp(kvmMmuTopupMemoryCache(mc, 5));
    const obj = runOp(kvmMmuMemoryCacheAlloc(mc, 'test'));
    w.pages.give(obj, 0);
    expect(w.pages.give(obj, 0)).toBe(OBJ_FREE);
    // and a cache that still holds a freed object is caught at the end
    w.pages.give(mc.objects()[0], 0);
    expect(checkConservation(kvmAccounts(w), 0)?.kind).toBe('double-free');
    expect(violations).toEqual([]);
  });
});
