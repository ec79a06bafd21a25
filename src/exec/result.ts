/** What one execution produced, whichever executor ran it. */
import type { Violation } from '../check/violation.js';
import type { Schedule } from './strategy.js';
import type { TraceLine } from './trace.js';

export interface ExecutionResult {
  seed: number;
  violation: Violation | null;
  /** Statistics summed over the tasks of each role: stats[role][name]. */
  stats: Record<string, Record<string, number>>;
  /** Ops recorded in the trace (the last step number). */
  steps: number;
  /** sim only: generator resumes the scheduler made (every op boundary, blocked retries included). */
  scheduled?: number;
  /** sim with keepTrace: every op still in the trace rings, in order. */
  trace?: TraceLine[];
  /** sim only: the choices that replay this execution. */
  schedule?: Schedule;
  /** The harness itself failed (a worker crashed, a hang it could not explain). */
  harnessError?: string;
}

/** Add `from` into `into` under `prefix`: counters add up, stats named max* keep the largest. */
export function mergeStats(into: Record<string, number>, from: Record<string, number>, prefix = ''): void {
  for (const [k, v] of Object.entries(from)) {
    const key = prefix + k;
    into[key] = k.startsWith('max') ? Math.max(into[key] ?? Number.NEGATIVE_INFINITY, v) : (into[key] ?? 0) + v;
  }
}

export function addStats(into: Record<string, Record<string, number>>, role: string, stats: Record<string, number>): void {
  into[role] ??= {};
  mergeStats(into[role], stats);
}
