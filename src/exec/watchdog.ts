/**
 * The threads-mode watchdog, ticked from the main thread while workers run. It reads
 * only shared memory: each task's blocked-on word, trace-ring count and progress
 * marks, and the lock words. What it reports:
 *   - the same wait-for cycle on two ticks in a row: a deadlock;
 *   - a task blocked on a lock without an op of its own for `watchdogMs` while others
 *     run, the lock never changing hands meanwhile: a deadlock (starvation), with what
 *     every task waits for;
 *   - every task still running spin-waits (re-reads words nobody writes, src/exec/spin.ts)
 *     or waits for a lock, each for `watchdogMs`: a livelock on the words spun on (the
 *     store they wait for can never come);
 *   - a task neither finished nor blocked that makes no op for `watchdogMs`, and is
 *     not spin-waiting (its spin slot's steps go on while it spins): its role loops
 *     without an op boundary (the scenario's error, not a verdict and not the harness's);
 *   - tasks that keep taking ops without a progress mark for `watchdogMs` (scenarios
 *     that say what progress is): a livelock;
 *   - an execution still running after `maxExecutionMs`: not a verdict, a harness
 *     limit; the execution is incomplete and the note says whether it was progressing.
 * The clock starts once every worker has arrived, so pool start-up is never a hang.
 * Its findings carry step 0: the execution's last step is filled in when it closes,
 * since the other threads run on until they see the stop.
 */
import { deadlockViolation, type WaitGraph, waitGraph } from '../check/deadlock.js';
import { livelockViolation, type Spinner, spinLivelockViolation } from '../check/livelock.js';
import type { Violation } from '../rt/violation.js';
import { lastStep } from './finish.js';
import { noOpBoundary } from './limits.js';
import { CTL_ARRIVED, CTL_OUTSIDE, type Frame, progressMarks, SPIN_SET, SPIN_SLOT, SPIN_STATE, SPIN_STEPS, STOP_EXECUTION_LIMIT, STOP_VIOLATION, STOP_WATCHDOG } from './frame.js';
import { SPIN_LIVELOCK_MS } from './spin.js';
import { SPIN_WORDS } from '../rt/task.js';
import { OWNER, STATE } from '../sync/lock-word.js';
import { nameOfWord } from '../shm/arena.js';

export interface WatchdogFinding {
  /** The STOP_* reason to stop the execution with. */
  stop: number;
  violation: Violation | null;
  /** What was seen: of a role that loops (STOP_WATCHDOG), or when a limit stopped it (STOP_EXECUTION_LIMIT). */
  note: string | null;
  /** STOP_WATCHDOG: the task that reached no op boundary for `watchdogMs`, and for how long (the scenario's error). */
  looping?: { task: number; forMs: number };
  /** STOP_WATCHDOG: the task whose role has ended but whose worker has run the timers it started for `watchdogMs` (the scenario's error). */
  outside?: { task: number; forMs: number };
}

export interface WatchdogLimits {
  watchdogMs: number;
  maxExecutionMs: number;
}

const ms = (x: number) => `${Math.round(x)} ms`;

export class Watchdog<W> {
  private readonly n: number;
  private startedAt = -1;
  private readonly createdAt = performance.now();
  private lastCycle = '';
  private marks = 0;
  private marksAt = 0;
  /** Per task: ops recorded, when that last changed, the lock it was seen blocked on since (-1: none), ops at the last progress mark. */
  private readonly ops: number[];
  private readonly opsAt: number[];
  private readonly waitsFor: number[];
  private readonly opsAtMark: number[];
  /**
   * Per task: the waited-on lock's state and owner words as last sampled, and whether
   * they were seen to change during this wait: a lock that changed hands meanwhile is
   * not a deadlock (the model's locks are not FIFO like qrwlock or a ticketed mutex,
   * so a waiter passed over by others is a limit of the model, never a finding).
   */
  private readonly lockSample: string[];
  private readonly lockMoved: boolean[];
  /** Per task: the spin it was last seen in (0: none) and since when; its spinning steps and when they last moved. */
  private readonly spinEpoch: number[];
  private readonly spinSince: number[];
  private readonly spinSteps: number[];
  private readonly spinStepsAt: number[];

  constructor(
    private readonly frame: Frame<W>,
    private readonly limits: WatchdogLimits,
    /** ScenarioDef.progress: what a progress mark means; undefined when the scenario marks none. */
    private readonly progress: string | undefined,
  ) {
    this.n = frame.instances.length;
    this.ops = new Array(this.n).fill(0);
    this.opsAt = new Array(this.n).fill(0);
    this.waitsFor = new Array(this.n).fill(-1);
    this.opsAtMark = new Array(this.n).fill(0);
    this.lockSample = new Array(this.n).fill('');
    this.lockMoved = new Array(this.n).fill(false);
    this.spinEpoch = new Array(this.n).fill(0);
    this.spinSince = new Array(this.n).fill(0);
    this.spinSteps = new Array(this.n).fill(0);
    this.spinStepsAt = new Array(this.n).fill(0);
  }

  /**
   * How long every running task must spin (or stay blocked) to be a livelock: the
   * watchdog period, at most SPIN_LIVELOCK_MS. The evidence is not elapsed time but that
   * no task is left that could store what the spinners wait for (the spinners re-read,
   * the blocked do nothing at all), so a short window is as sound as a long one, and it
   * lets the default --time (10 s) end in a verdict rather than an incomplete run.
   */
  private get spinWindowMs(): number {
    return Math.min(this.limits.watchdogMs, SPIN_LIVELOCK_MS);
  }

  /** Task k has spun without a break since before `now - window`, and is still stepping. */
  private spunLong(k: number, now: number): boolean {
    const window = this.spinWindowMs;
    return this.spinEpoch[k] !== 0 && now - this.spinSince[k] > window && now - this.spinStepsAt[k] <= window;
  }

  /**
   * A spin nobody can end: every task still running has spun for the whole spin window,
   * or has been blocked (no op of its own) as long; at least one spins.
   */
  private spinLivelock(now: number, finished: ArrayLike<boolean>): Violation | null {
    const { frame } = this;
    const names = frame.arena.names;
    let any = false;
    for (let k = 0; k < this.n; k++) {
      if (finished[k]) continue;
      if (this.spunLong(k, now)) any = true;
      else if (!(this.waitsFor[k] >= 0 && now - this.opsAt[k] > this.spinWindowMs)) return null;
    }
    if (!any) return null;
    const i32 = frame.arena.i32;
    const spinners: Spinner[] = [];
    const others: string[] = [];
    for (let k = 0; k < this.n; k++) {
      const name = frame.instances[k].name;
      if (finished[k]) others.push(`${name} has finished`);
      else if (!this.spunLong(k, now)) others.push(`${name} waits for ${names.locks[this.waitsFor[k]]?.name ?? `lock ${this.waitsFor[k]}`}`);
      else {
        const slot = frame.spin + k * SPIN_SLOT;
        const words: string[] = [];
        for (let j = 0; j < SPIN_WORDS; j++) {
          const idx = Atomics.load(i32, slot + SPIN_SET + j) - 1;
          if (idx >= 0) words.push(`${nameOfWord(frame.arena.names, idx)} = ${Atomics.load(i32, slot + SPIN_SET + SPIN_WORDS + j)} (now ${Atomics.load(i32, idx)})`);
        }
        spinners.push({ task: name, role: frame.instances[k].role, words, spinning: `${ms(now - this.spinSince[k])} (${this.spinSteps[k]} re-reads)`, locksHeld: [] });
      }
    }
    return spinLivelockViolation(spinners, others, 0);
  }

  /** The wait-for graph as last observed (a task between two futex waits still counts as waiting). */
  graph(): WaitGraph {
    return waitGraph(this.frame.arena.i32, this.frame.arena.names, this.waitsFor, 'threads');
  }

  /** What the execution was doing, for a report of an execution stopped by a limit. */
  describe(now: number): string {
    const ops = lastStep(this.frame);
    if (this.startedAt < 0) return 'the workers had not all started';
    if (this.progress) {
      return this.marks > 0 && now - this.marksAt < this.limits.watchdogMs
        ? `still making progress: ${this.marks} progress marks (${this.progress}) so far, the last ${ms(now - this.marksAt)} ago; ${ops} ops`
        : `no progress mark in the last ${ms(now - this.marksAt)}, not yet the ${ms(this.limits.watchdogMs)} that make a livelock; ${ops} ops`;
    }
    return `still running: ${ops} ops so far`;
  }

  /** How long task `k` has gone without an op, as of the last tick and counted to `now` (the whole run until the workers had started). */
  quietFor(k: number, now: number): number {
    return now - (this.startedAt < 0 ? this.createdAt : this.opsAt[k]);
  }

  tick(now: number, finished: ArrayLike<boolean>): WatchdogFinding | null {
    const { frame } = this;
    const limits = this.limits;
    const i32 = frame.arena.i32;
    const names = frame.arena.names;
    if (Atomics.load(i32, frame.ctl + CTL_ARRIVED) < this.n) return null; // workers still starting
    if (this.startedAt < 0) {
      this.startedAt = now;
      this.marksAt = now;
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
      if (lock >= 0 && lock !== this.waitsFor[k]) {
        this.lockSample[k] = '';
        this.lockMoved[k] = false;
      }
      if (lock >= 0) this.waitsFor[k] = lock;
      const slot = frame.spin + k * SPIN_SLOT;
      const epoch = Atomics.load(i32, slot + SPIN_STATE);
      if (epoch !== this.spinEpoch[k]) {
        this.spinEpoch[k] = epoch;
        this.spinSince[k] = now;
      }
      const spun = Atomics.load(i32, slot + SPIN_STEPS);
      if (spun !== this.spinSteps[k]) {
        this.spinSteps[k] = spun;
        this.spinStepsAt[k] = now;
      }
      if (this.waitsFor[k] >= 0) {
        const w = names.locks[this.waitsFor[k]].word;
        const sample = `${Atomics.load(i32, w + STATE)}:${Atomics.load(i32, w + OWNER)}`;
        if (this.lockSample[k] !== '' && sample !== this.lockSample[k]) this.lockMoved[k] = true;
        this.lockSample[k] = sample;
      }
    }
    const marks = progressMarks(frame);
    if (marks !== this.marks) {
      this.marks = marks;
      this.marksAt = now;
      for (let k = 0; k < this.n; k++) this.opsAtMark[k] = this.ops[k];
    }
    const g = this.graph();
    const cycle = g.cycle?.join(',') ?? '';
    const again = cycle !== '' && cycle === this.lastCycle;
    this.lastCycle = cycle;
    if (again) {
      return { stop: STOP_VIOLATION, violation: deadlockViolation(g, names, 0, 'threads: the same wait-for cycle on two watchdog ticks'), note: null };
    }
    const spinning = this.spinLivelock(now, finished);
    if (spinning) return { stop: STOP_VIOLATION, violation: spinning, note: null };
    const outside = Atomics.load(i32, frame.ctl + CTL_OUTSIDE);
    for (let k = 0; k < this.n; k++) {
      if (finished[k] || now - this.opsAt[k] <= limits.watchdogMs) continue;
      // its role has ended, and a timer it started has not returned (workers/role-worker.mjs)
      if ((outside & (1 << k)) !== 0) {
        const forMs = now - this.opsAt[k];
        return { stop: STOP_WATCHDOG, violation: null, note: `${names.tasks[k]}'s role has ended, and a timer or promise it started has run for ${ms(forMs)} without returning`, outside: { task: k, forMs } };
      }
      // spin-waiting: at an op boundary every step, with nothing to trace (its peers may still end the spin)
      if (this.spinEpoch[k] !== 0 && now - this.spinStepsAt[k] <= limits.watchdogMs) continue;
      if (this.waitsFor[k] >= 0 && this.lockMoved[k]) continue; // passed over, not deadlocked: the execution limit ends it
      if (this.waitsFor[k] >= 0) {
        const how = `threads: ${names.tasks[k]} has been blocked on ${names.locks[this.waitsFor[k]].name} for more than ${ms(limits.watchdogMs)}`;
        return { stop: STOP_VIOLATION, violation: deadlockViolation(g, names, 0, how), note: null };
      }
      return { stop: STOP_WATCHDOG, violation: null, note: noOpBoundary(names.tasks[k], now - this.opsAt[k]), looping: { task: k, forMs: now - this.opsAt[k] } };
    }
    if (this.progress && now - this.marksAt > limits.watchdogMs) {
      const since = frame.instances.map((inst, k) => ({ task: inst.name, count: this.ops[k] - this.opsAtMark[k] }));
      const lastMark = this.marks ? `the last progress mark (of ${this.marks}) was ${ms(now - this.marksAt)} ago` : 'no progress mark in this execution';
      const v = livelockViolation({ progress: this.progress, window: `for ${ms(now - this.marksAt)}`, lastMark, since, unit: 'ops' }, 0);
      return { stop: STOP_VIOLATION, violation: v, note: null };
    }
    if (now - this.startedAt > limits.maxExecutionMs) return { stop: STOP_EXECUTION_LIMIT, violation: null, note: this.describe(now) };
    return null;
  }
}
