/**
 * --memory weak: the model in sim. A message-passing program shows the stale read
 * only when nothing orders it, every strategy explores the choice (dfs reaches every
 * outcome, replay gives the same one), and the lazy-rmaps ordering variants are caught
 * with a report that names the stale read while `merged` stays clean.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/shm/arena.js';

import { simExecution } from '../src/exec/sim.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { run } from '../src/exec/run.js';
import { DfsStrategy } from '../src/exec/strategies/dfs.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { ReplayStrategy } from '../src/exec/strategies/replay.js';
import { loadScenario } from '../src/load/scenarios.js';
import { type ScenarioDef, variantParams } from '../src/scenario.js';
import { readOnce, smpBarrier, smpLoadAcquire, smpStoreRelease, writeOnce } from '../src/sync/index.js';
import { WeakMemory } from '../src/memory/weak.js';
import { SimWeak } from '../src/exec/sim-weak.js';
import { ATOMICS } from '../src/rt/shared.js';
import { current, setCurrent, type Task } from '../src/rt/task.js';
import { cli, expectBadInput } from './cli-helpers.js';

type Mem = { i32: Int32Array; data: number; flag: number; out: number };

/** P0: data = 1; flag = 1 (as `writer` says). P1: r0 = flag; r1 = data (as `reader` says). */
function messagePassing(writer: 'once' | 'release' | 'wmb', reader: 'once' | 'acquire' | 'rmb'): { def: ScenarioDef<Mem>; finals: string[] } {
  const finals: string[] = [];
  const def = {
    name: 'mp',
    description: '',
    params: {},
    paramHelp: {},
    variants: { v: { expect: 'ok', source: '', summary: '' } },
    setup: (arena: Arena) => ({ i32: arena.i32, data: arena.region('data', 1), flag: arena.region('flag', 1), out: arena.region('out', 2) }),
    roles: {
      p0: {
        count: () => 1,
        *run(m: Mem) {
          yield* writeOnce(m.i32, m.data, 1);
          if (writer === 'wmb') yield* smpBarrier(m.i32, 'wmb');
          if (writer === 'release') yield* smpStoreRelease(m.i32, m.flag, 1);
          else yield* writeOnce(m.i32, m.flag, 1);
        },
      },
      p1: {
        count: () => 1,
        *run(m: Mem) {
          const r0 = reader === 'acquire' ? yield* smpLoadAcquire(m.i32, m.flag) : yield* readOnce(m.i32, m.flag);
          if (reader === 'rmb') yield* smpBarrier(m.i32, 'rmb');
          const r1 = yield* readOnce(m.i32, m.data);
          m.i32[m.out] = r0;
          m.i32[m.out + 1] = r1;
        },
      },
    },
    check(m: Mem) {
      finals.push(`r0=${m.i32[m.out]} r1=${m.i32[m.out + 1]}`);
      return null;
    },
  } as unknown as ScenarioDef<Mem>;
  return { def, finals };
}

function dfsOutcomes(writer: 'once' | 'release' | 'wmb', reader: 'once' | 'acquire' | 'rmb', memory: 'sc' | 'weak'): string[] {
  const { def, finals } = messagePassing(writer, reader);
  const d = new DfsStrategy(3, 'none');
  do {
    const r = simExecution(def, {}, 'v', 1, d, { memory });
    d.finished(r.pruned === true);
  } while (d.advance());
  return [...new Set(finals)].sort();
}

const sim = new SimExecutor();
afterAll(() => sim.close());

describe('weak memory model', () => {
  it('message passing: the flag seen and the data still old only where nothing orders them', () => {
    const stale = 'r0=1 r1=0';
    expect(dfsOutcomes('once', 'once', 'weak')).toContain(stale);
    expect(dfsOutcomes('release', 'once', 'weak')).toContain(stale);
    expect(dfsOutcomes('release', 'acquire', 'weak')).not.toContain(stale);
    expect(dfsOutcomes('wmb', 'rmb', 'weak')).not.toContain(stale);
    expect(dfsOutcomes('once', 'once', 'sc')).not.toContain(stale);
    // and the other outcomes are all still reached
    expect(dfsOutcomes('release', 'acquire', 'weak')).toEqual(['r0=0 r1=0', 'r0=0 r1=1', 'r0=1 r1=1']);
  });

  it('which store a load returned is part of the schedule: replay gives the same outcome', () => {
    const { def, finals } = messagePassing('once', 'once');
    let seen = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = simExecution(def, {}, 'v', seed, new RandomStrategy(), { memory: 'weak', keepSchedule: true });
      const first = finals[finals.length - 1];
      if (first === 'r0=1 r1=0') seen++;
      simExecution(def, {}, 'v', seed, new ReplayStrategy(r.schedule as NonNullable<typeof r.schedule>), { memory: 'weak' });
      expect(finals[finals.length - 1]).toBe(first);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('coherence: once a task has read a store it never reads an older one', () => {
    const m = new WeakMemory(2, 8, () => 0);
    m.store(0, 5, 1, 'relaxed', 1);
    m.store(0, 5, 2, 'relaxed', 2);
    const c = m.candidates(1, 5);
    expect(c.map((s) => s.value)).toEqual([2, 1, 0]);
    m.load(1, 5, c[1], 'relaxed'); // read 1
    expect(m.candidates(1, 5).map((s) => s.value)).toEqual([2, 1]);
    expect(m.candidates(0, 5).map((s) => s.value)).toEqual([2]); // its own store is the newest it knows
  });

  it("an unmarked store is a release that carries what its task's relaxed loads saw (A-cumulative)", () => {
    // P0: WRITE_ONCE(x, 1); smp_store_release(y, 1).  P1: READ_ONCE(y) = 1; an unmarked store to l.
    // P2: an unmarked load of l = 1; smp_load_acquire(x) must be 1 (LKMM: rfe; po-rel is cumulative)
    const i32 = new Int32Array(new SharedArrayBuffer(64));
    let task = 0;
    let calls = 0;
    const w = new SimWeak(i32, 0, 3, () => task, (n) => (calls++ === 0 ? 0 : n - 1), ATOMICS); // the newest y, then the oldest allowed
    const was = current;
    setCurrent({ trace: () => 0, lastStep: 0 } as unknown as Task); // the marked accesses trace in the running task
    try {
      w.storeRelaxed(i32, 1, 1);
      w.storeRelease(i32, 2, 1, 1);
      task = 1;
      const y = w.loadRelaxed(i32, 2, 'READ_ONCE', 'y');
      w.store(i32, 3, 1);
      task = 2;
      const l = w.load(i32, 3);
      const x = w.loadAcquire(i32, 1, 'x');
      expect([y, l, x]).toEqual([1, 1, 1]);
    } finally {
      setCurrent(was);
    }
  });

  it('lazy-rmaps plain-flag is caught with use-before-publish, the report names the stale read, and the replay repeats it', () => {
    const r = cli(['run', 'lazy-rmaps', '--variant', 'plain-flag', '--mode', 'sim', '--seed', '1', '--executions', '2000', '--json'], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.memory).toBe('weak');
    const v = doc.violations[0];
    expect(v.kind).toBe('use-before-publish');
    const stale = v.details.find((d: string) => d.startsWith('weak memory:'));
    expect(stale).toMatch(/load\(memslot \d+ \(gfns \d+\.\.\d+\)->arch\.rmap\[0\]\) = 0 at step \d+ read the older value 0 .* the newer store of step \d+ by vcpu\d+ \(= \d+\) was not yet visible/);
    expect(v.trace.some((t: { op: string }) => /arch\.rmap\[0\] = 0: an older store than the newest/.test(t.op))).toBe(true);
    // the weak model traces its marked accesses itself, each once: a WRITE_ONCE is its relaxed store, not also a
    // WRITE_ONCE line; a READ_ONCE of the newest store is a READ_ONCE line (the reader's side of the finding), a
    // stale one only its "older store" line
    expect(v.trace.some((t: { op: string }) => /^store kvm->arch\.shadow_root_allocated = 1 \(relaxed\)$/.test(t.op))).toBe(true);
    expect(v.trace.filter((t: { op: string }) => /^WRITE_ONCE\(/.test(t.op))).toEqual([]);
    expect(v.trace.some((t: { op: string }) => /^READ_ONCE\(kvm->arch\.shadow_root_allocated\) = 1$/.test(t.op))).toBe(true);
    expect(new Set(v.trace.map((t: { step: number }) => t.step)).size).toBe(v.trace.length);
    for (let k = 0; k < 2; k++) {
      const again = cli([...v.replay.replace(/^npx mmu-stress /, '').split(' '), '--json'], { timeoutMs: 60_000 });
      expect(again.code).toBe(1);
      const w = JSON.parse(again.out).violations[0];
      expect([w.kind, w.step, w.message]).toEqual([v.kind, v.step, v.message]);
    }
  }, 240_000);

  it('merged stays clean under --memory weak; reader-without-acquire does not', async () => {
    const sc = await loadScenario('lazy-rmaps');
    const ok = await run({ scenario: sc, variant: 'merged', params: variantParams(sc.def, 'merged'), mode: 'sim', seed: 1, executions: 300, timeMs: null, sim, memory: 'weak', shrink: false });
    expect(ok.memory).toBe('weak');
    expect(ok.observed).toBe('ok');
    expect(ok.executions).toBe(300);
    const bad = await run({ scenario: sc, variant: 'reader-without-acquire', params: variantParams(sc.def, 'reader-without-acquire'), mode: 'sim', seed: 1, executions: 2000, timeMs: null, sim, shrink: false });
    expect(bad.memory).toBe('weak'); // the variant carries it
    expect(bad.observed).toBe('use-before-publish');
  }, 120_000);

  it('bad combinations are one line and exit 2', () => {
    expectBadInput(cli(['run', 'lazy-rmaps', '--variant', 'merged', '--mode', 'threads', '--memory', 'weak']), /--memory weak needs --mode sim/);
    expectBadInput(cli(['run', 'lazy-rmaps', '--memory', 'tso']), /--memory must be sc or weak, not 'tso'/);
    expectBadInput(cli(['run', 'lazy-rmaps', '--memory', 'weak', '--strategy', 'dfs', '--reduction', 'sleep']), /--reduction sleep does not go with --memory weak/);
  });
});
