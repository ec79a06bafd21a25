/**
 * How oracles raise a violation. An oracle calls `reportViolation` from inside the running
 * op; the executor stops the execution at the next op boundary, so the model itself keeps
 * going as the kernel would.
 */
import { heldLocks } from './names.js';
import { current } from './task.js';
import { T_VIOLATION, VIOLATION_KINDS, type Violation, type ViolationKind } from './violation.js';

/** Raise a violation in the running task; it is traced, so its step marks it in the trace. */
export function reportViolation(kind: ViolationKind, message: string, details: string[] = [], extra: Partial<Violation> = {}): void {
  const t = current;
  if (t === undefined) {
    // setup() and check() run in no task: a violation there has no step, trace or locks held
    throw new Error(`reportViolation('${kind}') outside a role's op: check() returns mainViolation(kind, message, details, step) instead`);
  }
  const op = t.ring.count(); // before the violation's own mark
  t.hooks.report({
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
