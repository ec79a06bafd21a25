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
