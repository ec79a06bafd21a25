/** The harness's own limits on an execution, as stop reasons and as outcomes. */
import type { ScenarioError } from '../rt/errors.js';
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

/** What a role that loops without an op does, and why that is the role's bug. */
const LOOPS = 'its code loops without an op (every step that touches shared state must be an op)';

/**
 * A role instance that reached no op boundary for `forMs`, in either executor: the
 * scenario's error (its role's code loops where no scheduler can preempt it, only the
 * watchdog or a limit stops it), never the harness's and never a verdict about the model.
 * Nothing threw, so it has no stack and no line; `after` says what stopped it when that was
 * a limit the role then ignored.
 */
export function noOpBoundaryError(task: { role: string; name: string }, forMs: number, after?: string): ScenarioError {
  const thrown = `reached no op boundary for ${Math.round(forMs)} ms${after ? ` (${after})` : ''}: ${LOOPS}`;
  return { where: 'role', how: 'no-op-boundary', role: task.role, task: task.name, thrown, stack: '' };
}

/**
 * A role instance that ended having made lock, unlock or READ_ONCE/WRITE_ONCE ops it did
 * not run, or having run one twice: an op does its work only under its own `yield*`
 * (`yield* mutexLock(m)`), and a call without it does nothing, silently, which would leave
 * the execution checking another program than the one written. The scenario's error. (An
 * op made elsewhere, in setup() say, and run here is fine: its work is done by whoever runs it.)
 * Null for a role that ran every op it made, once.
 */
export function unrunOpsError(task: { role: string; name: string; opsMade: number; opsRun: number; opsRerun: number }): ScenarioError | null {
  const unrun = task.opsMade - task.opsRun;
  if (unrun <= 0 && task.opsRerun === 0) return null;
  const what =
    task.opsRerun > 0
      ? `ran ${task.opsRerun} op${task.opsRerun === 1 ? '' : 's'} a second time (an op runs once, under its own yield*; the second yield* of the same op does nothing: call the op function again)`
      : `ended having made ${unrun} op${unrun === 1 ? '' : 's'} it never ran (a lock, unlock or READ_ONCE/WRITE_ONCE op called without yield* does nothing: write yield* mutexLock(m), yield* readOnce(a, i))`;
  return { where: 'role', how: 'op-not-run', role: task.role, task: task.name, thrown: what, stack: '' };
}

/** The same, as one line of a harness error that has another cause first (a worker that failed). */
export function noOpBoundary(who: string, forMs: number): string {
  return `${who} reached no op boundary for ${Math.round(forMs)} ms: ${LOOPS}`;
}
