/**
 * wait_queue_head_t: wait_event() sleeps until a condition holds, wake_up() wakes the
 * sleepers to look again. A sleeper is not runnable until woken (in sim a scheduler
 * cannot spin it), which is what a rare event driven by someone else needs: kswapd
 * sleeps until an allocation finds memory below the watermark and wakes it.
 */
import { type Op, POINT } from '../rt/op.js';
import { current, MODE_WAIT } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { blockOn, LockWord, STATE } from './lock-word.js';
import { T_LOCK, T_UNLOCK } from './trace-ops.js';
import { addUnread, shared } from '../rt/shared.js';

export class WaitQueue extends LockWord {
  constructor(arena: Arena, name: string) {
    super(arena, name, name, 'wait_queue_head_t');
  }
}

/** wait_event(wq, cond()): the condition is checked, then the task sleeps until a wake_up() changes the queue's word. */
export function* waitEvent(wq: WaitQueue, cond: () => boolean): Op {
  yield POINT; // the op boundary
  const t = current;
  let since = -1;
  for (;;) {
    const seen = shared.load(wq.i32, wq.word + STATE);
    if (cond()) break;
    since = yield* blockOn(t, wq, MODE_WAIT, seen, since);
  }
  if (since >= 0) t.trace(T_LOCK, wq.id, MODE_WAIT);
}

/** wake_up(wq): bump the queue's word so that every sleeper looks at its condition again. */
export function* wakeUp(wq: WaitQueue): Op {
  yield POINT; // the op boundary
  const t = current;
  addUnread(wq.i32, wq.word + STATE, 1); // two wake-ups commute; a sleeper's read of the word does not
  t.trace(T_UNLOCK, wq.id, MODE_WAIT);
  t.hooks.wake(wq.id, wq.word);
}
