/**
 * The sim executor: every task is a generator in this one thread; at every op the
 * strategy picks which runnable task steps next. The same (scenario, variant,
 * params, seed, strategy) always gives the same schedule and the same trace.
 */
import { deadlockViolation, waitGraph } from '../check/deadlock.js';
import { mainViolation, setNames, type Violation } from '../check/violation.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { closeExecution, heldAtExit, lastStep } from './finish.js';
import { newFrame } from './frame.js';
import { addStats, type ExecutionResult } from './result.js';
import type { Strategy } from './strategy.js';
import { type ExecHooks, setCurrent, Task, taskRng } from './task.js';
import { mergeTraces, RING_ENTRIES } from './trace.js';

export interface SimOptions {
  /** How many trace lines a violation carries. */
  traceLines: number;
  /** Return the whole trace still in the rings, violation or not (for tests). */
  keepTrace?: boolean;
}

export const SIM_DEFAULTS: SimOptions = { traceLines: 40 };

/** Scheduling steps after which an execution is a livelock, unless the scenario says otherwise. */
const DEFAULT_MAX_STEPS = 20_000_000;

export function simExecution<W>(
  s: ScenarioDef<W>,
  p: Params,
  variant: string,
  seed: number,
  strategy: Strategy,
  opts: SimOptions = SIM_DEFAULTS,
): ExecutionResult {
  const { frame } = newFrame(s, p, variant);
  const names = frame.arena.names;
  setNames(names);
  const n = frame.instances.length;
  const blockedOn = new Int32Array(n).fill(-1);
  const done = new Uint8Array(n);
  let violation: Violation | null = null;
  let steps = 0;
  const hooks: ExecHooks = {
    clockUnit: 'steps',
    clock: () => steps,
    wake(lock) {
      for (let k = 0; k < n; k++) if (blockedOn[k] === lock) blockedOn[k] = -1;
    },
    report(v) {
      violation ??= v;
    },
  };
  const tasks = frame.instances.map((i) => new Task(i.id, i.role, i.index, i.name, taskRng(seed, i.name), frame.rings[i.id], hooks));
  const gens = frame.instances.map((i) => s.roles[i.role].run(frame.world, tasks[i.id], p, variant));
  strategy.start(seed);
  const choices: number[] = [];
  const runnable = new Int32Array(n);
  let live = n;
  const seq = () => lastStep(frame);
  const maxSteps = s.maxSteps?.(p) ?? DEFAULT_MAX_STEPS;

  while (live > 0 && violation === null) {
    let m = 0;
    for (let k = 0; k < n; k++) if (!done[k] && blockedOn[k] < 0) runnable[m++] = k;
    if (m === 0) {
      violation = deadlockViolation(waitGraph(frame.arena.i32, names, blockedOn), names, seq(), 'sim: no task is runnable, every live task waits for a lock');
      break;
    }
    let c = 0;
    if (m > 1) {
      c = strategy.pick(m, runnable);
      choices.push(c);
    }
    const k = runnable[c];
    setCurrent(tasks[k]);
    let r: IteratorResult<number, void>;
    try {
      r = gens[k].next();
    } catch (e) {
      // Role code that throws is a broken scenario, not a finding in the model.
      return { seed, violation: null, stats: {}, steps: seq(), harnessError: `${tasks[k].name}: ${(e as Error)?.stack ?? e}` };
    }
    steps++;
    if (r.done) {
      done[k] = 1;
      live--;
      violation ??= heldAtExit(tasks[k]);
    } else if (r.value >= 0) {
      blockedOn[k] = r.value;
    }
    if (steps > maxSteps && violation === null) {
      violation = mainViolation('invariant', `livelock: the execution did not finish within ${maxSteps} scheduling steps`, [], seq());
    }
  }

  const v = closeExecution(s, frame, p, variant, seed, violation, opts.traceLines);
  const stats: ExecutionResult['stats'] = {};
  for (const t of tasks) addStats(stats, t.role, t.stats);
  return {
    seed,
    violation: v,
    stats,
    steps: seq(),
    scheduled: steps,
    schedule: { seed, strategy: strategy.name, choices },
    trace: opts.keepTrace ? mergeTraces(frame.rings, names, seq(), frame.rings.length * RING_ENTRIES) : undefined,
  };
}
