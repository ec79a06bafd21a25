/**
 * A run: executions with seeds N, N+1, ... under one executor until a violation is
 * found or the budget (executions and/or time) is spent.
 */
import type { Violation } from '../check/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../scenarios.js';
import { type ExecutionResult, mergeStats } from './result.js';
import { SIM_DEFAULTS, type SimOptions, simExecution } from './sim.js';
import { RandomStrategy } from './strategies/random.js';
import type { Strategy } from './strategy.js';
import { THREADS_DEFAULTS, type ThreadsExecutor, type ThreadsOptions } from './threads.js';

export type Mode = 'sim' | 'threads';

export interface RunRequest {
  scenario: LoadedScenario;
  variant: string;
  params: Params;
  mode: Mode;
  seed: number;
  /** Stop after this many executions (null: no limit). */
  executions: number | null;
  /** Stop once this much time has passed (null: no limit). */
  timeMs: number | null;
  /** Required for threads mode; reused across runs. */
  threads?: ThreadsExecutor;
  threadsOptions?: ThreadsOptions;
  simOptions?: SimOptions;
  strategy?: Strategy;
}

export interface RunResult {
  scenario: string;
  variant: string;
  mode: Mode;
  params: Params;
  expect: string;
  /** 'ok', the violation kind found, or 'harness-error'. */
  observed: string;
  asExpected: boolean;
  firstSeed: number;
  executions: number;
  elapsedMs: number;
  /** Time from the start of the run to the end of the execution that found the violation. */
  firstViolationMs: number | null;
  violation: Violation | null;
  harnessError: string | null;
  /** Statistics over all executions, keyed "role.stat". */
  stats: Record<string, number>;
  clockUnit: 'steps' | 'us';
  summary: string[];
}

export async function run(req: RunRequest): Promise<RunResult> {
  const s = req.scenario.def;
  const strategy = req.strategy ?? new RandomStrategy();
  const started = performance.now();
  const stats: Record<string, number> = {};
  let executions = 0;
  let last: ExecutionResult | null = null;
  for (let seed = req.seed; ; seed++) {
    if (req.executions !== null && executions >= req.executions) break;
    if (req.timeMs !== null && executions > 0 && performance.now() - started >= req.timeMs) break;
    if (req.mode === 'sim') {
      last = simExecution(s, req.params, req.variant, seed, strategy, req.simOptions ?? SIM_DEFAULTS);
    } else {
      if (!req.threads) throw new Error('threads mode needs a ThreadsExecutor');
      last = await req.threads.execute(req.scenario, req.params, req.variant, seed, req.threadsOptions ?? THREADS_DEFAULTS);
    }
    executions++;
    for (const [role, r] of Object.entries(last.stats)) mergeStats(stats, r, `${role}.`);
    if (last.violation || last.harnessError) break;
  }
  const elapsedMs = performance.now() - started;
  const violation = last?.violation ?? null;
  const harnessError = last?.harnessError ?? null;
  const expect = s.variants[req.variant].expect;
  const observed = harnessError ? 'harness-error' : (violation?.kind ?? 'ok');
  const clockUnit = req.mode === 'sim' ? 'steps' : 'us';
  return {
    scenario: s.name,
    variant: req.variant,
    mode: req.mode,
    params: req.params,
    expect,
    observed,
    asExpected: observed === expect,
    firstSeed: req.seed,
    executions,
    elapsedMs,
    firstViolationMs: violation ? elapsedMs : null,
    violation,
    harnessError,
    stats,
    clockUnit,
    summary: s.summarize?.(stats, Math.max(executions, 1), clockUnit) ?? [],
  };
}
