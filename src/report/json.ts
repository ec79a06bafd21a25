/** The JSON shape of `run --json`: one object, stable field names. */
import { type RunResult, strategySection } from '../exec/run.js';
import { type LimitFlags, raiseFlag } from './text.js';
import { evidenceOf } from './verdict.js';
import { BadInput, HarnessFailure, ScenarioFailure } from '../rt/errors.js';

/** `notes`: what the command tells before the run (on stderr), kept in the document too. */
export function runJson(r: RunResult, replay: string | null, exitCode: number, signal: string | null, flags: LimitFlags, notes: string[] = []): Record<string, unknown> {
  const section = strategySection(r);
  return {
    exitCode,
    scenario: r.scenario,
    variant: r.variant,
    mode: r.mode,
    memory: r.memory,
    params: r.params,
    expect: r.expect,
    observed: r.observed,
    asExpected: r.asExpected,
    interrupted: signal,
    firstSeed: r.firstSeed,
    executions: r.executions,
    ...(r.unfair ? { unfair: r.unfair } : {}),
    // the evidence of a clean verdict: executions, steps and (pct) the bound they bought; null otherwise
    steps: r.steps,
    evidence: evidenceOf(r),
    budget: { executions: r.budget.executions, timeMs: r.budget.timeMs },
    elapsedMs: Math.round(r.elapsedMs),
    firstViolationMs: r.firstViolationMs === null ? null : Math.round(r.firstViolationMs),
    violations: r.violation ? [{ ...r.violation, replay }] : [],
    incomplete: r.incomplete ? { ...r.incomplete, raise: raiseFlag(r.incomplete, flags) } : null,
    harnessError: r.harnessError,
    scenarioError: r.scenarioError,
    stats: r.stats,
    statsClock: r.clockUnit,
    summary: r.summary,
    // the strategy's section under its name (pct: the bound bought; dfs: what the search covered)
    ...(section !== undefined && r.strategy !== undefined ? { [r.strategy]: section } : {}),
    ...(r.shrink ? { shrink: r.shrink } : {}),
    ...(r.reproduced ? { reproduced: r.reproduced } : {}),
    // sim with rare events: how they happened (forced placement or the host-rate coins) and, after a finding, its host rate
    ...(r.rare ? { rare: r.rare } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** What ended a command without a result: the input (exit 2), the scenario's own code (exit 3), the harness (exit 3). */
export type ErrorKind = 'bad-input' | 'scenario' | 'harness';

/** With --json, stdout carries one document whatever happens: an error is one too. */
export function errorJson(exitCode: number, kind: ErrorKind, message: string): Record<string, unknown> {
  return { exitCode, error: { kind, message } };
}

/** Exit code, kind and one line for an error that ended a command or a library call without a result. */
export function classifyError(e: unknown): { code: number; kind: ErrorKind; message: string } {
  if (e instanceof BadInput) return { code: 2, kind: 'bad-input', message: e.message };
  if (e instanceof ScenarioFailure) return { code: 3, kind: 'scenario', message: e.message };
  if (e instanceof HarnessFailure) return { code: 3, kind: 'harness', message: e.message };
  return { code: 3, kind: 'harness', message: `internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
}
