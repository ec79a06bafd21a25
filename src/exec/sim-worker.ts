/**
 * The sim executor's worker side: runs executions with seeds N, N+1, ... inside a
 * worker thread the command can terminate, posting each finished execution as soon as
 * it ends, so that nothing finished is lost when the run is stopped.
 *
 * The parent steers it through a small shared control block: a stop request (a harness
 * limit), and, written by the sim, which task it is resuming and how many steps it has
 * taken, so that a role that never reaches an op boundary can be named.
 */
import type { ScenarioDef } from '../scenario.js';
import { instancesOf, STOP_DEADLINE, STOP_EXECUTION_LIMIT } from './frame.js';
import { endsRun, type ExecutionResult } from './result.js';
import { type Dep, newLockGraph } from '../sync/lockdep-graph.js';
import { DEFAULT_WINDOW_STEPS, MONITOR_TASK, simExecution } from './sim.js';
import { entryOf } from './strategies/index.js';
import { ReplayStrategy } from './strategies/replay.js';
import { ScenarioThrow } from '../rt/errors.js';
import { SHRINK_ATTEMPTS, SHRINK_SHARE, shrinkExecution } from './shrink.js';
import type { RunConfig } from './config.js';
import { CountedRare, ForcedRare, ListedRare } from './rare.js';
import type { Guide } from './strategy.js';
import { keepViolationStacks } from '../rt/oracle.js';
import { isScenarioPath } from '../load/scenario-path.js';

/** Words of the control block (an Int32Array over a SharedArrayBuffer). */
export const SIM_CURRENT = MONITOR_TASK; // task being resumed, -1 outside the roles (written by the sim)
export const SIM_SEED = 1; // seed of the execution in flight: its low 32 bits (SIM_SEED_HI holds the rest)
export const SIM_STOP = 2; // a STOP_* harness limit asked by the parent, 0 while running
export const SIM_HEARTBEAT = 3; // bumped at every poll and between executions
export const SIM_SEED_HI = 4; // seed of the execution in flight: the bits above the low 32
export const SIM_CONTROL_WORDS = 5;
/** SIM_CURRENT once a request's executions are over, while the scenario's timers and promises whose time has come run (afterExecutions). */
export const SIM_OUTSIDE = -2;

/**
 * A seed in the control block: seeds go up to Number.MAX_SAFE_INTEGER (MAX_SEED), more than
 * one Int32 word holds, so it takes two. The parent reads it only once the worker has gone
 * quiet (a stuck execution), so the two stores need not be one.
 */
export function storeSeed(control: Int32Array, seed: number): void {
  Atomics.store(control, SIM_SEED_HI, Math.floor(seed / 2 ** 32));
  Atomics.store(control, SIM_SEED, seed % 2 ** 32);
}

export function loadSeed(control: Int32Array): number {
  return Atomics.load(control, SIM_SEED_HI) * 2 ** 32 + (Atomics.load(control, SIM_SEED) >>> 0);
}

/** One of a run's --jobs workers: it runs seeds first + index, first + index + jobs, ... */
export interface WorkerShare {
  index: number;
  jobs: number;
  /** Int32 word 0: the lowest seed any worker of the run found violating, less the run's first seed (no seed above it is started). */
  bound: SharedArrayBuffer;
}

export interface SimRequest {
  /** URL of the worker bundle holding the scenario. */
  bundle: string;
  /** The run's configuration, whole, as resolved (exec/config.ts): variant, params, seed, count, strategy, memory, lockdep, shrink, limits. */
  config: RunConfig;
  /** This worker's share of a --jobs run (absent: the run's one worker). Each execution then gets a fresh lockdep graph, whose lock orders go back with it. */
  share?: WorkerShare;
  /**
   * The end of the run's --time as an epoch instant (performance.timeOrigin + now), null or
   * absent without one: executions stop at it, none starts after it, and shrinking a finding
   * may take a share (SHRINK_SHARE) of what is left of it when the finding comes.
   */
  untilEpochMs?: number | null;
  control: SharedArrayBuffer;
}

/** The seeds a worker runs: its first, its stride, how many at most. */
export function workerSeeds(config: RunConfig, share?: WorkerShare): { first: number; stride: number; executions: number | null } {
  if (!share) return { first: config.seed, stride: 1, executions: config.executions };
  return { first: config.seed + share.index, stride: share.jobs, executions: config.executions === null ? null : Math.ceil((config.executions - share.index) / share.jobs) };
}

/**
 * done: the lock orders, the strategy's summary (Strategy.summary), whether it ran out of
 * executions (its space exhausted), and how many timers the scenario's code left pending
 * (afterExecutions: such a worker is not given another run).
 */
export type SimMessage = { type: 'execution'; result: ExecutionResult } | { type: 'done'; deps: Dep[]; summary?: unknown; exhausted: boolean; timersLeft?: number } | { type: 'error'; error: string };

/** Timers and immediates this thread has pending (Node's own count of its active resources). */
const pendingTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;

/**
 * Posts a request's 'done' once the timers and promises the scenario's code started whose time
 * has come have run: they run outside the model's schedule, on this thread's event loop, only
 * after the executions (which run without a turn of it). A throw there then reaches the run
 * before it ends, which names it the scenario's error; meanwhile SIM_CURRENT reads SIM_OUTSIDE,
 * so that a timer that never returns is named as what it is. 'done' says how many timers are
 * still pending: they would run during the next run, on this worker, and be blamed on it.
 */
export function afterExecutions(req: SimRequest, done: Extract<SimMessage, { type: 'done' }>, post: (m: SimMessage) => void): void {
  const control = new Int32Array(req.control);
  Atomics.store(control, SIM_CURRENT, SIM_OUTSIDE);
  Atomics.add(control, SIM_HEARTBEAT, 1);
  // a timer of 0 ms comes after every timer already due (the timers of one duration run in
  // the order they were set, and an earlier duration's are due first)
  setTimeout(() => {
    Atomics.store(control, SIM_CURRENT, -1);
    Atomics.add(control, SIM_HEARTBEAT, 1);
    post({ ...done, timersLeft: Math.max(0, pendingTimers() - 1) }); // this timer is still counted while it runs
  }, 0);
}

/** Now as an epoch instant, the same in every thread of the process. */
const nowEpoch = (): number => performance.timeOrigin + performance.now();
const pastUntil = (req: SimRequest): boolean => req.untilEpochMs != null && nowEpoch() >= req.untilEpochMs;

/**
 * Each execution is posted to the parent as soon as it ends, never held back in a batch:
 * a worker the parent has to stop (a role that never reaches an op boundary) can post
 * nothing more, and what it had finished must not be lost with it.
 */
export function runSimRequest(def: ScenarioDef<unknown>, req: SimRequest, post: (m: SimMessage) => void): void {
  const send = (result: ExecutionResult) => post({ type: 'execution', result });
  const control = new Int32Array(req.control);
  const c = req.config;
  // a user's scenario file: each violation keeps its stack, for the parent to name the file's own line
  keepViolationStacks(isScenarioPath(c.scenario));
  const taskNames = instancesOf(def, c.params, c.variant).map((i) => i.name);
  const strategy = entryOf(c.strategy).create(c.strategy, { taskNames, memory: c.memory });
  const { first, stride, executions } = workerSeeds(c, req.share);
  // the strategy says which seed each execution runs (dfs: the first one's data throughout)
  const seedOf = (k: number) => strategy.seedOf?.(k, first, stride) ?? first + k * stride;
  let exhausted = false;
  const bound = req.share ? new Int32Array(req.share.bound) : null;
  const perExecutionLockdep = req.share !== undefined;
  const windowSteps = c.windowSteps ?? undefined;
  // lockdep's graph spans the run's executions, unless the parent merges them (--jobs)
  let lockGraph = newLockGraph(def, first, 'report', c.lockdep, c.variant);
  // the rare events' horizons may need a trial of the run's first seed (a worker that does
  // not run it itself): under the run's limits, watched by the parent as an execution is
  /** The harness limits of an execution that started at `started`: a stop the parent asked, the run's end, the execution limit. */
  const pollFrom = (started: number) => () => {
    Atomics.add(control, SIM_HEARTBEAT, 1);
    const stop = Atomics.load(control, SIM_STOP);
    if (stop !== 0) return stop;
    if (pastUntil(req)) return STOP_DEADLINE;
    return performance.now() - started > c.executionLimitMs ? STOP_EXECUTION_LIMIT : 0;
  };
  const rare = rareOf(c, () => {
    Atomics.store(control, SIM_CURRENT, -1);
    storeSeed(control, c.seed);
    return trialHorizons(def, c, { poll: pollFrom(performance.now()), monitor: control });
  });
  const estimating = c.rare.estimating === true;
  for (let k = 0; executions === null || k < executions; k++) {
    Atomics.add(control, SIM_HEARTBEAT, 1);
    if (Atomics.load(control, SIM_STOP) !== 0) break;
    // another worker found a violation at a lower seed: nothing above it can be the answer
    if (bound && seedOf(k) - c.seed > Atomics.load(bound, 0)) break;
    Atomics.store(control, SIM_CURRENT, -1); // setting up: no role runs yet
    storeSeed(control, seedOf(k));
    if (pastUntil(req)) {
      // the run's time ended between executions: this seed has no verdict, and says so
      send({ seed: seedOf(k), violation: null, stats: {}, steps: 0, incomplete: { limit: 'time', note: 'the run was stopped before this execution could start' } });
      break;
    }
    const poll = pollFrom(performance.now());
    if (perExecutionLockdep) lockGraph = newLockGraph(def, seedOf(k), 'report', c.lockdep, c.variant);
    let r: ExecutionResult;
    try {
      const answer = rare(seedOf(k));
      r = simExecution(def, c.params, c.variant, seedOf(k), strategy, { poll, monitor: control, windowSteps, lockGraph, keepSchedule: estimating ? false : 'finding', memory: c.memory, rare: answer });
      const note = answer?.note();
      if (note && Object.keys(note.events).length > 0) r.rare = note;
    } catch (e) {
      // the scenario's setup() or check() threw: its error, with no verdict (a role's comes back as a result)
      if (!(e instanceof ScenarioThrow)) throw e;
      r = { seed: seedOf(k), violation: null, stats: {}, steps: 0, scenarioError: e.error };
    }
    const note = strategy.ended?.(r);
    if (note !== undefined) r.strategyNote = note;
    if (r.violation && r.schedule && !strategy.replays) shrinkFinding(def, req, r, poll);
    delete r.schedule; // the choices stay here: a finding carries its token
    if (perExecutionLockdep) r.deps = lockGraph.all();
    if (bound && endsRun(r)) lowerBound(bound, r.seed - c.seed);
    if (estimating && r.violation) r.violation = { ...r.violation, trace: [], details: [] }; // only its kind counts
    send(r);
    if (endsRun(r) && !(estimating && r.violation)) break;
    if (strategy.another && !strategy.another()) {
      exhausted = true; // the strategy's space is exhausted (dfs's bounded search)
      break;
    }
  }
  const summary = strategy.summary?.();
  post({ type: 'done', deps: lockGraph.all(), ...(summary !== undefined ? { summary } : {}), exhausted });
}

/**
 * A finding's schedule, rewritten as a guide and (unless --no-shrink) shrunk: the
 * report then shows the shrunk execution and its replay token. A violation that an
 * earlier execution helped find (a lock-order cycle across executions) is left as found.
 */
function shrinkFinding(def: ScenarioDef<unknown>, req: SimRequest, r: ExecutionResult, poll: () => number): void {
  const v = r.violation;
  if (!v || !r.schedule || v.replayFrom !== undefined || r.schedule.truncated) return;
  // a verdict of the window (starvation, livelock) is left as found: every try would run a whole window
  const c = req.config;
  const window = c.windowSteps ?? DEFAULT_WINDOW_STEPS;
  if ((r.scheduled ?? 0) >= window) return;
  const keep = c.shrink;
  let shrunk: ReturnType<typeof shrinkExecution>;
  try {
    shrunk = shrinkExecution(def, c.params, c.variant, r.seed, new ReplayStrategy(r.schedule), v, {
      lockdep: c.lockdep,
      poll,
      attempts: keep ? SHRINK_ATTEMPTS : 0,
      timeMs: req.untilEpochMs != null ? Math.max(0, (req.untilEpochMs - nowEpoch()) * SHRINK_SHARE) : null,
      windowSteps: window,
      memory: c.memory,
      rare: r.rare ? r.rare.placed : undefined,
    });
  } catch (e) {
    // the finding stands as found; only its shrinking failed
    v.details.push(`(not shrunk: ${(e as Error)?.message ?? e})`);
    return;
  }
  if (!shrunk) return;
  r.shrink = shrunk.shrink;
  if (keep && shrunk.result.violation) r.violation = { ...shrunk.result.violation, seed: r.seed };
}

/**
 * The answer to the rare-event seam for each execution of a run: forced placement over the
 * horizons, a token's placements, or none (the tasks' own coins). The horizons are given,
 * or counted in the run's first seed at the host rates: by the execution of that seed
 * itself when this worker runs it first (an execution like any other, its verdict counted),
 * or else by `trial`, so that every worker places over the same horizons and --jobs does
 * not change an execution.
 */
function rareOf(c: RunConfig, trial: () => Record<string, number>): (seed: number) => ForcedRare | ListedRare | CountedRare | undefined {
  const guide = c.strategy.name === 'guided' ? (c.strategy.guide as Guide) : null;
  if (guide) {
    const listed = guide.rare;
    return listed ? () => new ListedRare(listed) : () => undefined;
  }
  if (c.rare.mode !== 'forced' || entryOf(c.strategy).oneSeed === true) return () => new CountedRare(); // the tasks' own coins, counted
  let horizons = c.rare.horizons;
  let firstSeed: CountedRare | null = null;
  return (seed) => {
    if (horizons === null) {
      if (firstSeed === null && seed === c.seed) {
        firstSeed = new CountedRare();
        return firstSeed;
      }
      horizons = firstSeed ? horizonsOf(firstSeed) : trial();
    }
    if (Object.keys(horizons).length === 0) return new CountedRare(); // no rare event in this scenario at these settings
    return new ForcedRare(seed, horizons, c.rare.placements, c.rare.estimating === true);
  };
}

function horizonsOf(counted: CountedRare): Record<string, number> {
  return Object.fromEntries(Object.entries(counted.horizons()).map(([k, v]) => [k, Math.max(1, v)]));
}

/** Each rare event's opportunities in the run's first seed, run at the host rates under a fresh strategy (a trial: its verdict does not count). */
function trialHorizons(def: ScenarioDef<unknown>, c: RunConfig, limits: { poll: () => number; monitor: Int32Array }): Record<string, number> {
  const taskNames = instancesOf(def, c.params, c.variant).map((i) => i.name);
  const counted = new CountedRare();
  try {
    simExecution(def, c.params, c.variant, c.seed, entryOf(c.strategy).create(c.strategy, { taskNames, memory: c.memory }), {
      lockGraph: newLockGraph(def, c.seed, 'report', c.lockdep, c.variant),
      windowSteps: c.windowSteps ?? undefined,
      memory: c.memory,
      rare: counted,
      ...limits,
    });
  } catch (e) {
    if (!(e instanceof ScenarioThrow)) throw e; // the run's own first execution will say so
  }
  return horizonsOf(counted);
}

/** bound = min(bound, seed), against the other workers' stores. */
function lowerBound(bound: Int32Array, seed: number): void {
  for (;;) {
    const cur = Atomics.load(bound, 0);
    if (seed >= cur || Atomics.compareExchange(bound, 0, cur, seed) === cur) return;
  }
}
