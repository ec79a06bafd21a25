/**
 * The threads-mode driver: runs one task's generator straight through on this
 * worker thread. At an op boundary it may inject seeded jitter (spins, rarely a short
 * sleep) to widen race windows; when the task is blocked on a lock it retries a few
 * times, then futex-waits on exactly the word and value the lock saw, with a bounded
 * timeout so that a stop request or a lost wake-up can never hang it.
 */
import { ScenarioThrow, thrownBy } from '../rt/errors.js';
import { canAcquire, NOTIFIES, STATE, WAITERS } from '../sync/lock-word.js';
import { CTL_SLEEP, CTL_STOP, CTL_TICKET, SPIN_SET, SPIN_STATE, SPIN_STEPS } from './frame.js';
import { blocked, IDLE, type Op } from '../rt/op.js';
import { READ_AGAIN, type Rng, SPIN_WORDS, type Task } from '../rt/task.js';

export interface Jitter {
  /** Probability of a jitter at each op boundary (0 = none). */
  prob: number;
  /** Upper bound of a spin, in loop iterations. */
  spin: number;
  /** Fraction of jitters that sleep 20..220 µs instead of spinning. */
  sleepFraction: number;
}

export interface DriveOptions {
  jitter: Jitter;
  /** Retries of a taken lock before futex-waiting: spinning only pays while runnable threads <= cores. */
  spinsBeforeWait: number;
  /** Bound of one futex wait. */
  futexWaitMs: number;
  /**
   * A futex wait that times out with the lock free for this waiter, and no notify
   * since it registered as a waiter, is a lost wake-up (an unlock that did not
   * notify): counted always; with `strictWakeups` it fails the run (for the
   * harness's own tests).
   */
  strictWakeups: boolean;
  /** Take a ticket per step (StepTickets) so that a finding can be replayed in sim. */
  recordSteps: boolean;
}

export const DEFAULT_JITTER: Jitter = { prob: 0.03, spin: 2000, sleepFraction: 0.01 };
export const DRIVE_DEFAULTS: DriveOptions = { jitter: DEFAULT_JITTER, spinsBeforeWait: 1000, futexWaitMs: 2, strictWakeups: false, recordSteps: true };

/** The threads executor's settings of its own: the driver's, and the trace a violation keeps. */
export interface ThreadsOptions {
  drive: DriveOptions;
  /** Ops of each task a violation's trace keeps (default: traceTailFor(tasks)). */
  tracePerTask?: number;
}

export const THREADS_DEFAULTS: ThreadsOptions = { drive: DRIVE_DEFAULTS };

let sink = 0;

export type DriveEnd = 'done' | 'stopped';

/** The most steps of one task whose tickets are kept: 16 MiB. */
export const MAX_STEP_TICKETS = 4 * 1024 * 1024;

/**
 * The order this task's steps began in, against every other task's: one ticket per
 * step from a counter all tasks share, taken just before the step runs (an op's shared
 * access comes first in its step). A retry of a lock that fails again changes nothing,
 * so its ticket is dropped: the sim, which runs a blocked task only once it is woken,
 * has no such step.
 */
export class StepTickets {
  private buf = new Int32Array(1024);
  n = 0;
  /** More steps than MAX_STEP_TICKETS: the order is incomplete, and not sent. */
  overflow = false;

  push(ticket: number): void {
    if (this.overflow) return;
    if (this.n === this.buf.length) {
      if (this.n >= MAX_STEP_TICKETS) {
        // too long to replay: let the memory go; take() answers null
        this.overflow = true;
        this.buf = new Int32Array(0);
        this.n = 0;
        return;
      }
      const grown = new Int32Array(this.n * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.n++] = ticket;
  }

  /** Told when a ticket is dropped, with the count left (RecordingMemory drops that step's events). */
  onDrop?: (n: number) => void;

  /** The last step changed nothing (a retry that failed again): its ticket goes. */
  drop(): void {
    this.n--;
    this.onDrop?.(this.n);
  }

  take(): Int32Array | null {
    return this.overflow ? null : this.buf.slice(0, this.n);
  }
}

/**
 * Spin-waits on real threads, as sim sees them (src/exec/spin.ts): after each step, a
 * step that only re-read words unchanged since the task last read them keeps (or
 * begins) a spin; anything else ends it. Published in the task's spin slot for the
 * watchdog, which tells a spin from a loop without an op and reports a spin nobody can
 * end as a livelock on its words.
 */
class SpinSlot {
  private spinning = false;
  private afterIdle = false;
  private epoch = 0;
  private steps = 0;
  constructor(
    private readonly i32: Int32Array,
    private readonly slot: number,
  ) {}

  stepped(t: Task, result: number): void {
    const kind = t.readKind;
    if (kind !== 0) {
      t.readKind = 0;
      if (kind === READ_AGAIN) {
        if (!this.spinning) this.begin(t);
        Atomics.store(this.i32, this.slot + SPIN_STEPS, ++this.steps);
      } else this.end();
    } else if (!this.afterIdle) {
      // a step after an IDLE completes no op: it neither writes nor ends the spin
      t.spinN = 0;
      this.end();
    }
    this.afterIdle = result === IDLE;
  }

  private begin(t: Task): void {
    this.spinning = true;
    const { i32, slot } = this;
    for (let j = 0; j < SPIN_WORDS; j++) {
      Atomics.store(i32, slot + SPIN_SET + j, j < t.spinN ? t.spinWords[j] + 1 : 0);
      Atomics.store(i32, slot + SPIN_SET + SPIN_WORDS + j, t.spinValues[j]);
    }
    Atomics.store(i32, slot + SPIN_STATE, ++this.epoch);
  }

  end(): void {
    if (!this.spinning) return;
    this.spinning = false;
    Atomics.store(this.i32, this.slot + SPIN_STATE, 0);
  }
}

/** `afterStep`: called once each step has run (a recording run's deferred unlocks: ExecHooks.freeAtStepEnd). */
export function drive(gen: Op, t: Task, i32: Int32Array, ctl: number, blockedWord: number, o: DriveOptions, jr: Rng, tickets?: StepTickets, spinSlot = -1, afterStep?: () => void): DriveEnd {
  const stop = ctl + CTL_STOP;
  const jitter = o.jitter;
  let spins = 0;
  let failed = -1; // the lock the last step failed to take, -1 if it did not fail
  const spin = spinSlot >= 0 ? new SpinSlot(i32, spinSlot) : null;
  tickets?.push(Atomics.add(i32, ctl + CTL_TICKET, 1));
  // what the role's own code throws is the scenario's error (the harness's own throws below are not)
  const next = () => {
    try {
      return gen.next();
    } catch (e) {
      throw new ScenarioThrow(thrownBy(e, 'role', t));
    } finally {
      afterStep?.();
    }
  };
  let r = next();
  while (!r.done) {
    spin?.stepped(t, r.value);
    if (tickets) {
      const again = r.value >= 0 && r.value === failed;
      if (again && tickets.n > 0) tickets.drop(); // it failed again: nothing happened
      failed = r.value >= 0 ? r.value : -1;
    }
    if (Atomics.load(i32, stop) !== 0) return 'stopped';
    if (r.value < 0) {
      spins = 0;
      if (jitter.prob > 0 && jr() < jitter.prob) {
        if (jr() < jitter.sleepFraction) Atomics.wait(i32, ctl + CTL_SLEEP, 0, 0.02 + jr() * 0.2);
        else for (let k = Math.floor(jr() * jitter.spin); k > 0; k--) sink = (sink + k) | 0;
      }
    } else if (++spins > o.spinsBeforeWait) {
      spins = 0;
      const { lock, value, mode } = blocked;
      Atomics.store(i32, blockedWord, r.value + 1);
      Atomics.add(i32, lock + WAITERS, 1);
      const notifies = Atomics.load(i32, lock + NOTIFIES);
      const how = Atomics.wait(i32, lock + STATE, value, o.futexWaitMs);
      // Read before leaving WAITERS: an unlock that still sees us there owes a notify.
      const lost = how === 'timed-out' && canAcquire(mode, Atomics.load(i32, lock + STATE)) && Atomics.load(i32, lock + NOTIFIES) === notifies;
      Atomics.sub(i32, lock + WAITERS, 1);
      Atomics.store(i32, blockedWord, 0);
      t.count('futex-waits');
      if (lost) {
        t.count('futex-lost-wakeups');
        if (o.strictWakeups) throw new Error(`lost wake-up: lock ${r.value} became free during a ${o.futexWaitMs} ms futex wait and nobody notified`);
      }
    }
    tickets?.push(Atomics.add(i32, ctl + CTL_TICKET, 1));
    r = next();
  }
  spin?.end();
  return 'done';
}
