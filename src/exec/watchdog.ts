/**
 * The threads-mode watchdog, ticked from the main thread while workers run. It reads
 * only shared memory: each task's blocked-on word and trace-ring count, the global
 * step counter and the lock words. What it reports:
 *   - the same wait-for cycle on two ticks in a row: a deadlock;
 *   - a task blocked on a lock without an op of its own for `watchdogMs`: a deadlock
 *     (or starvation), with what every task waits for;
 *   - no op anywhere for `watchdogMs` and nobody blocked: the harness cannot explain it;
 *   - an execution still running after `maxExecutionMs`: a livelock.
 * The clock starts once every worker has arrived, so pool start-up is never a hang.
 * Its findings carry step 0: the execution's last step is filled in when it closes,
 * since the other threads run on until they see the stop.
 */
import { deadlockViolation, type WaitGraph, waitGraph } from '../check/deadlock.js';
import { mainViolation, type Violation } from '../check/violation.js';
import { lastStep } from './finish.js';
import { CTL_ARRIVED, type Frame, STOP_VIOLATION, STOP_WATCHDOG } from './frame.js';

export interface WatchdogFinding {
  /** The STOP_* reason to stop the execution with. */
  stop: number;
  violation: Violation | null;
  /** Set when the harness cannot explain the stop (a harness error). */
  note: string | null;
}

export class Watchdog<W> {
  private readonly n: number;
  private startedAt = -1;
  private lastCycle = '';
  private progressSeq = -1;
  private progressAt = 0;
  /** Per task: ops recorded, when that last changed, the lock it was seen blocked on since (-1: none). */
  private readonly ops: number[];
  private readonly opsAt: number[];
  private readonly waitsFor: number[];

  constructor(
    private readonly frame: Frame<W>,
    private readonly limits: { watchdogMs: number; maxExecutionMs: number },
  ) {
    this.n = frame.instances.length;
    this.ops = new Array(this.n).fill(-1);
    this.opsAt = new Array(this.n).fill(0);
    this.waitsFor = new Array(this.n).fill(-1);
  }

  /** The wait-for graph as last observed (a task between two futex waits still counts as waiting). */
  graph(): WaitGraph {
    return waitGraph(this.frame.arena.i32, this.frame.arena.names, this.waitsFor);
  }

  tick(now: number): WatchdogFinding | null {
    const { frame } = this;
    const limits = this.limits;
    const i32 = frame.arena.i32;
    const names = frame.arena.names;
    if (Atomics.load(i32, frame.ctl + CTL_ARRIVED) < this.n) return null; // workers still starting
    if (this.startedAt < 0) {
      this.startedAt = now;
      this.progressAt = now;
      this.opsAt.fill(now);
    }
    for (let k = 0; k < this.n; k++) {
      const ops = frame.rings[k].count();
      if (ops !== this.ops[k]) {
        this.ops[k] = ops;
        this.opsAt[k] = now;
        this.waitsFor[k] = -1;
      }
      const lock = Atomics.load(i32, frame.blocked + k) - 1;
      if (lock >= 0) this.waitsFor[k] = lock;
    }
    const g = this.graph();
    const cycle = g.cycle?.join(',') ?? '';
    const again = cycle !== '' && cycle === this.lastCycle;
    this.lastCycle = cycle;
    if (again) {
      return { stop: STOP_VIOLATION, violation: deadlockViolation(g, names, 0, 'threads: the same wait-for cycle on two watchdog ticks'), note: null };
    }
    for (let k = 0; k < this.n; k++) {
      if (this.waitsFor[k] >= 0 && now - this.opsAt[k] > limits.watchdogMs) {
        const how = `threads: ${names.tasks[k]} has been blocked on ${names.locks[this.waitsFor[k]].name} for more than ${limits.watchdogMs} ms`;
        return { stop: STOP_VIOLATION, violation: deadlockViolation(g, names, 0, how), note: null };
      }
    }
    const seq = lastStep(frame);
    if (seq !== this.progressSeq) {
      this.progressSeq = seq;
      this.progressAt = now;
    } else if (now - this.progressAt > limits.watchdogMs) {
      return { stop: STOP_WATCHDOG, violation: null, note: `no op in ${limits.watchdogMs} ms and no thread blocked on a lock: a role is stuck outside the model` };
    }
    if (now - this.startedAt > limits.maxExecutionMs) {
      const v = mainViolation('invariant', `livelock: the execution still runs after ${limits.maxExecutionMs} ms`, g.lines, 0);
      return { stop: STOP_VIOLATION, violation: v, note: null };
    }
    return null;
  }
}
