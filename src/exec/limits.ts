/** The harness's own limits on an execution, as stop reasons and as outcomes. */
import { STOP_DEADLINE, STOP_EXECUTION_LIMIT, STOP_SIGNAL } from './frame.js';

/**
 * Which limit of the harness (not of the model) ended an execution before it finished:
 * the run's `--time` budget, the per-execution `--execution-limit`, or a signal.
 */
export type StopLimit = 'time' | 'execution-limit' | 'signal';

/** The harness limits of a run, the same in both executors. */
export interface RunLimits {
  /** performance.now() at which the run's time budget ends (null: none). */
  until: number | null;
  /** Aborted on SIGINT / SIGTERM: stop at once. */
  abort?: AbortSignal;
  /** Wall-clock bound of one execution (`--execution-limit`). */
  executionLimitMs: number;
  /**
   * `--watchdog`: how long a task may stay blocked on one lock, or an execution go
   * without a progress mark, before that is a verdict; and how long a role may run
   * without reaching an op boundary before the harness reports it.
   */
  watchdogMs: number;
}

export const LIMIT_DEFAULTS: RunLimits = { until: null, executionLimitMs: 120_000, watchdogMs: 20_000 };

/** After a stop request, how long an execution gets to reach its next op boundary before its worker is terminated. */
export const STOP_GRACE_MS = 1000;

/** Is this CTL_STOP value a harness limit (no verdict) rather than a finding or a failure? */
export function isLimit(stop: number): boolean {
  return stop === STOP_DEADLINE || stop === STOP_EXECUTION_LIMIT || stop === STOP_SIGNAL;
}

export function limitOf(stop: number): StopLimit {
  if (stop === STOP_DEADLINE) return 'time';
  if (stop === STOP_EXECUTION_LIMIT) return 'execution-limit';
  if (stop === STOP_SIGNAL) return 'signal';
  throw new Error(`stop reason ${stop} is not a harness limit`);
}

/** Why a stop was asked, for a report. */
export function stopReason(stop: number): string {
  if (stop === STOP_DEADLINE) return 'the time budget ended';
  if (stop === STOP_EXECUTION_LIMIT) return 'the execution limit was reached';
  if (stop === STOP_SIGNAL) return 'the run was interrupted';
  return 'the execution had to stop';
}

/**
 * A role that reached no op boundary for `forMs`, in both executors: what was seen, then
 * what causes it in a role (a harness error either way, never a verdict about the model).
 */
export function noOpBoundary(who: string, forMs: number): string {
  return `${who} reached no op boundary for ${Math.round(forMs)} ms: a role that loops without an op never does (every step that touches shared state must be an op)`;
}
