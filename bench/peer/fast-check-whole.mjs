// The peer race as a JavaScript developer writes it with fast-check's scheduler: one
// scheduled point per lock call (lock, trylock) and per cache access (a topup, an
// allocation, the shrinker's emptying); an unlock is synchronous, as a JavaScript
// mutex's release() is. That is about 284 points per execution, 45% of the 630 steps
// race-scenario.ts takes (it makes every READ_ONCE, every object of a topup and every
// unlock a step of its own).
// Plain JavaScript run by node, no loader, so that the whole command is fast-check's
// time: `node bench/peer/fast-check-whole.mjs [executions] [seed]` runs the trylock race
// (clean) that many times with fc.assert and exits; bench/peer-whole.ts times it against
// `mmu-stress run bench/peer/race-scenario.ts` for the same number of executions.
import fc from 'fast-check';

const FAULTS = 20;
const CAPACITY = 4;

class EmptyUnderLock extends Error {}

// A sleeping mutex: lock() is one scheduled point, and a task that finds it taken waits
// for the unlock without taking points, then tries again at a new one; unlock() wakes it.
class Mutex {
  held = false;
  waiters = [];
  async lock(s) {
    for (;;) {
      await s.schedule(Promise.resolve(), 'lock');
      if (!this.held) {
        this.held = true;
        return;
      }
      await new Promise((wake) => this.waiters.push(wake));
    }
  }
  async trylock(s) {
    await s.schedule(Promise.resolve(), 'trylock');
    if (this.held) return false;
    this.held = true;
    return true;
  }
  unlock() {
    this.held = false;
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
  }
}

// A vCPU's memory cache: topup fills it in one call, alloc takes one object.
class Cache {
  nobjs = 0;
  async topup(s) {
    await s.schedule(Promise.resolve(), 'topup');
    this.nobjs = CAPACITY;
  }
  async alloc(s, v) {
    await s.schedule(Promise.resolve(), 'alloc');
    if (this.nobjs === 0) throw new EmptyUnderLock(`vcpu${v}: the cache is empty under mmu_lock`);
    this.nobjs--;
  }
  async empty(s) {
    await s.schedule(Promise.resolve(), 'empty');
    this.nobjs = 0;
  }
}

async function race(s, variant) {
  const caches = [new Cache(), new Cache()];
  const cacheLock = [new Mutex(), new Mutex()];
  const mmuLock = new Mutex();
  let running = 2;
  const vcpu = async (v) => {
    for (let k = 0; k < FAULTS; k++) {
      await cacheLock[v].lock(s);
      await caches[v].topup(s);
      await mmuLock.lock(s);
      await caches[v].alloc(s, v);
      mmuLock.unlock();
      cacheLock[v].unlock();
    }
    running--;
  };
  const shrinker = async () => {
    while (running > 0) {
      for (let v = 0; v < 2; v++) {
        if (variant === 'trylock' && !(await cacheLock[v].trylock(s))) continue;
        await caches[v].empty(s);
        if (variant === 'trylock') cacheLock[v].unlock();
      }
    }
  };
  await s.waitFor(Promise.all([vcpu(0), vcpu(1), shrinker()]));
}

const executions = Number(process.argv[2] ?? 20_000);
const seed = Number(process.argv[3] ?? 1);
const variant = process.argv[4] ?? 'trylock';
let points = 0;
await fc.assert(
  fc.asyncProperty(fc.scheduler(), async (s) => {
    await race(s, variant);
    points += s.report().length;
  }),
  { numRuns: executions, seed },
);
if (process.env.PEER_POINTS) console.log(`${executions} executions, ${(points / executions).toFixed(1)} scheduled points each`);
