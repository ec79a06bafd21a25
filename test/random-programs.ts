/**
 * Random small programs for checking a dfs reduction against the full search: three
 * tasks, each a few steps over two shared words, and the final states a search reaches.
 * A reduction is sound on them when it reaches every final state the unreduced search
 * (`none`) reaches.
 */
import { simExecution } from '../src/exec/sim.js';
import { type DfsReduction, DfsStrategy } from '../src/exec/strategies/dfs.js';
import { IDLE, POINT } from '../src/rt/op.js';
import { addUnread, onlyTestedForZero, shared } from '../src/rt/shared.js';
import type { ScenarioDef } from '../src/scenario.js';
import type { Arena } from '../src/shm/arena.js';

/**
 * One step of a task: IDLE; a step that touches only the task's own state; a load logged
 * to the task's own word; a load tested only against zero (onlyTestedForZero), its
 * outcome logged; a store; an atomic add whose result is unread.
 */
export type Step = 'idle' | 'local' | { load: number } | { test: number } | { store: number } | { add: number };

/** A seeded generator of whole numbers below k (an LCG: the same programs on every run). */
export function drawFrom(seed: number): (k: number) => number {
  let state = seed;
  return (k: number) => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state % k;
  };
}

type Mem = { i32: Int32Array; vars: number; log: number };

/**
 * The final states (both words and every task's log) a dfs search with `reduction` reaches
 * at `bound` preemptions, sorted. `storeValue(t, i, local)` is what task t's step i stores
 * (`local`: how many local steps it took before).
 */
export function finalStates(programs: Step[][], storeValue: (t: number, i: number, local: number) => number, bound: number, reduction: DfsReduction): string[] {
  const finals = new Set<string>();
  const roles = Object.fromEntries(
    programs.map((prog, t) => [
      `r${t}`,
      {
        count: () => 1,
        *run(m: Mem) {
          let local = 0;
          for (let i = 0; i < prog.length; i++) {
            const step = prog[i];
            if (step === 'idle') {
              yield IDLE;
              continue;
            }
            if (step === 'local') local++;
            else if ('load' in step) shared.store(m.i32, m.log + t * 4 + i, 10 + shared.load(m.i32, m.vars + step.load));
            else if ('test' in step) {
              const v = shared.load(m.i32, m.vars + step.test);
              onlyTestedForZero(m.i32, m.vars + step.test);
              shared.store(m.i32, m.log + t * 4 + i, v === 0 ? 1 : 2);
            } else if ('add' in step) addUnread(m.i32, m.vars + step.add, 1);
            else shared.store(m.i32, m.vars + step.store, storeValue(t, i, local));
            if (i < prog.length - 1) yield POINT;
          }
        },
      },
    ]),
  );
  const def = {
    name: 'random-program',
    description: '',
    params: {},
    paramHelp: {},
    variants: { v: { expect: 'ok', source: '', summary: '' } },
    setup: (arena: Arena) => ({ i32: arena.i32, vars: arena.region('vars', 2), log: arena.region('log', 12) }),
    roles,
    check(m: Mem) {
      finals.add(Array.from(m.i32.subarray(m.vars, m.log + 12)).join(','));
      return null;
    },
  } as unknown as ScenarioDef<Mem>;
  const d = new DfsStrategy(bound, reduction);
  do d.finished(simExecution(def, {}, 'v', 1, d).pruned === true);
  while (d.advance());
  return [...finals].sort();
}

/** Of `trials` random programs (`program(draw)` makes each task's), at bounds 0, 1 and 2: how many times `reduction` missed a final state the full search reached. */
export function missedStates(trials: number, seed: number, program: (draw: (k: number) => number) => Step[], storeValue: (t: number, i: number, local: number) => number, reduction: DfsReduction): number {
  const draw = drawFrom(seed);
  let missed = 0;
  for (let trial = 0; trial < trials; trial++) {
    const programs = [0, 1, 2].map(() => program(draw));
    for (const bound of [0, 1, 2]) {
      if (finalStates(programs, storeValue, bound, reduction).join(' ') !== finalStates(programs, storeValue, bound, 'none').join(' ')) missed++;
    }
  }
  return missed;
}
