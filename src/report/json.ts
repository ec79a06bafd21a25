/** The JSON shape of `run --json`: one object, stable field names. */
import type { RunResult } from '../exec/run.js';

export function runJson(r: RunResult, replay: string | null): Record<string, unknown> {
  return {
    scenario: r.scenario,
    variant: r.variant,
    mode: r.mode,
    params: r.params,
    expect: r.expect,
    observed: r.observed,
    asExpected: r.asExpected,
    firstSeed: r.firstSeed,
    executions: r.executions,
    elapsedMs: Math.round(r.elapsedMs),
    firstViolationMs: r.firstViolationMs === null ? null : Math.round(r.firstViolationMs),
    violations: r.violation ? [{ ...r.violation, replay }] : [],
    harnessError: r.harnessError,
    stats: r.stats,
    statsClock: r.clockUnit,
    summary: r.summary,
  };
}
