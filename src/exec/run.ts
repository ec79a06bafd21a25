/**
 * A run: executions with seeds N, N+1, ... under one executor until a violation is
 * found or the budget (executions and/or time) is spent. The time budget bounds the
 * whole run: an execution still going when it ends is stopped, without a verdict.
 */
import type { Dep } from '../sync/lockdep-graph.js';
import type { Violation } from '../rt/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../load/scenarios.js';
import type { RunLimits } from './limits.js';
import { type ExecutionResult, type Incomplete, mergeStats, type ShrinkResult } from './result.js';
import type { ScenarioError } from '../rt/errors.js';
import { baseConfig, type Mode, type RunConfig } from './config.js';
import type { Executor, ExecutorEnd, ExecutorHooks } from './executor.js';
import { SimExecutor } from './sim-runner.js';
import type { Reproduction } from './reproduce.js';
import { seedsLeft } from './seeds.js';
import type { DfsSummary } from './strategies/dfs.js';
import { entryOf } from './strategies/index.js';
import type { PctBound } from './strategies/pct.js';
import type { RunNotes } from './strategy.js';
import { ThreadsExecutor, type ThreadsOptions } from './threads.js';
import { estimateHostRate, type HostRate, type RareSummary } from './host-rate.js';
import type { RareEventSeen, RareNote } from './rare.js';

export type { Mode } from './config.js';

export type { PctBound } from './strategies/pct.js';

export { MAX_SEED, seedsLeft } from './seeds.js';

/** What a run is given besides its configuration: an executor to reuse, the abort signal, a progress callback. */
export interface RunContext {
  /** Reused across runs (a campaign's); without one, the run starts its mode's executor and closes it after. */
  executor?: Executor;
  /** Aborted on SIGINT / SIGTERM (or by a library caller): the run stops, and says what finished. */
  abort?: AbortSignal;
  /** Told the number of finished executions after each one (a progress line). */
  onExecution?: (executions: number) => void;
  /** threads: the driver's own settings beyond the configuration's jitter (tests tune the lock waits). */
  threadsOptions?: ThreadsOptions;
  /** A campaign's threads row: told when its own clock starts, after the warm-up (its time in ms). */
  onClockStart?: (warmupMs: number) => void;
}

/**
 * A run given the way tests and benches write one: the scenario, the settings that matter
 * to it, and the rest at the defaults of baseConfig() (config.ts); `sim` or `threads`, an
 * executor to reuse. The command line and the library resolve a whole RunConfig instead.
 */
export type RunRequest = Pick<RunConfig, 'variant' | 'params' | 'mode' | 'seed' | 'executions' | 'timeMs'> &
  Partial<Omit<RunConfig, 'scenario' | 'given' | 'windowSteps' | 'startBeforeMs'>> &
  Omit<RunContext, 'executor'> & {
    scenario: LoadedScenario;
    sim?: SimExecutor;
    threads?: ThreadsExecutor;
    windowSteps?: number | null;
    startBeforeMs?: number | null;
  };

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
  /** sim, --memory weak: executions ended as unfair (a spinner the weak model kept on a store older than its word's newest), with no verdict and not counted in `executions`. */
  unfair?: number;
  /**
   * The evidence of a verdict: scheduling steps (sim: every resume of a task) or op steps
   * (threads: every op boundary recorded) summed over the finished executions.
   */
  steps: number;
  /** What the run was asked for: a count of executions and/or a time (cap), as given. */
  budget: { executions: number | null; timeMs: number | null; startBeforeMs: number | null };
  elapsedMs: number;
  /** Time from the start of the run (after the warm-up, if any) to the end of the execution that found the violation. */
  firstViolationMs: number | null;
  /**
   * A campaign's threads row: the time its warm-up took (the pool started, every worker
   * holding the scenario's bundle) before its own clock (`startBeforeMs`) started; part of
   * `elapsedMs`. Absent where there is none (sim, `run`).
   */
  warmupMs?: number;
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
  /** sim, a scenario with rare events at these settings: how they happened, and what a finding means at the host rates. */
  rare?: RareSummary;
}

/** The configuration of a RunRequest: its settings over the defaults (threads always run under sc memory). */
export function configOf(req: RunRequest): RunConfig {
  const { scenario, sim: _sim, threads: _threads, threadsOptions, abort: _abort, onExecution: _on, ...settings } = req;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const c: RunConfig = { ...baseConfig(scenario, req.variant, req.mode), ...defined };
  if (c.mode !== 'sim') c.memory = 'sc';
  if (threadsOptions) c.jitter = threadsOptions.drive.jitter.prob;
  return c;
}

/** A run as tests and benches write one (RunRequest). */
export async function run(req: RunRequest): Promise<RunResult> {
  return await runConfigured(configOf(req), req.scenario, { executor: req.mode === 'sim' ? req.sim : req.threads, abort: req.abort, onExecution: req.onExecution, threadsOptions: req.threadsOptions });
}

/** The executor of a mode: the one place that picks it. */
export function executorFor(mode: Mode): Executor {
  return mode === 'sim' ? new SimExecutor() : new ThreadsExecutor();
}

/** The run of a resolved configuration: its executions under the mode's executor, judged into a result. */
export async function runConfigured(given: RunConfig, sc: LoadedScenario, ctx: RunContext = {}): Promise<RunResult> {
  // no seed past MAX_SEED: a run that would reach it ends there, as at its --executions
  // (dfs and a guide run one seed's schedules, so their executions do not count seeds)
  const entry = entryOf(given.strategy);
  const oneSeed = given.mode === 'sim' && entry.oneSeed === true;
  const capped = !oneSeed && (given.executions ?? Number.POSITIVE_INFINITY) > seedsLeft(given.seed);
  const req = capped ? { ...given, executions: seedsLeft(given.seed) } : given;
  const s = sc.def;
  // the run's start: its time budget (a campaign row's cap) counts from here, the warm-up included
  const started = performance.now();
  /** Where the run's own time starts: after the warm-up, if it has one. */
  let clockStart = started;
  let warmupMs: number | undefined;
  const limits: RunLimits = {
    until: req.timeMs === null ? null : started + req.timeMs,
    abort: ctx.abort,
    executionLimitMs: req.executionLimitMs,
    watchdogMs: req.watchdogMs,
  };
  const stats: Record<string, number> = {};
  let executions = 0;
  let steps = 0;
  /** dfs: executions stopped early as equivalent to one explored (they count toward --executions). */
  let pruned = 0;
  let unfair = 0;
  let violation: Violation | null = null;
  let harnessError: string | null = null;
  let departure: string | null = null;
  let scenarioError: ScenarioError | null = null;
  let incomplete: RunResult['incomplete'] = null;
  let firstViolationMs: number | null = null;
  /** No execution has ended the run yet: no finding, and no reason it has no verdict. */
  const open = () => violation === null && harnessError === null && scenarioError === null && incomplete === null;
  /** The strategy's notes of the executions with a verdict (its summary, and whether its space was exhausted, come with the executor's end). */
  const notes: RunNotes['notes'] = [];
  let shrink: ShrinkResult | undefined;
  /** The rare events the executions met (sim), and the ones that happened in the finding's. */
  const rareNotes: { how?: RareNote['how']; horizons?: Record<string, number>; events: Map<string, RareEventSeen> } = { events: new Map() };
  let findingPlaced: [string, number][] | undefined;
  let hostRateFound: HostRate | undefined;
  /** Progress only goes up: a --jobs run reports executions as its workers finish them, then takes them in seed order. */
  let reported = 0;
  const progress = (n: number) => {
    if (n <= reported) return;
    reported = n;
    ctx.onExecution?.(n);
  };
  const take = (r: ExecutionResult) => {
    if (r.pruned) {
      pruned++; // dfs: equivalent to a schedule already explored (counted in the dfs summary)
      if (r.unfair) unfair++; // weak memory: a spinner kept on an old store, no verdict
      return;
    }
    if (r.departure) departure = r.departure;
    else if (r.scenarioError) scenarioError = r.scenarioError;
    else if (r.harnessError) harnessError = r.harnessError;
    else if (r.incomplete) incomplete = { ...r.incomplete, seed: r.seed };
    else {
      executions++;
      steps += r.scheduled ?? r.steps;
      progress(executions);
      if (r.strategyNote !== undefined) notes.push({ note: r.strategyNote, violation: r.violation !== null });
      for (const [role, st] of Object.entries(r.stats)) mergeStats(stats, st, `${role}.`);
      if (r.rare) {
        // the run's first execution may count the horizons at the host rates: the others say how the run placed them
        if (rareNotes.how === undefined || (r.rare.how === 'forced' && rareNotes.how !== 'forced')) rareNotes.how = r.rare.how;
        rareNotes.horizons ??= r.rare.horizons;
        for (const [k, e] of Object.entries(r.rare.events)) if (!rareNotes.events.has(k)) rareNotes.events.set(k, e);
      }
      if (r.violation) {
        violation = r.violation;
        shrink = r.shrink;
        findingPlaced = r.rare?.placed;
        firstViolationMs = performance.now() - clockStart;
      }
    }
  };

  /** The lock orders the run's executions took (lockdep's edges), for a campaign to merge. */
  const lockdep: Dep[] = [];
  /** threads with startBeforeMs: the row's own time is up (no execution starts after it); it counts from the end of the warm-up. */
  const startBefore = req.mode === 'threads' ? req.startBeforeMs : null;
  const softEnd = () => startBefore !== null && executions > 0 && performance.now() - clockStart >= startBefore;
  const hooks: ExecutorHooks = {
    limits,
    take,
    another: () =>
      open() &&
      !(req.executions !== null && executions >= req.executions) &&
      !ctx.abort?.aborted &&
      !(limits.until !== null && executions > 0 && performance.now() >= limits.until) &&
      !softEnd(),
    progress,
    threadsOptions: ctx.threadsOptions,
  };
  const executor = ctx.executor ?? executorFor(req.mode);
  if (executor.mode !== req.mode) throw new Error(`a ${req.mode} run was given the ${executor.mode} executor`);
  let end: ExecutorEnd;
  try {
    // A campaign's threads row starts its own time once the pool is up and every worker holds
    // the scenario: the start-up is not spent from it, so its evidence does not shrink with a
    // slow machine. (`run --time` bounds the whole command, as documented: no warm-up there.)
    if (startBefore !== null && executor.warm) {
      const failed = await executor.warm(req, sc, limits);
      if (failed) take(failed);
      clockStart = performance.now();
      warmupMs = clockStart - started;
      ctx.onClockStart?.(warmupMs);
    }
    end = await executor.run(req, sc, hooks);
    // a finding among executions with rare events: how often it comes at the host rates
    const found = violation as Violation | null;
    if (found && req.mode === 'sim' && req.rare.hostRate > 0 && !req.rare.estimating && rareNotes.events.size > 0 && rareNotes.how !== 'listed' && !ctx.abort?.aborted && end.crossAt == null) {
      hostRateFound = await estimateHostRate(executor, req, sc, found.kind, limits);
    }
  } finally {
    if (!ctx.executor) await executor.close();
  }
  // a timer of the scenario's that threw as the run's workers left, after its executions: the
  // run's scenario error too, where the run owns its executor (a campaign's rows share theirs)
  if (!ctx.executor && scenarioError === null && executor.lateErrors?.length) scenarioError = executor.lateErrors[0];
  harnessError ??= end.harnessError;
  lockdep.push(...end.lockdep);
  const { summary: strategySummary, exhausted, reproduced } = end;
  if (end.crossAt != null && open()) {
    // a cycle no single execution closes: the seeds up to where it closes, one after another
    const left = req.timeMs === null ? null : Math.max(1, req.timeMs - (performance.now() - started)); // the budget still holds
    const again = await runConfigured({ ...req, jobs: 1, executions: end.crossAt - req.seed + 1, timeMs: left }, sc, ctx);
    return { ...again, elapsedMs: performance.now() - started, budget: { executions: given.executions, timeMs: req.timeMs, startBeforeMs: null } };
  }

  const pastBudget = limits.until !== null && performance.now() >= limits.until;
  if (executions === 0 && incomplete === null && harnessError === null && scenarioError === null && departure === null && (ctx.abort?.aborted || pastBudget)) {
    // Stopped before the first execution began (a budget shorter than the start-up, or an
    // early signal): still an incomplete run that says which limit to raise.
    incomplete = { seed: req.seed, limit: ctx.abort?.aborted ? 'signal' : 'time', note: 'the run was stopped before this execution could start' };
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
  const interrupted = (ctx.abort?.aborted ?? false) && !ownEnd;
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
  const section = req.mode === 'sim' ? entry.section?.(req.strategy, { notes, summary: strategySummary, executions, violation: v !== null }) : undefined;
  return {
    scenario: s.name,
    variant: req.variant,
    mode: req.mode,
    memory: req.memory,
    params: req.params,
    expect,
    observed,
    asExpected: observed === expect,
    firstSeed: req.seed,
    executions,
    ...(unfair > 0 ? { unfair } : {}),
    steps,
    budget: { executions: given.executions, timeMs: req.timeMs, startBeforeMs: req.mode === 'threads' ? req.startBeforeMs : null },
    elapsedMs,
    firstViolationMs,
    ...(warmupMs !== undefined ? { warmupMs } : {}),
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
    ...(rareNotes.events.size > 0 ? { rare: rareSummary(req, rareNotes, findingPlaced, hostRateFound) } : {}),
  };
}

/** The run's rare events, for its report (RunResult.rare). */
function rareSummary(
  req: RunConfig,
  notes: { how?: RareNote['how']; horizons?: Record<string, number>; events: Map<string, RareEventSeen> },
  findingPlaced: [string, number][] | undefined,
  hostRate: HostRate | undefined,
): RareSummary {
  const forced = notes.how === 'forced';
  return {
    mode: forced ? 'forced' : 'sampled',
    ...(forced ? { placements: req.rare.placements, horizons: notes.horizons } : {}),
    events: [...notes.events.values()].map((e) => ({ name: e.event.name, what: e.event.what, per: e.event.per, param: e.event.param, every: e.every })),
    ...(findingPlaced ? { findingPlaced } : {}),
    ...(hostRate ? { hostRate } : {}),
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
