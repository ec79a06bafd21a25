/** What ends every execution, in both executors. */
import { heldLocks, lockLabel } from '../rt/names.js';
import { mainViolation, type Violation } from '../rt/violation.js';
import { MODE_NAMES } from '../rt/task.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { CTL_SEQ, type Frame } from './frame.js';
import { scenarioCall } from '../rt/errors.js';
import { checkResult } from '../rt/scenario-values.js';
import type { Task } from '../rt/task.js';
import { mergeTraces, traceTailFor } from '../rt/trace.js';

/** A role that returns while still holding locks. */
export function heldAtExit(t: Task): Violation | null {
  if (t.held.length === 0) return null;
  const taken = t.held.map((h) => `${lockLabel(h.lock)} (${MODE_NAMES[h.mode]}) was taken${h.site ? ` in ${h.site}()` : ''} at step ${h.step} and never released`);
  const where = t.held.map((h) => (h.site ? `${lockLabel(h.lock)} (taken in ${h.site}())` : lockLabel(h.lock)));
  return {
    ...mainViolation('lock-held-at-exit', `${t.name} ended holding ${where.join(', ')}`, taken, t.lastStep),
    task: t.name,
    role: t.role,
    locksHeld: heldLocks(t),
  };
}

/** The last step of the execution so far. */
export function lastStep<W>(frame: Frame<W>): number {
  return Atomics.load(frame.arena.i32, frame.ctl + CTL_SEQ);
}

/**
 * Close an execution: without a violation so far, the scenario's final check decides;
 * a violation gets its seed and each task's last ops up to its step. `perTask`
 * overrides how many ops of each task the trace keeps.
 */
export function closeExecution<W>(
  s: ScenarioDef<W>,
  frame: Frame<W>,
  p: Params,
  variant: string,
  seed: number,
  found: Violation | null,
  perTask?: number,
): Violation | null {
  const end = lastStep(frame);
  // what check() returned must be a violation or nothing (a string there is the scenario's error, not a crash of ours)
  const v = found ?? (s.check ? checkResult(scenarioCall('check', () => s.check?.(frame.world, p, variant, end)), end) : null);
  if (v) {
    v.seed = seed;
    if (v.step === 0) v.step = end; // found from outside the tasks: as of the end
    v.tracePerTask = perTask ?? traceTailFor(frame.instances.length);
    v.trace = mergeTraces(frame.rings, frame.arena.names, v.step, v.tracePerTask);
  }
  return v;
}
