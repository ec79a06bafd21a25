/**
 * What a row (or a run) of the harness concludes, and what exit code that gives, in one
 * place: the campaign's table and JSON, its results lines, JUnit, the HTML report and
 * `merge` all read a row's status from here (docs/verdicts.md says why each is what it is).
 */
import type { PctBound, RunResult } from '../exec/run.js';
import { grouped } from './numbers.js';

/**
 * - as-expected: the row produced what its variant expects.
 * - mismatch: a violation a clean variant must not have, another kind than expected, or
 *   (sim) a bug its deterministic budget must find that it did not: a real finding or a
 *   real regression.
 * - not-reproduced: a threads row of a bug variant that found nothing within its time:
 *   real cores gave no evidence either way (sim is where a bug is found for sure).
 * - incomplete: no verdict: a harness limit stopped the row (sim: the time cap before its
 *   executions were done; an execution past --execution-limit; none finished).
 * - scenario-error: the scenario's own code threw (a role, setup() or check()): no verdict,
 *   and the scenario's fault, not the harness's.
 * - harness-error: the harness failed, not the model.
 */
export type RowStatus = 'as-expected' | 'mismatch' | 'not-reproduced' | 'incomplete' | 'scenario-error' | 'harness-error';

export const ROW_STATUSES: readonly RowStatus[] = ['as-expected', 'mismatch', 'not-reproduced', 'incomplete', 'scenario-error', 'harness-error'];

/** The exit code each status asks for on its own; a campaign exits with the most serious (statusExit). */
export const STATUS_EXIT: Record<RowStatus, number> = { 'as-expected': 0, 'not-reproduced': 0, mismatch: 1, incomplete: 3, 'scenario-error': 3, 'harness-error': 3 };

/**
 * Whether `--resume` runs a row of this status again rather than keep it: every row
 * without a verdict. A harness limit or failure (incomplete, harness-error) may give one
 * on a retry, and a scenario's error may have been fixed since (a user resumes after
 * mending the variant that threw).
 */
export function resumeRunsAgain(s: RowStatus): boolean {
  return STATUS_EXIT[s] === 3;
}

/** The status of a row from what it expected and what it observed. */
export function rowStatus(r: { mode: string; expect: string; observed: string }): RowStatus {
  if (r.observed === 'harness-error') return 'harness-error';
  if (r.observed === 'scenario-error') return 'scenario-error';
  if (r.observed === 'incomplete') return 'incomplete';
  if (r.observed === r.expect) return 'as-expected';
  if (r.mode === 'threads' && r.expect !== 'ok' && r.observed === 'ok') return 'not-reproduced';
  return 'mismatch';
}

/**
 * A campaign's exit code: 1 for a real finding or regression (a mismatch, a lock-order
 * cycle across the clean rows, a planned row with no result), else 3 when a row has no
 * verdict (incomplete, a scenario's or the harness's error), else 0. not-reproduced rows are counted, not failed.
 */
export function campaignExit(statuses: RowStatus[], o: { missing: number; lockdepCycle: boolean }): number {
  if (statuses.includes('mismatch') || o.lockdepCycle || o.missing > 0) return 1;
  return Math.max(0, ...statuses.map((s) => STATUS_EXIT[s]));
}

/** The words a table, a progress line and a JUnit message use for a status. */
export function statusWords(s: RowStatus, threadsMs: number | null): string {
  switch (s) {
    case 'as-expected':
      return 'as expected';
    case 'mismatch':
      return 'MISMATCH';
    case 'not-reproduced':
      return threadsMs === null ? 'not reproduced' : `not reproduced within ${secsShort(threadsMs)}`;
    case 'incomplete':
      return 'INCOMPLETE';
    case 'scenario-error':
      return 'SCENARIO ERROR';
    case 'harness-error':
      return 'HARNESS ERROR';
  }
}

/** What a clean verdict rests on: the executions and steps run, and with pct the bound they bought. */
export interface Evidence {
  executions: number;
  steps: number;
  /** sim counts every resume of a task (scheduling steps); threads every op boundary recorded (op steps). */
  stepUnit: 'scheduling steps' | 'op steps';
  pct?: Pick<PctBound, 'depth' | 'k' | 'tasks' | 'perExecution' | 'missedAfter'>;
}

/** The evidence of a run whose verdict is clean (observed ok), else null. */
export function evidenceOf(r: Pick<RunResult, 'observed' | 'executions' | 'steps' | 'mode' | 'pct'>): Evidence | null {
  if (r.observed !== 'ok') return null;
  const e: Evidence = { executions: r.executions, steps: r.steps, stepUnit: r.mode === 'sim' ? 'scheduling steps' : 'op steps' };
  if (r.pct) {
    const { depth, k, tasks, perExecution, missedAfter } = r.pct;
    e.pct = { depth, k, tasks, perExecution, missedAfter };
  }
  return e;
}

/** "clean after 100 executions, 1,234,567 scheduling steps; pct depth 3: a missed bug of depth <= 3 has probability <= 0.0123". */
export function evidenceText(e: Evidence): string {
  const n = (x: number) => grouped(x);
  const base = `clean after ${n(e.executions)} execution${e.executions === 1 ? '' : 's'}, ${n(e.steps)} ${e.stepUnit}`;
  if (!e.pct) return base;
  const p = (x: number) => (x >= 0.001 ? x.toPrecision(3) : x.toExponential(2));
  return `${base}; pct depth ${e.pct.depth} bought: a bug of depth <= ${e.pct.depth} was missed with probability <= ${p(e.pct.missedAfter)}`;
}

/** 2 s, 500 ms. */
export function secsShort(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(2))} s`;
}
