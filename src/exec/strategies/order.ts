/**
 * `order`: replay in sim a threads execution (reproduce.ts), so that a violation real
 * cores found becomes a deterministic trace. Two records steer it:
 *   - the order in which the threads execution's steps began (StepTickets): one task
 *     id per step, a task's failed lock retries left out (the sim runs a blocked task
 *     only once it is woken, and a retry that fails again is no step of the record);
 *   - each shared word's history (sync-record.ts): which write of the word each of a
 *     step's accesses made or read, a lock's word among them.
 * At each decision the first recorded step, in the order steps began, that is the next
 * step of a runnable task and whose words are where the threads run had them runs
 * (sync-replay.ts): a step that takes a lock waits for the lock's previous holder to
 * release it, a failed try waits for the lock to be held, a load for the write it read.
 * Two steps that began in one order on two cores and reached a word in the other are so
 * replayed in the word's order.
 *
 * Where the records say nothing (past the end of a task's record, or when no recorded
 * step can run), the strategy chooses on its own and fairly: the next runnable task
 * round the ring, a task whose last step was IDLE (a spin-wait, an idle loop) after the
 * others. It never keeps one task running: a role looping on IDLE past the end of the
 * record would otherwise keep the CPU while a lock's holder never runs, and the
 * starvation window would report a deadlock the threads run never had.
 */
import { IDLE } from '../../rt/op.js';
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';
import type { SyncEvents } from '../sync-record.js';
import { SyncReplay } from '../sync-replay.js';

/** How far past the first step not yet run a pick looks for one that can run (a bound on the cost of a pick). */
const LOOKAHEAD = 4096;

export class OrderStrategy implements Strategy {
  readonly name = 'order';
  /** stepOf[p]: the recorded step at position p is its task's step number stepOf[p] (0, 1, ...). */
  private readonly stepOf: Int32Array;
  /** The first position of the record not yet run. */
  private next = 0;
  /** Per task: its steps run so far (a retry that failed again not counted). */
  private done = new Int32Array(0);
  /** Per task: the lock its last step blocked on, -1 if it did not block. */
  private blockedOn = new Int32Array(0);
  /** Per task: its last step yielded IDLE. */
  private idleLast = new Uint8Array(0);
  private cur = -1;
  private readonly sync: SyncReplay | null;
  /** Decisions the records did not make (past their end, or nothing recorded could run): chosen fairly. */
  own = 0;
  /** Decisions where no recorded step had its words ready, so the step order alone decided. */
  unready = 0;

  constructor(
    private readonly order: Uint8Array,
    sync?: readonly (SyncEvents | undefined)[],
  ) {
    this.stepOf = new Int32Array(order.length);
    const count = new Int32Array(256);
    for (let p = 0; p < order.length; p++) this.stepOf[p] = count[order[p]]++;
    this.sync = sync ? new SyncReplay(sync) : null;
  }

  start(_seed?: number, tasks = 0): void {
    let n = tasks;
    for (const k of this.order) n = Math.max(n, k + 1);
    this.next = 0;
    this.cur = -1;
    this.done = new Int32Array(n);
    this.blockedOn = new Int32Array(n).fill(-1);
    this.idleLast = new Uint8Array(n);
    this.own = 0;
    this.unready = 0;
    this.sync?.reset();
  }

  pick(n: number, runnable: Int32Array): number {
    const { order, stepOf, done } = this;
    while (this.next < order.length && stepOf[this.next] < done[order[this.next]]) this.next++;
    let first = -1;
    const end = Math.min(order.length, this.next + LOOKAHEAD);
    for (let p = this.next; p < end; p++) {
      const k = order[p];
      if (stepOf[p] !== done[k]) continue; // run already, or not its task's next step
      const c = indexIn(k, n, runnable);
      if (c < 0) continue;
      if (this.sync === null || this.sync.ready(k, done[k])) return c;
      if (first < 0) first = c;
    }
    if (first >= 0) {
      // every recorded step that could run waits for a word: the step order decides
      this.unready++;
      return first;
    }
    this.own++;
    return this.fair(n, runnable);
  }

  /** Round the ring from the last task, one step each; IDLE tasks only when no other can run. */
  private fair(n: number, runnable: Int32Array): number {
    let wrapBusy = -1;
    let afterIdle = -1;
    let wrapIdle = -1;
    for (let c = 0; c < n; c++) {
      const k = runnable[c];
      const after = k > this.cur;
      if (this.idleLast[k] === 0) {
        if (after) return c;
        if (wrapBusy < 0) wrapBusy = c;
      } else if (after) {
        if (afterIdle < 0) afterIdle = c;
      } else if (wrapIdle < 0) wrapIdle = c;
    }
    if (wrapBusy >= 0) return wrapBusy;
    return afterIdle >= 0 ? afterIdle : wrapIdle;
  }

  stepped(task: number, result: number): void {
    this.cur = task;
    this.idleLast[task] = result === IDLE ? 1 : 0;
    // a woken task that failed its lock again: in threads such a retry left no ticket
    if (result >= 0 && result === this.blockedOn[task]) return;
    this.blockedOn[task] = result >= 0 ? result : -1;
    this.sync?.ran(task, this.done[task]);
    this.done[task]++;
  }
}

function indexIn(k: number, n: number, runnable: Int32Array): number {
  for (let c = 0; c < n; c++) if (runnable[c] === k) return c;
  return -1;
}

/** A threads finding's step order (one task id per step) and its tasks' word events, replayed in sim. */
export interface OrderSpec extends StrategySpec {
  name: 'order';
  order: Uint8Array;
  /** Per task, its word events (sync-record.ts); absent: the step order alone. */
  sync?: (Int32Array | undefined)[];
}

/** Internal (reproduce.ts builds it): no --strategy value. */
export const order: StrategyEntry<OrderSpec> = {
  name: 'order',
  create: (spec) => new OrderStrategy(spec.order, spec.sync),
  parallel: () => false,
  oneSeed: true,
};
