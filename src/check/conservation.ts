/**
 * Conservation at the end of an execution: every object of every pool is free, in
 * exactly one memory cache, or in use and reachable from a live structure. Anything
 * else is an `object-leak` (in use or cached but owned by nobody) or a `double-free`
 * (an object in two caches, or freed while still mapped).
 */
import { OBJ_CACHED, OBJ_FREE, OBJ_IN_USE, OBJ_STATE_NAMES, type ObjectPool } from '../shm/pool.js';
import { mainViolation, type Violation } from '../rt/violation.js';
import { taskLabel } from '../rt/names.js';

export interface PoolAccount {
  pool: ObjectPool;
  /** Objects that sit in some cache, with the cache's name. */
  cached: { obj: number; cache: string }[];
  /** reachable[obj] = 1 when a live structure points at it. */
  reachable: Uint8Array;
  /** What an object is, for the report ("page-table page", "kvm_mmu_page"). */
  what: string;
}

function origin(pool: ObjectPool, obj: number): string {
  const by = pool.allocatedBy(obj);
  return `allocated by ${taskLabel(by.task)} at step ${by.step}`;
}

export function checkConservation(accounts: PoolAccount[], step: number): Violation | null {
  for (const a of accounts) {
    const { pool } = a;
    const census = pool.census();
    if (census[OBJ_FREE] !== pool.freeCount()) {
      return mainViolation('invariant', `${pool.name}: ${census[OBJ_FREE]} objects are marked free but the free list holds ${pool.freeCount()}`, [], step);
    }
    const inCache = new Map<number, string>();
    for (const { obj, cache } of a.cached) {
      const other = inCache.get(obj);
      if (other !== undefined) {
        return mainViolation('double-free', `${pool.name} object ${obj} is in two caches: ${other} and ${cache}`, [], step);
      }
      inCache.set(obj, cache);
      if (pool.state(obj) !== OBJ_CACHED) {
        return mainViolation('double-free', `${cache} holds ${pool.name} object ${obj}, which is ${OBJ_STATE_NAMES[pool.state(obj)]}`, [
          'an object was handed out or freed while still sitting in a memory cache',
        ], step);
      }
    }
    // objects never taken are free and nothing can point at them: only the touched ones need a look
    const touched = pool.touched();
    for (let obj = 1; obj <= touched; obj++) {
      const state = pool.state(obj);
      if (state === OBJ_CACHED && !inCache.has(obj)) {
        return mainViolation('object-leak', `${a.what} ${obj} is marked cached but no memory cache holds it (${origin(pool, obj)})`, [], step);
      }
      if (state === OBJ_IN_USE && !a.reachable[obj]) {
        return mainViolation('object-leak', `${a.what} ${obj} is in use but nothing points at it: leaked (${origin(pool, obj)})`, [
          `${pool.name}: ${pool.census()[OBJ_IN_USE]} in use, ${inCache.size} cached, ${pool.freeCount()} free of ${pool.capacity}`,
        ], step);
      }
      if (state === OBJ_FREE && a.reachable[obj]) {
        return mainViolation('double-free', `${a.what} ${obj} was freed but is still mapped (use after free)`, [origin(pool, obj)], step);
      }
    }
    for (let obj = touched + 1; obj < a.reachable.length; obj++) {
      if (a.reachable[obj]) return mainViolation('double-free', `${a.what} ${obj} was never allocated but is mapped`, [], step);
    }
  }
  return null;
}
