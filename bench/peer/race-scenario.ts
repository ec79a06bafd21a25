/**
 * The peer benchmark's race, as an mmu-stress scenario: two vCPUs each fault 20 times
 * (top up their cache under their cache mutex, then allocate from it under mmu_lock),
 * while a shrinker empties the vCPUs' caches, taking each cache mutex with trylock
 * (`trylock`, correct) or not at all (`no-lock`, the bug: a vCPU finds its cache empty
 * under mmu_lock). The same race is written with fast-check's scheduler in
 * fast-check-race.ts; bench/peer.ts runs the two side by side.
 */
import { reportViolation } from '../../src/rt/oracle.js';
import type { Op } from '../../src/rt/op.js';
import { shared } from '../../src/rt/shared.js';
import { defineScenario } from '../../src/scenario.js';
import type { Arena } from '../../src/shm/arena.js';
import { Mutex, mutexLock, mutexTrylock, mutexUnlock, readOnce, RwLock, writeLock, writeOnce, writeUnlock } from '../../src/sync/index.js';

export const FAULTS = 20;
const CAPACITY = 4;

class World {
  readonly i32: Int32Array;
  readonly mmuLock: RwLock;
  readonly cacheLock: Mutex[];
  /** nobjs of each vCPU's cache. */
  readonly nobjs: number;
  readonly running: number;
  constructor(arena: Arena) {
    this.i32 = arena.i32;
    this.mmuLock = new RwLock(arena, 'mmu_lock');
    this.cacheLock = [0, 1].map((k) => new Mutex(arena, `vcpu${k}.mmu_memory_cache_lock`, 'mmu_memory_cache_lock'));
    this.nobjs = arena.region('nobjs', 2);
    this.running = arena.region('running', 1);
    if (arena.init) this.i32[this.running] = 2;
  }
}

function* fault(w: World, v: number): Op {
  yield* mutexLock(w.cacheLock[v]);
  // mmu_topup_memory_caches(): fill to capacity, one allocation at a time
  for (let n = yield* readOnce(w.i32, w.nobjs + v); n < CAPACITY; n++) yield* writeOnce(w.i32, w.nobjs + v, n + 1);
  yield* writeLock(w.mmuLock);
  const n = yield* readOnce(w.i32, w.nobjs + v);
  if (n === 0) reportViolation('cache-empty-under-lock', `vcpu${v}: the cache is empty under mmu_lock`);
  else yield* writeOnce(w.i32, w.nobjs + v, n - 1);
  yield* writeUnlock(w.mmuLock);
  yield* mutexUnlock(w.cacheLock[v]);
}

export default defineScenario<World>({
  name: 'peer-race',
  description: 'the peer benchmark race: two vCPUs topping up and allocating under mmu_lock, a shrinker emptying their caches',
  params: {},
  paramHelp: {},
  variants: {
    trylock: { expect: 'ok', source: 'bench', summary: 'the shrinker trylocks each cache mutex' },
    'no-lock': { expect: 'cache-empty-under-lock', source: 'bench', summary: 'the shrinker takes no cache mutex' },
  },
  setup: (arena) => new World(arena),
  roles: {
    vcpu: {
      count: () => 2,
      *run(w, t) {
        for (let k = 0; k < FAULTS; k++) yield* fault(w, t.index);
        shared.sub(w.i32, w.running, 1);
      },
    },
    shrinker: {
      count: () => 1,
      *run(w, _t, _p, variant) {
        while (shared.load(w.i32, w.running) > 0) {
          for (let v = 0; v < 2; v++) {
            if (variant === 'trylock' && !(yield* mutexTrylock(w.cacheLock[v]))) continue;
            yield* writeOnce(w.i32, w.nobjs + v, 0);
            if (variant === 'trylock') yield* mutexUnlock(w.cacheLock[v]);
          }
        }
      },
    },
  },
});
