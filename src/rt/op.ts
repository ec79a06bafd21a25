/**
 * The op model. Role code is generator functions; every step that touches shared
 * state is reached by `yield*`. A generator yields a number:
 *   POINT (-1)  an op boundary: the scheduler may switch tasks here;
 *   IDLE (-2)   an op boundary where the task has nothing to do but wait for others (a
 *               spin-wait, an idle loop: cond_resched()): a strategy that keeps running the
 *               same task (pct) lets others go first;
 *   id >= 0     "blocked on lock id": the lock was taken; `blocked` says which word and
 *               which value were seen, so a threads driver can futex-wait on exactly that.
 * What blocking means is the executor's business, never the model's.
 */
import { current } from './task.js';
export const POINT = -1;
export const IDLE = -2;
/** Not a yield: what a strategy is told (Strategy.stepped) when a task's generator returned. */
export const DONE = -3;

export type Op<T = void> = Generator<number, T, void>;

/**
 * Set just before a lock yields its id: the lock's first word (its state word) and
 * the value seen there, and the mode wanted. Executors read it right away (one thread each).
 */
export const blocked = { lock: 0, value: 0, mode: 0 };

/** What every op boundary returns (shared, never changed). */
export const AT_POINT: IteratorResult<number, never> = { value: POINT, done: false };
/** What an op that returns nothing returns (shared, never changed). */
export const FINISHED: IteratorResult<number, void> = { value: undefined, done: true };

/** The result of a step that blocks on lock `id` (after `blocked` was set). */
export function blockedStep(id: number): IteratorResult<number, never> {
  return { value: id, done: false };
}

/**
 * An op written as a small state machine instead of a generator function. The hot
 * primitives (READ_ONCE, WRITE_ONCE, taking and releasing a lock) run at nearly every
 * scheduling step, and a generator of their own per call cost more than their work: a
 * generator object allocated per op and a frame resumed per step. A machine is a plain
 * object with next(): its first call returns the op boundary (AT_POINT), the next one
 * does the work and returns {done: true} or, while blocked, the lock's id. It yields
 * exactly what the generator it replaces yielded, so sim's schedules and traces are the
 * same (docs/architecture.md names the one difference on real threads).
 * `yield*` takes it like any iterator. Subclasses write next() themselves (one method
 * per class keeps every call site monomorphic), beginning with `if (this.s === 0)`.
 */
export abstract class OpMachine<T = void> implements Generator<number, T, void> {
  /**
   * 0: before the op boundary; 1 and up: the subclass's own states; DONE_STATE: finished.
   * Every field of a machine is `declare`d and set in the subclass's constructor: a class
   * field (or a TypeScript parameter property) is defined by an initializer that V8 runs
   * per object, and one shared by every subclass is megamorphic, which cost a third of
   * all the time of a scheduling step.
   */
  protected declare s: number;
  abstract next(): IteratorResult<number, T>;
  return(value: T): IteratorResult<number, T> {
    this.s = DONE_STATE;
    return { value, done: true };
  }
  throw(e: unknown): IteratorResult<number, T> {
    this.s = DONE_STATE;
    throw e;
  }
  /**
   * An op runs when `yield*` takes it, which asks for its iterator once: the running task
   * counts the ops it made, the ones it ran and the ones it ran again, so that a role that
   * ends having made an op it never ran (a call without `yield*`, which does nothing), or
   * having run one twice (the second time does nothing), is told so (unrunOpsError).
   */
  constructor() {
    const t = current;
    if (t !== undefined) t.opsMade++;
  }
  [Symbol.iterator](): this {
    const t = current;
    // an op not yet begun is in state 0 (its subclass sets it); any other: it ran before
    if (t !== undefined) {
      if (this.s === 0) t.opsRun++;
      else t.opsRerun++;
    }
    return this;
  }
}

export const DONE_STATE = 255;
