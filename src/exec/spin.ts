/**
 * Spin-waits in sim, as CHESS treats them: a task that re-reads words nobody has written
 * since its last read of them, and did nothing else in between, is waiting, not
 * progressing (Musuvathi & Qadeer, "Fair stateless model checking", PLDI 2008; CHESS
 * counts such a loop as a yield). The loads note what they read (Task.noteRead); the
 * executor turns each step that only re-read unchanged words into an IDLE for the
 * strategy, and this watch keeps, per task, since when it has spun without a break.
 *
 * A spin-wait livelock: every task that can run has spun for `bound` steps, and the
 * model's words did not change over one more poll interval (a check that no write
 * hides in code between the loads, outside any op). Blocked tasks can be woken only by
 * a task that runs and unlocks, finished ones never store again: the store the
 * spinners wait for cannot come.
 */
import { type Spinner, spinLivelockViolation } from '../check/livelock.js';
import { heldLocks } from '../rt/names.js';
import type { Violation } from '../rt/violation.js';
import { type Arena, nameOfWord } from '../shm/arena.js';
import { STORE_LOG, type StoreLog, type Task } from '../rt/task.js';

/** How many steps every runnable task must have spun before it is a livelock (the progress window, if smaller). */
export const SPIN_LIVELOCK_STEPS = 10_000;
/** Threads: how long every running task must have spun or stayed blocked before it is a livelock (--watchdog, if shorter). */
export const SPIN_LIVELOCK_MS = 2000;

let last: SpinWatch | null = null;

export class SpinWatch {
  /** since[k]: the step at which task k's current spin began, -1 while it is not spinning. */
  readonly since: Float64Array;
  /**
   * afterIdle[k]: task k's last step yielded IDLE (its next step completes no op, so it
   * writes nothing). Kept only while the task has a read set (Task.spinN > 0): a read
   * step always sets it, so a stale value never outlives an empty set.
   */
  readonly afterIdle: Uint8Array;
  /** The step at which every runnable task was first seen spinning long enough, and the model's words then (-1: not yet). */
  private candidateAt = -1;
  private hash = 0;

  /** Steps of spinning by every runnable task that make a livelock. */
  bound = SPIN_LIVELOCK_STEPS;

  constructor(n: number) {
    this.since = new Float64Array(n).fill(-1);
    this.afterIdle = new Uint8Array(n);
  }

  /** The watch of an execution of `n` tasks: the last one, reset, when it had as many (sim runs one at a time). */
  static for(n: number, bound: number): SpinWatch {
    const w = last !== null && last.since.length === n ? last : new SpinWatch(n);
    last = w;
    w.since.fill(-1);
    w.afterIdle.fill(0);
    w.candidateAt = -1;
    w.bound = bound;
    return w;
  }

  /**
   * At a poll point: true when every runnable task (blockedOn[k] === runnable) has spun
   * for `bound` steps and, over one more poll interval, neither stopped spinning nor saw
   * any model word change.
   */
  stuck(steps: number, blockedOn: Int32Array, runnable: number, i32: Int32Array, modelBase: number): boolean {
    let oldest = steps;
    let any = false;
    for (let k = 0; k < blockedOn.length; k++) {
      if (blockedOn[k] !== runnable) continue;
      const s = this.since[k];
      if (s < 0) {
        this.candidateAt = -1;
        return false;
      }
      any = true;
      if (s < oldest) oldest = s;
    }
    if (!any || steps - oldest < this.bound) {
      this.candidateAt = -1;
      return false;
    }
    const h = modelHash(i32, modelBase);
    if (this.candidateAt < 0 || !this.spunSince(this.candidateAt, blockedOn, runnable) || h !== this.hash) {
      this.candidateAt = steps;
      this.hash = h;
      return false;
    }
    return true;
  }

  private spunSince(at: number, blockedOn: Int32Array, runnable: number): boolean {
    for (let k = 0; k < blockedOn.length; k++) if (blockedOn[k] === runnable && (this.since[k] < 0 || this.since[k] > at)) return false;
    return true;
  }

  /**
   * Under --memory weak: whether every spinner keeps re-reading a value older than its word's
   * newest store (the word in shared memory holds the newest store's value). Then the
   * store it waits for has come and only the weak model's choice keeps it invisible, step
   * after step: an unfair execution, not a livelock, since a store reaches every CPU in
   * the end (LKMM's model is of finite executions; the kernel's spin-waits rely on it).
   * A stale store that has the newest one's value is not told apart (an ABA).
   */
  readsOlderStore(tasks: Task[], blockedOn: Int32Array, runnable: number, i32: Int32Array): boolean {
    // every spinner must be kept so: one that has seen the newest value of every word it
    // re-reads and still spins is a livelock whatever the others read
    let stale = false;
    for (let k = 0; k < tasks.length; k++) {
      if (blockedOn[k] !== runnable) continue;
      const t = tasks[k];
      let old = false;
      for (let j = 0; j < t.spinN; j++) if (i32[t.spinWords[j]] !== t.spinValues[j]) old = true;
      if (!old) return false;
      stale = true;
    }
    return stale;
  }

  /** The livelock report: the words each spinner re-reads, their values and who last stored to them; what the others do. */
  violation(tasks: Task[], blockedOn: Int32Array, runnable: number, arena: Arena, stores: StoreLog, steps: number, step: number, others: (k: number) => string): Violation {
    const spinners: Spinner[] = [];
    const rest: string[] = [];
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[k];
      if (blockedOn[k] !== runnable) {
        rest.push(others(k));
        continue;
      }
      const words: string[] = [];
      for (let j = 0; j < t.spinN; j++) {
        const idx = t.spinWords[j];
        const last = stores.last(idx);
        const who =
          last !== null
            ? `last stored by ${tasks[last.task]?.name ?? `task ${last.task}`}, after step ${last.step}`
            : stores.n <= STORE_LOG
              ? 'no WRITE_ONCE, smp_store_release or cmpxchg stored to it in this execution'
              : `not stored to by WRITE_ONCE, smp_store_release or cmpxchg in the last ${STORE_LOG} such stores`;
        words.push(`${nameOfWord(arena.names, idx)} = ${t.spinValues[j]} (${who})`);
      }
      spinners.push({ task: t.name, role: t.role, words, spinning: `${steps - this.since[k]} scheduling steps`, locksHeld: heldLocks(t) });
    }
    return spinLivelockViolation(spinners, rest, step);
  }
}

/** FNV-1a over the model's words: equal before and after a spin means nobody wrote (short of a write undone within it). */
function modelHash(i32: Int32Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < i32.length; i++) h = Math.imul(h ^ i32[i], 0x01000193);
  return h;
}
