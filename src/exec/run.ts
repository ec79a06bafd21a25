/**
 * A run: executions with seeds N, N+1, ... under one executor until a violation is
 * found or the budget (executions and/or time) is spent. The time budget bounds the
 * whole run: an execution still going when it ends is stopped, without a verdict.
 */
import { type Dep, type LockGraph, newLockGraph } from '../sync/lockdep-graph.js';
import type { Violation } from '../rt/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { LIMIT_DEFAULTS, type RunLimits } from './limits.js';
import { type ExecutionResult, endsRun, type Incomplete, mergeStats, type ShrinkResult } from './result.js';
import type { ScenarioError } from '../rt/errors.js';
import { SimExecutor } from './sim-runner.js';
import { type Reproduction, reproduceInSim, unrecorded } from './reproduce.js';
import { seedsLeft } from './seeds.js';
import type { DfsSummary } from './strategies/dfs.js';
import { entryOf } from './strategies/index.js';
import type { PctBound } from './strategies/pct.js';
import type { RunNotes, StrategySpec } from './strategy.js';
import { THREADS_DEFAULTS, type ThreadsExecutor, type ThreadsOptions } from './threads.js';

export type Mode = 'sim' | 'threads';

export type { PctBound } from './strategies/pct.js';

export { MAX_SEED, seedsLeft } from './seeds.js';

export interface RunRequest {
  scenario: LoadedScenario;
  variant: string;
  params: Params;
  mode: Mode;
  seed: number;
  /** Stop after this many executions (null: no limit). */
  executions: number | null;
  /**
   * The run's time budget (null: no limit). With `executions` too, it is a cap: a run it
   * stops before the count is incomplete, not clean (the count was the budget asked for).
   */
  timeMs: number | null;
  /**
   * threads: start no execution once this many ms of the run have passed, but let the one
   * running finish (up to `timeMs`). A campaign's threads row runs so, so that its first
   * execution always reaches a verdict however loaded the machine is (null: none).
   */
  startBeforeMs?: number | null;
  /** Required for threads mode; reused across runs. */
  threads?: ThreadsExecutor;
  threadsOptions?: ThreadsOptions;
  /** Reused across runs when given; otherwise the run starts and closes its own. */
  sim?: SimExecutor;
  /** sim: the livelock and starvation window in scheduling steps (default: the sim's). */
  windowSteps?: number;
  /** `--execution-limit` (default 2 min). */
  executionLimitMs?: number;
  /** `--watchdog` (default 20 s). */
  watchdogMs?: number;
  /** Aborted on SIGINT / SIGTERM. */
  abort?: AbortSignal;
  /** false (`--lockdep off`): lockdep records dependencies but no lock-order-cycle is a verdict; a deadlock report still names a cycle it saw. */
  lockdep?: boolean;
  /** sim: the scheduling strategy (default random). */
  strategy?: StrategySpec;
  /** threads: false skips replaying a finding in sim (default: replay it). */
  reproduce?: boolean;
  /** sim: false (`--no-shrink`) reports a finding's schedule as found instead of shrinking it. */
  shrink?: boolean;
  /**
   * sim: spread the seeds over this many worker threads (default 1). The result is the one
   * `--jobs 1` gives: executions are judged in seed order, the lowest failing seed wins,
   * and a lock-order cycle that only several executions close together is found by
   * running those seeds again one after another.
   */
  jobs?: number;
  /** Told the number of finished executions after each one (a progress line). */
  onExecution?: (executions: number) => void;
  /** sim: the memory model (default: the variant's, else sc); threads are always sc. */
  memory?: 'sc' | 'weak';
}

export interface RunResult {
  /** The memory model the executions ran under (threads: always sc). */
  memory: 'sc' | 'weak';
  scenario: string;
  variant: string;
  mode: Mode;
  params: Params;
  expect: string;
  /** 'ok', a violation kind, 'harness-error', 'scenario-error' (the scenario's code threw), 'incomplete' (no execution reached a verdict), or 'replay-departed' (a --schedule that does not fit). */
  observed: string;
  asExpected: boolean;
  firstSeed: number;
  /** Executions that finished (an incomplete one is not counted). */
  executions: number;
  /**
   * The evidence of a verdict: scheduling steps (sim: every resume of a task) or op steps
   * (threads: every op boundary recorded) summed over the finished executions.
   */
  steps: number;
  /** What the run was asked for: a count of executions and/or a time (cap), as given. */
  budget: { executions: number | null; timeMs: number | null; startBeforeMs: number | null };
  elapsedMs: number;
  /** Time from the start of the run to the end of the execution that found the violation. */
  firstViolationMs: number | null;
  violation: Violation | null;
  harnessError: string | null;
  /** The scenario's own code threw (a role, setup() or check()), located in its source: no verdict (exit 3), and the scenario's bug, not the harness's. */
  scenarioError: ScenarioError | null;
  /** `--schedule`: where the replay departed from its token (the token does not fit: exit 2). */
  departure: string | null;
  /** The execution a harness limit stopped before it ended, if any: it has no verdict. */
  incomplete: (Incomplete & { seed: number }) | null;
  /** A signal ended the run before it reached its own end (a finding, its count, its budget). */
  interrupted: boolean;
  /** Statistics over the finished executions, keyed "role.stat". */
  stats: Record<string, number>;
  clockUnit: 'steps' | 'us';
  summary: string[];
  /** sim: the strategy the executions ran under (its registry name); its section, if it has one, is the field of that name. */
  strategy?: string;
  /** pct runs: the guarantee bought (the pct strategy's section). */
  pct?: PctBound;
  /** dfs runs: what the bounded search covered, and whether it reached its end (the dfs strategy's section). */
  dfs?: DfsSummary;
  /** threads findings: the same execution replayed in sim from the order its steps began in. */
  reproduced?: Reproduction;
  /** sim findings: the schedule shrunk (or only turned into a token, with --no-shrink), and the token that replays it. */
  shrink?: ShrinkResult;
  /** The lock orders the run took (lockdep's edges, with their first places): a campaign merges them. */
  lockdep: Dep[];
}

export async function run(given: RunRequest): Promise<RunResult> {
  // no seed past MAX_SEED: a run that would reach it ends there, as at its --executions
  // (dfs and a guide run one seed's schedules, so their executions do not count seeds)
  const entry = entryOf(given.strategy);
  const oneSeed = given.mode === 'sim' && entry.oneSeed === true;
  const capped = !oneSeed && (given.executions ?? Number.POSITIVE_INFINITY) > seedsLeft(given.seed);
  const req = capped ? { ...given, executions: seedsLeft(given.seed) } : given;
  const s = req.scenario.def;
  const started = performance.now();
  const limits: RunLimits = {
    until: req.timeMs === null ? null : started + req.timeMs,
    abort: req.abort,
    executionLimitMs: req.executionLimitMs ?? LIMIT_DEFAULTS.executionLimitMs,
    watchdogMs: req.watchdogMs ?? LIMIT_DEFAULTS.watchdogMs,
  };
  const stats: Record<string, number> = {};
  let executions = 0;
  let steps = 0;
  /** dfs: executions stopped early as equivalent to one explored (they count toward --executions). */
  let pruned = 0;
  let violation: Violation | null = null;
  let harnessError: string | null = null;
  let departure: string | null = null;
  let scenarioError: ScenarioError | null = null;
  let incomplete: RunResult['incomplete'] = null;
  let firstViolationMs: number | null = null;
  /** No execution has ended the run yet: no finding, and no reason it has no verdict. */
  const open = () => violation === null && harnessError === null && scenarioError === null && incomplete === null;
  /** The strategy's notes of the executions with a verdict, its summary, and whether its space was exhausted. */
  const notes: RunNotes['notes'] = [];
  let strategySummary: unknown;
  let exhausted = false;
  let shrink: ShrinkResult | undefined;
  let reproduced: Reproduction | undefined;
  const take = (r: ExecutionResult) => {
    if (r.pruned) {
      pruned++; // dfs: equivalent to a schedule already explored (counted in the dfs summary)
      return;
    }
    if (r.departure) departure = r.departure;
    else if (r.scenarioError) scenarioError = r.scenarioError;
    else if (r.harnessError) harnessError = r.harnessError;
    else if (r.incomplete) incomplete = { ...r.incomplete, seed: r.seed };
    else {
      executions++;
      steps += r.scheduled ?? r.steps;
      req.onExecution?.(executions);
      if (r.strategyNote !== undefined) notes.push({ note: r.strategyNote, violation: r.violation !== null });
      for (const [role, st] of Object.entries(r.stats)) mergeStats(stats, st, `${role}.`);
      if (r.violation) {
        violation = r.violation;
        shrink = r.shrink;
        firstViolationMs = performance.now() - started;
      }
    }
  };

  /** The lock orders the run's executions took (lockdep's edges), for a campaign to merge. */
  const lockdep: Dep[] = [];
  let lockGraph: LockGraph | null = null;
  /** threads with startBeforeMs: the row's own time is up (no execution starts after it). */
  let softEnd = () => false;
  const memory = memoryOf(req);
  const jobs = parallelJobs(req);
  if (req.mode === 'sim' && jobs > 1) {
    const par = await runParallel(req, jobs, limits, memory);
    // judged in seed order, as one worker would have met them
    for (const r of par.results) {
      take(r);
      if (endsRun(r)) break;
    }
    lockdep.push(...par.deps);
    if (par.crossAt !== null && open()) {
      // a cycle no single execution closes: the seeds up to where it closes, one after another
      const left = req.timeMs === null ? null : Math.max(1, req.timeMs - (performance.now() - started)); // the budget still holds
      const again = await run({ ...req, jobs: 1, executions: par.crossAt - req.seed + 1, timeMs: left });
      return { ...again, elapsedMs: performance.now() - started, budget: { executions: given.executions, timeMs: req.timeMs, startBeforeMs: null } };
    }
  } else if (req.mode === 'sim') {
    const sim = req.sim ?? new SimExecutor();
    try {
      const err = await sim.run(req.scenario, req.params, req.variant, { firstSeed: req.seed, executions: req.executions, windowSteps: req.windowSteps, lockdep: req.lockdep, onLockdep: (d) => lockdep.push(...d), strategy: req.strategy, shrink: req.shrink, memory, onDone: (d) => {
            strategySummary = d.summary;
            exhausted = d.exhausted;
          } }, limits, take);
      harnessError ??= err;
    } finally {
      if (!req.sim) await sim.close();
    }
  } else {
    if (!req.threads) throw new Error('threads mode needs a ThreadsExecutor');
    lockGraph = newLockGraph(req.scenario.def, req.seed, 'report', req.lockdep !== false, req.variant); // lockdep's graph spans the run's executions
    const startBefore = req.startBeforeMs ?? null;
    softEnd = () => startBefore !== null && executions > 0 && performance.now() - started >= startBefore;
    // every step takes a ticket so that a finding can be replayed in sim, unless it will not be (reproduce: false)
    const base = req.threadsOptions ?? THREADS_DEFAULTS;
    const threadsOptions = { ...base, drive: { ...base.drive, recordSteps: base.drive.recordSteps && req.reproduce !== false } };
    for (let seed = req.seed; open(); seed++) {
      if (req.executions !== null && executions >= req.executions) break;
      if (req.abort?.aborted) break;
      if (limits.until !== null && executions > 0 && performance.now() >= limits.until) break;
      if (softEnd()) break;
      const r = await req.threads.execute(req.scenario, req.params, req.variant, seed, threadsOptions, limits, lockGraph);
      take(r);
      if (r.violation && req.reproduce !== false) {
        reproduced = r.order ? await reproduceInSim(req.scenario, req.params, req.variant, { ...r, order: r.order }, { ...limits, until: null }, req.lockdep !== false) : unrecorded();
      }
    }
  }

  if (lockGraph) lockdep.push(...(lockGraph as LockGraph).all());
  const pastBudget = limits.until !== null && performance.now() >= limits.until;
  if (executions === 0 && incomplete === null && harnessError === null && scenarioError === null && departure === null && (req.abort?.aborted || pastBudget)) {
    // Stopped before the first execution began (a budget shorter than the start-up, or an
    // early signal): still an incomplete run that says which limit to raise.
    incomplete = { seed: req.seed, limit: req.abort?.aborted ? 'signal' : 'time', note: 'the run was stopped before this execution could start' };
  }
  const elapsedMs = performance.now() - started;
  const expect = s.variants[req.variant].expect;
  const v = violation as Violation | null;
  const cut = incomplete as RunResult['incomplete'];
  // Interrupted: the signal ended the run before it reached its own end (a finding, the count, the budget).
  const countReached = req.executions !== null && executions + pruned >= req.executions;
  const ownEnd =
    v !== null ||
    harnessError !== null ||
    scenarioError !== null ||
    departure !== null ||
    countReached ||
    cut?.limit === 'time' ||
    cut?.limit === 'execution-limit' ||
    pastBudget ||
    softEnd();
  const interrupted = (req.abort?.aborted ?? false) && !ownEnd;
  // Asked for N executions, the time cap ended the run before the N-th (and nothing was found):
  // the count was the budget, so this is no clean verdict, whatever the machine's speed.
  // (the count the caller asked for: a run bounded only by time that reaches the last seed is not short of one)
  const shortOfCount =
    given.executions !== null &&
    !countReached &&
    v === null &&
    harnessError === null &&
    scenarioError === null &&
    departure === null &&
    !interrupted &&
    !exhausted &&
    (cut?.limit === 'time' || pastBudget);
  let cutShort = cut;
  if (shortOfCount && cutShort === null) {
    cutShort = { seed: req.seed + executions + pruned, limit: 'time', note: `the time budget ended between executions, after ${executions} of the ${given.executions} asked for` };
  }
  // An execution stopped by the execution limit, a run that finished none, or one the time cap
  // stopped short of its count, reached no verdict.
  const noVerdict = executions === 0 || cut?.limit === 'execution-limit' || shortOfCount;
  const observed = departure ? 'replay-departed' : scenarioError ? 'scenario-error' : harnessError ? 'harness-error' : v ? v.kind : noVerdict ? 'incomplete' : 'ok';
  const clockUnit = req.mode === 'sim' ? 'steps' : 'us';
  // the strategy's section of the result, under its name (pct: the bound bought; dfs: the search's coverage)
  const section = req.mode === 'sim' ? entry.section?.(req.strategy ?? { name: 'random' }, { notes, summary: strategySummary, executions, violation: v !== null }) : undefined;
  return {
    scenario: s.name,
    variant: req.variant,
    mode: req.mode,
    memory,
    params: req.params,
    expect,
    observed,
    asExpected: observed === expect,
    firstSeed: req.seed,
    executions,
    steps,
    budget: { executions: given.executions, timeMs: req.timeMs, startBeforeMs: req.mode === 'threads' ? (req.startBeforeMs ?? null) : null },
    elapsedMs,
    firstViolationMs,
    violation: v,
    harnessError,
    scenarioError,
    departure,
    incomplete: cutShort,
    interrupted,
    stats,
    clockUnit,
    summary: s.summarize?.(stats, Math.max(executions, 1), clockUnit) ?? [],
    lockdep,
    ...(req.mode === 'sim' ? { strategy: entry.name } : {}),
    ...(section !== undefined ? { [entry.name]: section } : {}),
    ...(shrink ? { shrink } : {}),
    ...(reproduced ? { reproduced } : {}),
  };
}

/** The run's strategy's section (the field under its name), if it has one. */
export function strategySection(r: RunResult): unknown {
  return r.strategy === undefined ? undefined : (r as unknown as Record<string, unknown>)[r.strategy];
}

/** The exit code of a run: 0 clean, 1 violation, 2 a schedule token that does not fit, 3 no verdict: the harness failed, the scenario's code threw, or a limit stopped it (signals are the CLI's). */
export function exitCodeOf(r: RunResult): number {
  if (r.departure) return 2;
  if (r.observed === 'harness-error' || r.observed === 'scenario-error' || r.observed === 'incomplete') return 3;
  return r.violation ? 1 : 0;
}

/** The memory model a run uses: as asked, else the variant's in sim; threads are always sequentially consistent. */
export function memoryOf(req: Pick<RunRequest, 'memory' | 'mode' | 'scenario' | 'variant'>): 'sc' | 'weak' {
  if (req.mode !== 'sim') return 'sc';
  return req.memory ?? req.scenario.def.variants[req.variant].memory ?? 'sc';
}

/**
 * How many workers a run spreads its seeds over: only where that gives `--jobs 1`'s
 * result. dfs searches one seed, a guide replays one, and pct learns k from the
 * executions before (unless --pct-steps fixes it), so those run on one.
 */
export function parallelJobs(req: Pick<RunRequest, 'jobs' | 'mode' | 'strategy' | 'executions'>): number {
  const jobs = req.jobs ?? 1;
  if (jobs <= 1 || req.mode !== 'sim') return 1;
  const st = req.strategy ?? { name: 'random' };
  if (!entryOf(st).parallel(st)) return 1;
  return req.executions === null ? jobs : Math.max(1, Math.min(jobs, req.executions));
}

/**
 * Seeds first + j, first + j + jobs, ... on worker j. A worker starts no seed above the
 * lowest one any worker found failing (a shared bound), so every seed below the answer
 * runs. Each execution brings back its own lock orders; merged in seed order, they show
 * where a cycle that no execution closes alone would have closed (`crossAt`).
 */
async function runParallel(
  req: RunRequest,
  jobs: number,
  limits: RunLimits,
  memory: 'sc' | 'weak',
): Promise<{ results: ExecutionResult[]; deps: Dep[]; crossAt: number | null }> {
  // the lowest failing seed, as its distance from the first (seeds go up to 2^31 - 1 and past)
  const bound = new SharedArrayBuffer(4);
  new Int32Array(bound)[0] = 2 ** 31 - 1;
  const sims = Array.from({ length: jobs }, (_, j) => (j === 0 && req.sim ? req.sim : new SimExecutor()));
  const collected: ExecutionResult[] = [];
  /** The last seed each worker posted (a worker that fails as a whole failed at its next one). */
  const lastSeed: (number | null)[] = sims.map(() => null);
  let errors: (string | null)[];
  try {
    errors = await Promise.all(
      sims.map((sim, j) =>
        sim.run(
          req.scenario,
          req.params,
          req.variant,
          {
            firstSeed: req.seed + j,
            executions: req.executions === null ? null : Math.ceil((req.executions - j) / jobs),
            stride: jobs,
            bound,
            runFirstSeed: req.seed,
            perExecutionLockdep: true,
            windowSteps: req.windowSteps,
            lockdep: req.lockdep,
            strategy: req.strategy,
            shrink: req.shrink,
            memory,
          },
          limits,
          (r) => {
            collected.push(r);
            lastSeed[j] = r.seed;
            req.onExecution?.(collected.length);
          },
        ),
      ),
    );
  } finally {
    await Promise.all(sims.map((sim, j) => (j === 0 && req.sim ? undefined : sim.close())));
  }
  // a worker that failed as a whole (crashed, stuck, killed) did so at the seed after its last:
  // that is a harness error there, judged in seed order like any other result
  errors.forEach((e, j) => {
    if (e !== null) collected.push({ seed: lastSeed[j] === null ? req.seed + j : (lastSeed[j] as number) + jobs, violation: null, stats: {}, steps: 0, harnessError: e });
  });
  collected.sort((a, b) => a.seed - b.seed);
  // what one worker would have met: seeds in order from the first, up to the first failure or
  // the first seed no worker ran (one stopped by a limit or a signal: nothing above it counts)
  const results: ExecutionResult[] = [];
  for (const r of collected) {
    if (r.seed !== req.seed + results.length) break;
    results.push(r);
    if (endsRun(r)) break;
  }
  // the lock orders in seed order, as one worker's graph would have met them
  const graph = newLockGraph(req.scenario.def, req.seed, 'report', req.lockdep !== false, req.variant);
  let crossAt: number | null = null;
  for (const r of results) {
    let closes = false;
    for (const d of r.deps ?? []) if (!graph.knows(d.from, d.to, d.held, d.acq) && graph.add(d)) closes = true;
    const alone = r.violation?.kind === 'lock-order-cycle' && r.violation.replayFrom === undefined;
    if (closes && !alone && req.lockdep !== false) {
      crossAt = r.seed;
      break;
    }
  }
  return { results, deps: graph.all(), crossAt };
}
