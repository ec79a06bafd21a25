/**
 * The violation record: stable kinds (docs/output.md, "Violation kinds"), what a report
 * carries, and the trace op that marks one. oracle.ts raises them in the running task.
 */
import { registerOps, type TraceLine } from './trace.js';

export const VIOLATION_KINDS = [
  'cache-empty-under-lock',
  'sleep-in-atomic',
  'lock-order-cycle',
  'deadlock',
  'lock-not-held',
  'lock-held-at-exit',
  'use-before-publish',
  'object-leak',
  'double-free',
  'zap-order',
  'rmap-inconsistent',
  'invariant',
] as const;

export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  /** One line in kernel terms. */
  message: string;
  /** Further lines: what led to it, in kernel terms. */
  details: string[];
  /** Task that hit it, by name ("vcpu1"), and its role; "main" for end-of-execution checks. */
  task: string;
  role: string;
  /** Global step (trace sequence number) at which it was seen. */
  step: number;
  /** The task's own op count when it hit it (how many ops it had traced): the same op in two runs has the same count. */
  op?: number;
  /** Locks held by the task that hit it, e.g. "mmu_lock (read)". */
  locksHeld: string[];
  /** Filled in by the run: execution seed, the ops that led to it, the replay command. */
  seed?: number;
  /**
   * A lock-order cycle that an earlier execution of the run helped close replays only from
   * the run's first seed: this is that seed (the replay runs from it up to `seed`).
   */
  replayFrom?: number;
  /** The last `tracePerTask` ops of each task up to `step`, in step order. */
  trace?: TraceLine[];
  tracePerTask?: number;
  /** The command that replays it exactly (threads: the sim's replay of its interleaving, when the sim met it). */
  replay?: string;
  /** threads: the command that runs its seed on threads again (the cores choose the interleaving: it need not meet it). */
  rerun?: string;
  /**
   * Where a role raised it, as the worker's stack had it (bundle positions): read once by
   * the parent for the scenario's own line (load/stack.ts, violationSite), then dropped.
   */
  stack?: string;
}

/** Trace op code of a violation: the step that marks it in the trace. */
export const T_VIOLATION = 9;
registerOps({ [T_VIOLATION]: (a) => `!! ${VIOLATION_KINDS[a] ?? 'violation'}` });

/** A violation found by an end-of-execution check, outside any task. */
export function mainViolation(kind: ViolationKind, message: string, details: string[], step: number): Violation {
  return { kind, message, details, task: 'main', role: 'check', step, locksHeld: [] };
}
