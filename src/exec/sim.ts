/**
 * The sim executor: every task is a generator in this one thread; at every op the
 * strategy picks which runnable task steps next. The same (scenario, variant,
 * params, seed, strategy) always gives the same schedule and the same trace.
 *
 * Verdicts are judged in scheduling steps, so they replay exactly: a task blocked on
 * one lock for a whole window while others run is starved (a deadlock); an execution
 * whose tasks keep stepping without a progress mark for a whole window is a livelock
 * (only for scenarios that say what progress is). Harness limits (the run's time
 * budget, the execution limit, a signal) come from `poll` and end an execution without
 * a verdict.
 */
import { deadlockViolation, waitGraph } from '../check/deadlock.js';
import { knownCycleLines, type LockGraph, newLockGraph } from '../sync/lockdep-graph.js';
import { setLockGraph } from '../sync/lockdep.js';
import { livelockViolation } from '../check/livelock.js';
import { setNames, taskLabel } from '../rt/names.js';
import type { Violation } from '../rt/violation.js';
import { explainStaleReads, SimWeak } from './sim-weak.js';
import { ATOMICS, setShared } from '../rt/shared.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { closeExecution, heldAtExit, lastStep } from './finish.js';
import { storesReadFrom } from './read-from.js';
import { frameTask, newFrame, progressMarks, startRole } from './frame.js';
import { limitOf, unrunOpsError } from './limits.js';
import { addStats, type ExecutionResult } from './result.js';
import { ScenarioThrow, thrownBy } from '../rt/errors.js';
import { DONE, IDLE, type Op, POINT } from '../rt/op.js';
import { SPIN_LIVELOCK_STEPS, SpinWatch } from './spin.js';
import { ChoiceLog, PRUNE, type Strategy } from './strategy.js';
import { type ExecHooks, READ_AGAIN, setCurrent, setStoreLog, StoreLog } from '../rt/task.js';
import { mergeTraces, RING_ENTRIES } from '../rt/trace.js';
import type { RareAnswer } from '../rt/rare.js';

export interface SimOptions {
  /** Ops of each task a violation's trace keeps (default: traceTailFor(tasks)). */
  tracePerTask?: number;
  /** Return the whole trace still in the rings, violation or not (for tests). */
  keepTrace?: boolean;
  /** Record the choices, one byte each, so the execution can be replayed by ReplayStrategy ('finding': return them only with a violation). */
  keepSchedule?: boolean | 'finding';
  /** The window, in scheduling steps, of the livelock and starvation verdicts. */
  windowSteps?: number;
  /** Asked every POLL_STEPS steps: a STOP_* harness limit to stop at now, or 0. */
  poll?: () => number;
  /** monitor[MONITOR_TASK]: the task being resumed, -1 outside the roles (setup, the final check), for a parent that must name a role that never yields. */
  monitor?: Int32Array;
  /** Lockdep's graph of the run, carried across its executions (default: a fresh one for this execution). */
  lockGraph?: LockGraph;
  /** weak: marked accesses go through the weak memory model, and which store a load returns is a choice (default sc). */
  memory?: 'sc' | 'weak';
  /** Stop, without a verdict, once this many scheduling steps have run (checked every POLL_STEPS): a shrink attempt's bound. */
  maxSteps?: number;
  /** Answers whether each rare event happens (exec/rare.ts: forced placement, a token's placements); absent: the tasks' own coins. */
  rare?: RareAnswer;
}

export const MONITOR_TASK = 0;

/** blockedOn[k] of a task that may step; any other negative value is a task that finished (a lock id is >= 0). */
const RUNNABLE = -1;
const FINISHED_TASK = -2;

export const SIM_DEFAULTS: SimOptions = {};

/** The default window: about 14,000 faults' worth of steps with nothing finished. */
export const DEFAULT_WINDOW_STEPS = 1_000_000;
/** How often (in scheduling steps) the window checks and `poll` run. */
const POLL_STEPS = 1024;

/**
 * The arena buffer of the last execution that ended. Sim runs one execution at a time
 * and reuses it, zeroed: a new SharedArrayBuffer per execution cost more than all the
 * ops of a small one. Nothing of an execution's result refers to its arena.
 */
let spareBuffer: SharedArrayBuffer | undefined;
/** The choice log of the last execution that kept one, reused (its choices are copied out). */
let spareLog: ChoiceLog | undefined;
/** The marked stores of the execution in flight (one log, reused: sim runs one execution at a time). */
const stores = new StoreLog();

export function simExecution<W>(
  s: ScenarioDef<W>,
  p: Params,
  variant: string,
  seed: number,
  strategy: Strategy,
  opts: SimOptions = SIM_DEFAULTS,
): ExecutionResult {
  const { frame } = newFrame(s, p, variant, spareBuffer);
  spareBuffer = undefined; // an execution run from inside this one (none is today) gets a buffer of its own
  for (const ring of frame.rings) ring.recordFromOneThread();
  const names = frame.arena.names;
  setNames(names);
  const n = frame.instances.length;
  const window = opts.windowSteps ?? DEFAULT_WINDOW_STEPS;
  /** What each task waits for: RUNNABLE, the id of the lock it is blocked on, or FINISHED_TASK. */
  const blockedOn = new Int32Array(n).fill(RUNNABLE);
  /** Since when a task has been trying to take `waitedOn[k]` (woken and blocked again counts as one wait), -1 if it is not. */
  const blockedSince = new Float64Array(n).fill(-1);
  const waitedOn = new Int32Array(n).fill(-1);
  const resumes = new Float64Array(n);
  const resumesAtProgress = new Float64Array(n);
  let violation: Violation | null = null;
  /** The runnable list must be made again: a task blocked, was woken or finished since it was made (most steps change none). */
  let stale = true;
  let steps = 0;
  let lastProgress = 0;
  const hooks: ExecHooks = {
    clockUnit: 'steps',
    clock: () => steps,
    wake(lock) {
      for (let k = 0; k < n; k++)
        if (blockedOn[k] === lock) {
          blockedOn[k] = RUNNABLE;
          stale = true;
        }
    },
    report(v) {
      violation ??= v;
    },
    progressed() {
      lastProgress = steps;
      resumesAtProgress.set(resumes);
    },
    ...(opts.rare ? { rare: opts.rare } : {}),
  };
  const graph = opts.lockGraph ?? newLockGraph(s, seed, 'report', true, variant);
  graph.seed = seed;
  setLockGraph(graph);
  const tasks = frame.instances.map((i) => frameTask(frame, i, seed, hooks));
  // each role's run() called as its own task, and started as yield* would start it: a run()
  // that returns an op (not a generator of its own) makes and runs it as that task's
  const gens: Op[] = [];
  try {
    for (const i of frame.instances) {
      setCurrent(tasks[i.id]);
      gens.push(startRole(s.roles[i.role].run(frame.world, tasks[i.id], p, variant), tasks[i.id]));
    }
  } catch (e) {
    // a run() that throws before it returns, or returns no generator: the scenario's error
    setCurrent(undefined);
    setLockGraph(null);
    const error = e instanceof ScenarioThrow ? e.error : thrownBy(e, 'role', tasks[gens.length]);
    return { seed, violation: null, stats: {}, steps: 0, scenarioError: error };
  }
  setCurrent(undefined);
  strategy.start(seed, n);
  // the memory the model goes through in this execution: plain Atomics, noted by dfs,
  // under the weak model, or both (the weak model over dfs's notes)
  const under = strategy.memory?.(frame.arena.i32, frame.modelBase) ?? ATOMICS;
  const log = opts.keepSchedule ? (spareLog ?? new ChoiceLog()) : null;
  spareLog = undefined; // as spareBuffer: an execution nested in this one would get its own
  log?.reset();
  /** The task whose step is running (-1 between steps): whose access the weak model sees. */
  let running = -1;
  const weak =
    opts.memory === 'weak'
      ? new SimWeak(
          frame.arena.i32,
          frame.modelBase,
          n,
          () => running,
          (m) => {
            const c = strategy.choose?.(m) ?? 0;
            log?.push(c);
            return c;
          },
          under,
        )
      : null;
  setShared(weak ?? under);
  const runnable = new Int32Array(n);
  /** How many tasks `runnable` lists, in task order: the same list every step while `stale` is false. */
  let m = 0;
  const spin = SpinWatch.for(n, Math.min(window, SPIN_LIVELOCK_STEPS));
  const spinSince = spin.since;
  const afterIdle = spin.afterIdle;
  stores.n = 0;
  setStoreLog(stores);
  const maxSteps = opts.maxSteps ?? Number.POSITIVE_INFINITY;
  let overran = false;
  const monitor = opts.monitor;
  let live = n;
  let stopped = 0;
  let pruned = false;
  /** Pruned as unfair: a spinner kept on a store older than its word's newest (weak memory), not as a schedule already explored. */
  let unfair = false;
  const seq = () => lastStep(frame);

  try {
    while (live > 0 && violation === null) {
      if (steps % POLL_STEPS === 0) {
        stopped = opts.poll?.() ?? 0;
        if (stopped) break;
        violation = windowVerdict();
        if (violation) break;
        if (spin.stuck(steps, blockedOn, RUNNABLE, frame.arena.i32, frame.modelBase)) {
          // a weak spin that only the model's stale choices keep going is unfair, not a livelock: no verdict
          if (weak && spin.readsOlderStore(tasks, blockedOn, RUNNABLE, frame.arena.i32)) {
            pruned = true;
            unfair = true;
          } else violation = spin.violation(tasks, blockedOn, RUNNABLE, frame.arena, stores, steps, seq(), other);
          break;
        }
        if (steps >= maxSteps) {
          overran = true;
          break;
        }
      }
      if (stale) {
        m = 0;
        for (let k = 0; k < n; k++) if (blockedOn[k] === RUNNABLE) runnable[m++] = k;
        stale = false;
      }
      if (m === 0) {
        violation = deadlockViolation(waitGraph(frame.arena.i32, names, blockedOn, 'sim'), names, seq(), 'sim: no task is runnable, every live task waits for a lock');
        violation.details.push(...knownCycleLines(graph));
        break;
      }
      let c = 0;
      if (m > 1) {
        c = strategy.pick(m, runnable);
        if (c === PRUNE) {
          pruned = true;
          break;
        }
        log?.push(c);
      }
      const k = runnable[c];
      if (monitor) monitor[MONITOR_TASK] = k;
      const t = tasks[k];
      setCurrent(t);
      let r: IteratorResult<number, void>;
      running = k;
      try {
        r = gens[k].next();
      } catch (e) {
        // Role code that throws is a broken scenario: neither a finding in the model nor a harness failure.
        setLockGraph(null);
        return { seed, violation: null, stats: {}, steps: seq(), scenarioError: thrownBy(e, 'role', tasks[k]) };
      }
      running = -1;
      steps++;
      resumes[k]++;
      let res = r.done ? DONE : r.value;
      // a spin-wait (CHESS): a step that only re-read words unchanged since this task last
      // read them is a wait for others, an IDLE to every strategy; a step that did anything
      // but load ends the spin (after an IDLE, a step completes no op: it keeps it)
      // (the common step, no load and no set kept, costs two loads: this runs at every step)
      const kind = t.readKind;
      if (kind !== 0) {
        t.readKind = 0;
        if (kind === READ_AGAIN) {
          if (res === POINT) res = IDLE;
          if (spinSince[k] < 0) spinSince[k] = steps;
        } else spinSince[k] = -1;
        afterIdle[k] = res === IDLE ? 1 : 0;
      } else if (t.spinN !== 0) {
        if (afterIdle[k] === 0) {
          t.spinN = 0;
          spinSince[k] = -1;
        } else afterIdle[k] = res === IDLE ? 1 : 0;
      }
      strategy.stepped?.(k, res);
      if (r.done) {
        // an op called without yield* did nothing: the execution ran another program than the one written
        const unrun = unrunOpsError(t);
        if (unrun) {
          setLockGraph(null);
          return { seed, violation: null, stats: {}, steps: seq(), scenarioError: unrun };
        }
        blockedOn[k] = FINISHED_TASK;
        stale = true;
        live--;
        blockedSince[k] = -1;
        violation ??= heldAtExit(tasks[k]);
        tasks[k].progress(); // a role that ends has made progress
      } else if (r.value >= 0) {
        blockedOn[k] = r.value;
        stale = true;
        waitedOn[k] = r.value;
        if (blockedSince[k] < 0) blockedSince[k] = steps;
      } else {
        blockedSince[k] = -1;
        if (res === IDLE) strategy.idle?.(k);
      }
    }
  } finally {
    // however the loop ended, setup's memory again for the final check and the next execution
    setShared(null);
    setStoreLog(null);
    strategy.end?.();
  }

  /** What a task that is not spinning does, for the spin-wait livelock report. */
  function other(k: number): string {
    if (blockedOn[k] === FINISHED_TASK) return `${tasks[k].name} has finished`;
    return `${tasks[k].name} waits for ${names.locks[blockedOn[k]]?.name ?? `lock ${blockedOn[k]}`}`;
  }

  /** Starvation (one task blocked for a whole window) and livelock (no progress mark for a whole window). */
  function windowVerdict(): Violation | null {
    for (let k = 0; k < n; k++) {
      if (blockedSince[k] >= 0 && steps - blockedSince[k] > window) {
        const how = `sim: ${tasks[k].name} has been blocked on ${names.locks[waitedOn[k]].name} for more than ${window} scheduling steps while others ran`;
        const v = deadlockViolation(waitGraph(frame.arena.i32, names, blockedOn, 'sim'), names, seq(), how);
        v.details.push(...knownCycleLines(graph));
        return v;
      }
    }
    if (!s.progress || steps - lastProgress <= window) return null;
    const since = tasks.map((t, k) => ({ task: t.name, count: resumes[k] - resumesAtProgress[k] }));
    return livelockViolation(
      { progress: s.progress, window: `in the last ${window} scheduling steps`, lastMark: `the last progress mark was at scheduling step ${lastProgress}`, since, unit: 'steps' },
      seq(),
    );
  }

  if (monitor) monitor[MONITOR_TASK] = -1;
  setLockGraph(null);
  const stats: ExecutionResult['stats'] = {};
  for (const t of tasks) addStats(stats, t.role, t.stats);
  const result: ExecutionResult = { seed, violation: null, stats, steps: seq(), scheduled: steps };
  if (pruned) {
    result.pruned = true; // equivalent to a schedule already explored, or unfair: no verdict of its own
    if (unfair) result.unfair = true;
  } else if (overran) {
    result.overran = maxSteps; // stopped at the caller's step bound: no verdict
  } else if (stopped) {
    result.incomplete = {
      limit: limitOf(stopped),
      note: `${steps} scheduling steps and ${progressMarks(frame)} progress marks in, ${live} of ${n} tasks still running`,
    };
  } else {
    result.violation = closeExecution(s, frame, p, variant, seed, violation, opts.tracePerTask);
    const v = result.violation;
    if (v && weak?.stale.length) v.details.push(...explainStaleReads(weak, v.task, taskLabel));
    // sc: the stores its last READ_ONCEs read, where the trace's window no longer shows them
    const k = v && !weak ? frame.instances.findIndex((i) => i.name === v.task) : -1;
    if (v?.trace && k >= 0) v.details.push(...storesReadFrom(frame.rings, names, k, v.trace, v.step, v.tracePerTask ?? 0));
  }
  if (log && (opts.keepSchedule !== 'finding' || result.violation))
    result.schedule = { seed, strategy: strategy.name, choices: log.choices(), ...(log.truncated ? { truncated: true } : {}) };
  if (log) spareLog = log;
  if (opts.keepTrace) result.trace = mergeTraces(frame.rings, names, seq(), RING_ENTRIES);
  spareBuffer = frame.arena.buffer as SharedArrayBuffer;
  return result;
}
