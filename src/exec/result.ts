/** What one execution produced, whichever executor ran it. */
import type { Violation } from '../check/violation.js';
import type { Schedule } from './strategy.js';

export interface ExecutionResult {
  seed: number;
  violation: Violation | null;
  /** Statistics summed over the tasks of each role: stats[role][name]. */
  stats: Record<string, Record<string, number>>;
  /** Ops recorded in the trace (the last step number). */
  steps: number;
  /** sim only: the choices that replay this execution. */
  schedule?: Schedule;
  /** The harness itself failed (a worker crashed, a hang it could not explain). */
  harnessError?: string;
}

export function addStats(into: Record<string, Record<string, number>>, role: string, stats: Record<string, number>): void {
  const r = (into[role] ??= {});
  for (const [k, v] of Object.entries(stats)) {
    if (k.startsWith('max')) r[k] = Math.max(r[k] ?? Number.NEGATIVE_INFINITY, v);
    else r[k] = (r[k] ?? 0) + v;
  }
}
