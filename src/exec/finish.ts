/** Checks that end every execution, in both executors. */
import { heldLocks, mainViolation, type Violation } from '../check/violation.js';
import type { Task } from './task.js';

/** A role that returns while still holding locks. */
export function heldAtExit(t: Task): Violation | null {
  if (t.held.length === 0) return null;
  return {
    ...mainViolation('lock-held-at-exit', `${t.name} ended holding ${heldLocks(t).join(', ')}`, [], t.lastStep),
    task: t.name,
    role: t.role,
    locksHeld: heldLocks(t),
  };
}
