/**
 * The object pool's per-CPU lists: what lets dfs tell two vCPUs' allocations apart,
 * without changing what an allocation can return or when it fails.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/shm/arena.js';
import { FootprintMemory, independent } from '../src/exec/footprint.js';
import { setShared } from '../src/rt/shared.js';
import { OBJ_FREE, OBJ_IN_USE, ObjectPool, PCP_LISTS } from '../src/shm/pool.js';

function pool(capacity: number): ObjectPool {
  return new ObjectPool(Arena.create(capacity * 8 + PCP_LISTS * 80 + 64), 'page', capacity, 0);
}

describe('object pool per-CPU lists', () => {
  it('two CPUs allocating and freeing touch no common word once their lists are filled', () => {
    const p = pool(64);
    const a = p.take(OBJ_IN_USE, 0, 0);
    const b = p.take(OBJ_IN_USE, 1, 0); // both lists refilled from the global stack
    expect(a).not.toBe(b);
    const fp = new FootprintMemory();
    fp.watch(p.i32, 0);
    setShared(fp);
    try {
      fp.take();
      const a2 = p.take(OBJ_IN_USE, 0, 1);
      const fa = fp.take();
      const b2 = p.take(OBJ_IN_USE, 1, 1);
      const fb = fp.take();
      expect(independent(fa, fb)).toBe(true);
      p.give(a2, 0);
      const ga = fp.take();
      p.give(b2, 1);
      const gb = fp.take();
      expect(independent(ga, gb)).toBe(true);
      expect(independent(ga, fb)).toBe(true);
    } finally {
      setShared(null);
    }
  });

  it('the first allocation is object 1, and a list hands out its objects lowest first', () => {
    const p = pool(64);
    expect([p.take(OBJ_IN_USE, 0, 0), p.take(OBJ_IN_USE, 0, 0), p.take(OBJ_IN_USE, 0, 0)]).toEqual([1, 2, 3]);
  });

  it('fails only when no object is free anywhere: objects on other CPUs\' lists are drained first', () => {
    const p = pool(32);
    const held: number[] = [];
    // CPU 1 takes one and frees it: the rest of its batch and that object sit on its list
    const x = p.take(OBJ_IN_USE, 1, 0);
    p.give(x, 1);
    for (;;) {
      const o = p.take(OBJ_IN_USE, 0, 0);
      if (o === 0) break;
      held.push(o);
    }
    expect(held.length).toBe(32);
    expect(new Set(held).size).toBe(32);
    expect(p.freeCount()).toBe(0);
    for (const o of held) expect(p.give(o, 2)).toBe(OBJ_IN_USE);
    expect(p.freeCount()).toBe(32);
    expect(p.census()[OBJ_FREE]).toBe(32);
  });

  it('a list that grows past high gives a batch back to the global stack', () => {
    const p = pool(256);
    const taken: number[] = [];
    for (let k = 0; k < 200; k++) taken.push(p.take(OBJ_IN_USE, 3, 0));
    for (const o of taken) p.give(o, 4);
    expect(p.freeCount()).toBe(256);
    // list 4 never holds more than high objects
    expect(p.pcpCount(4)).toBeLessThanOrEqual(p.high);
  });
});
