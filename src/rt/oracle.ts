/**
 * How oracles raise a violation. An oracle calls `reportViolation` from inside the running
 * op; the executor stops the execution at the next op boundary, so the model itself keeps
 * going as the kernel would.
 */
import { heldLocks } from './names.js';
import { current } from './task.js';
import { T_VIOLATION, VIOLATION_KINDS, type Violation, type ViolationKind } from './violation.js';

let keepStacks = false;

/** A sim worker running a user's scenario file keeps each violation's stack, for the parent to name the scenario's line (load/stack.ts, withViolationSite). */
export function keepViolationStacks(on: boolean): void {
  keepStacks = on;
}

/**
 * The stack here, deep enough to reach the role's own frames under the model's (a
 * violation is rare: its cost does not matter). The report names the scenario's own line
 * from it, as the kernel's WARN names the caller.
 */
function callStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack;
}

/** Raise a violation in the running task; it is traced, so its step marks it in the trace. */
export function reportViolation(kind: ViolationKind, message: string, details: string[] = [], extra: Partial<Violation> = {}): void {
  const t = current;
  if (t === undefined) {
    // setup() and check() run in no task: a violation there has no step, trace or locks held
    throw new Error(`reportViolation('${kind}') outside a role's op: check() returns mainViolation(kind, message, details, step) instead`);
  }
  const op = t.ring.count(); // before the violation's own mark
  t.hooks.report({
    ...(keepStacks ? { stack: callStack() } : {}),
    kind,
    message,
    details,
    task: t.name,
    role: t.role,
    step: t.trace(T_VIOLATION, VIOLATION_KINDS.indexOf(kind), 0),
    locksHeld: heldLocks(t),
    op,
    ...extra,
  });
}
