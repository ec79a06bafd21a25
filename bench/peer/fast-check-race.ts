/**
 * The peer benchmark's race written with fast-check's scheduler (fc.scheduler()): the
 * same three actors, the same steps (every op of race-scenario.ts is one scheduled
 * point here), the same violation. fast-check picks the order in which the scheduled
 * promises resolve.
 */
import type fc from 'fast-check';

export const FAULTS = 20;
const CAPACITY = 4;

export class EmptyUnderLock extends Error {}

type Scheduler = fc.Scheduler<unknown>;

/**
 * A sleeping mutex, as the scenario's: a task that finds it taken waits, taking no
 * scheduled point, until an unlock wakes it; then it tries again at a scheduled point.
 * (A mutex that spun through the scheduler instead would give fast-check about 10% more
 * points per execution than the scenario has steps.)
 */
class Mutex {
  held = false;
  private waiters: (() => void)[] = [];
  async lock(s: Scheduler): Promise<void> {
    for (;;) {
      await s.schedule(Promise.resolve(), 'mutex_lock');
      if (!this.held) {
        this.held = true;
        return;
      }
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }
  async trylock(s: Scheduler): Promise<boolean> {
    await s.schedule(Promise.resolve(), 'mutex_trylock');
    if (this.held) return false;
    this.held = true;
    return true;
  }
  async unlock(s: Scheduler): Promise<void> {
    await s.schedule(Promise.resolve(), 'mutex_unlock');
    this.held = false;
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
  }
}

/** One execution: resolves, or rejects with EmptyUnderLock. */
export async function race(s: Scheduler, variant: 'trylock' | 'no-lock'): Promise<void> {
  const nobjs = [0, 0];
  const cacheLock = [new Mutex(), new Mutex()];
  const mmuLock = new Mutex(); // write_lock only here
  let running = 2;
  const step = (label: string) => s.schedule(Promise.resolve(), label);
  const vcpu = async (v: number) => {
    for (let k = 0; k < FAULTS; k++) {
      await cacheLock[v].lock(s);
      await step('read nobjs');
      for (let n = nobjs[v]; n < CAPACITY; n++) {
        await step('topup');
        nobjs[v] = n + 1;
      }
      await mmuLock.lock(s);
      await step('read nobjs');
      if (nobjs[v] === 0) throw new EmptyUnderLock(`vcpu${v}: the cache is empty under mmu_lock`);
      await step('alloc');
      nobjs[v]--;
      await mmuLock.unlock(s);
      await cacheLock[v].unlock(s);
    }
    running--;
  };
  const shrinker = async () => {
    while (running > 0) {
      for (let v = 0; v < 2; v++) {
        if (variant === 'trylock' && !(await cacheLock[v].trylock(s))) continue;
        await step('empty');
        nobjs[v] = 0;
        if (variant === 'trylock') await cacheLock[v].unlock(s);
      }
    }
  };
  const all = Promise.all([vcpu(0), vcpu(1), shrinker()]);
  await s.waitFor(all);
}
