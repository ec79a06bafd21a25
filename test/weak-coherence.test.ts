/**
 * --memory weak in sim: a store takes a place in its word's coherence order, not
 * necessarily the last (LKMM does not make coherence follow time). 2+2W: two tasks each
 * write both words, in opposite orders; ending with x=2 and y=2 needs each task's second
 * store to go before the other task's first in coherence order. LKMM allows it with
 * WRITE_ONCE or smp_store_release; smp_mb() on both sides forbids it (the propagation
 * rule). The place is a scheduling choice: a recorded schedule replays it exactly.
 * S: smp_rmb() and smp_wmb() order a load before them against a store after them no
 * more than LKMM does (not at all); smp_mb() does.
 * Budgets are in executions; no clock.
 */
import { describe, expect, it } from 'vitest';
import type { Arena } from '../src/shm/arena.js';
import { simExecution } from '../src/exec/sim.js';
import { DfsStrategy } from '../src/exec/strategies/dfs.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { ReplayStrategy } from '../src/exec/strategies/replay.js';
import type { ScenarioDef } from '../src/scenario.js';
import { WeakMemory } from '../src/memory/weak.js';
import { readOnce, smpBarrier, smpStoreRelease, writeOnce } from '../src/sync/index.js';

type Mem = { i32: Int32Array; x: number; y: number };
type Second = 'once' | 'release' | 'mb';

/** P0: x = 2; y = 1.  P1: y = 2; x = 1. `second`: how each task's second store is ordered after its first. */
function twoPlusTwoW(second: Second): { def: ScenarioDef<Mem>; finals: string[] } {
  const finals: string[] = [];
  const task = (first: 'x' | 'y', then: 'x' | 'y') => ({
    count: () => 1,
    *run(m: Mem) {
      yield* writeOnce(m.i32, m[first], 2);
      if (second === 'mb') yield* smpBarrier(m.i32, 'mb');
      if (second === 'release') yield* smpStoreRelease(m.i32, m[then], 1);
      else yield* writeOnce(m.i32, m[then], 1);
    },
  });
  const def = {
    name: '2+2W',
    description: '',
    params: {},
    paramHelp: {},
    variants: { v: { expect: 'ok', source: '', summary: '' } },
    setup: (arena: Arena) => ({ i32: arena.i32, x: arena.region('x', 1), y: arena.region('y', 1) }),
    roles: { p0: task('x', 'y'), p1: task('y', 'x') },
    // the words hold the value of the last store in coherence order
    check(m: Mem) {
      finals.push(`x=${m.i32[m.x]} y=${m.i32[m.y]}`);
      return null;
    },
  } as unknown as ScenarioDef<Mem>;
  return { def, finals };
}

const WEAK = 'x=2 y=2';
const SEEDS = 400;

/** The final states of seeds 1..SEEDS under the random strategy. */
function randomOutcomes(second: Second, memory: 'sc' | 'weak'): Set<string> {
  const { def, finals } = twoPlusTwoW(second);
  for (let seed = 1; seed <= SEEDS; seed++) simExecution(def, {}, 'v', seed, new RandomStrategy(), { memory });
  return new Set(finals);
}

/** S. P0: x = 2; smp_wmb(); y = 1.  P1: r = READ_ONCE(y); `fence`; x = 1. */
function sShape(fence: 'rmb' | 'wmb' | 'mb'): { def: ScenarioDef<Mem & { r: number }>; finals: string[] } {
  const finals: string[] = [];
  const def = {
    name: 'S',
    description: '',
    params: {},
    paramHelp: {},
    variants: { v: { expect: 'ok', source: '', summary: '' } },
    setup: (arena: Arena) => ({ i32: arena.i32, x: arena.region('x', 1), y: arena.region('y', 1), r: arena.region('r', 1) }),
    roles: {
      p0: {
        count: () => 1,
        *run(m: Mem) {
          yield* writeOnce(m.i32, m.x, 2);
          yield* smpBarrier(m.i32, 'wmb');
          yield* writeOnce(m.i32, m.y, 1);
        },
      },
      p1: {
        count: () => 1,
        *run(m: Mem & { r: number }) {
          m.i32[m.r] = yield* readOnce(m.i32, m.y);
          yield* smpBarrier(m.i32, fence);
          yield* writeOnce(m.i32, m.x, 1);
        },
      },
    },
    check(m: Mem & { r: number }) {
      finals.push(`r=${m.i32[m.r]} x=${m.i32[m.x]}`);
      return null;
    },
  } as unknown as ScenarioDef<Mem & { r: number }>;
  return { def, finals };
}

/** Every final state dfs reaches (every schedule and every choice of the weak model). */
function dfsOutcomes(second: Second): string[] {
  return dfsAll(twoPlusTwoW(second));
}

function dfsAll<M>({ def, finals }: { def: ScenarioDef<M>; finals: string[] }): string[] {
  const d = new DfsStrategy(4, 'none');
  let executions = 0;
  do {
    const r = simExecution(def, {}, 'v', 1, d, { memory: 'weak' });
    d.finished(r.pruned === true);
    executions++;
  } while (d.advance() && executions < 100_000);
  expect(d.advance()).toBe(false); // the search ran out, not the budget
  return [...new Set(finals)].sort();
}

describe('2+2W in sim', () => {
  it('WRITE_ONCE on both sides: the weak outcome is reached under --memory weak, never under sc', () => {
    expect(randomOutcomes('once', 'weak')).toContain(WEAK);
    expect(randomOutcomes('once', 'sc')).not.toContain(WEAK);
  });

  it('a release second store: still reached (LKMM allows it: no strong fence in the cycle)', () => {
    expect(randomOutcomes('release', 'weak')).toContain(WEAK);
  });

  it('smp_mb() on both sides: never reached, over every schedule and choice', () => {
    expect(randomOutcomes('mb', 'weak')).not.toContain(WEAK);
    const all = dfsOutcomes('mb');
    expect(all).not.toContain(WEAK);
    // the other outcomes are all still there
    expect(all).toEqual(['x=1 y=1', 'x=1 y=2', 'x=2 y=1']);
  });

  it('dfs reaches the weak outcome without the barriers', () => {
    expect(dfsOutcomes('once')).toContain(WEAK);
  });

  it('the store placements are part of the schedule: a replay gives the same final state', () => {
    const { def, finals } = twoPlusTwoW('once');
    let weak = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = simExecution(def, {}, 'v', seed, new RandomStrategy(), { memory: 'weak', keepSchedule: true });
      const first = finals[finals.length - 1];
      if (first === WEAK) weak++;
      simExecution(def, {}, 'v', seed, new ReplayStrategy(r.schedule as NonNullable<typeof r.schedule>), { memory: 'weak' });
      expect(finals[finals.length - 1]).toBe(first);
    }
    expect(weak).toBeGreaterThan(0);
  });
});

describe('S in sim', () => {
  it('smp_rmb() or smp_wmb() between the load and the store: the weak outcome is reached; smp_mb(): never', () => {
    expect(dfsAll(sShape('rmb'))).toContain('r=1 x=2');
    expect(dfsAll(sShape('wmb'))).toContain('r=1 x=2');
    const mb = dfsAll(sShape('mb'));
    expect(mb).not.toContain('r=1 x=2');
    expect(mb).toEqual(['r=0 x=1', 'r=0 x=2', 'r=1 x=1']);
  });
});

describe('coherence order in the model', () => {
  it('a store goes after what its task has seen; a load never reads before what its task has seen', () => {
    const m = new WeakMemory(3, 8, () => 0);
    const x = 7;
    m.store(0, x, 1, 'relaxed', 1); // P0: x = 1 (last)
    m.load(1, x, m.candidates(1, x)[0], 'relaxed'); // P1 reads x = 1
    // P2 has seen nothing of x but its initial value: its store may go last or before x = 1
    const places = m.placements(2, x, 'relaxed');
    expect(places).toHaveLength(2);
    m.store(2, x, 2, 'relaxed', 2, null, places[1]); // before x = 1 in co
    expect(m.latest(x).value).toBe(1); // the word's value: the last in co
    expect(m.candidates(1, x).map((s) => s.value)).toEqual([1]); // P1 saw x = 1: never the older x = 2
    expect(m.candidates(2, x).map((s) => s.value)).toEqual([1, 2]); // P2 knows its own store
    expect(m.placements(1, x, 'relaxed')).toHaveLength(1); // P1's next store goes after x = 1
    expect(m.placements(2, x, 'relaxed')).toHaveLength(2); // P2's after its own, before or after x = 1
  });

  it('nothing goes between an atomic read-modify-write and the store it read', () => {
    const m = new WeakMemory(2, 8, () => 0);
    const y = 3;
    const read = m.rmwBegin(0, y);
    m.rmwEnd(0, y, 1, 1, read);
    // P1 knows nothing of P0's store, but the only place before it is inside the atomic
    expect(m.placements(1, y, 'relaxed')).toHaveLength(1);
  });

  it('a release goes after everything its task knows; a relaxed store only after what stores must follow', () => {
    // P0: x = 1; y = 1 (release).  P1: reads y = 1 (relaxed), then stores x
    const m = new WeakMemory(2, 8, () => 0);
    const [x, y] = [1, 2];
    m.store(0, x, 1, 'relaxed', 1);
    m.store(0, y, 1, 'release', 2);
    m.load(1, y, m.candidates(1, y)[0], 'relaxed');
    expect(m.placements(1, x, 'relaxed')).toHaveLength(2); // nothing orders the load before it (S)
    expect(m.placements(1, x, 'release')).toHaveLength(1); // po-rel: after x = 1
    m.fence(1, 'rmb');
    expect(m.placements(1, x, 'relaxed')).toHaveLength(2); // smp_rmb() orders loads only
    m.fence(1, 'mb');
    expect(m.placements(1, x, 'relaxed')).toHaveLength(1);
  });
});
