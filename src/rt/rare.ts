/**
 * The seam through which a scenario asks "does rare event E happen here?" (a kswapd
 * wake-up at this topup, a memslot update after this fault, ...), instead of flipping its
 * own coin. Each call is one opportunity of E at the host rate 1/every.
 *
 * Without an answer from the executor (threads, and sim in `--rare sampled`) it is the
 * coin the scenarios always flipped: the task's own generator, true with probability
 * 1/every, so those executions are the same as before. The sim in forced placement
 * (exec/rare.ts) answers instead: it places a bounded number of each event at chosen
 * opportunities, or replays the placements a schedule token lists.
 */

/** A rare event, as a report names it: "with <what> once in <every> <per> (<param>=<every>)". */
export interface RareEvent {
  /** Its name in a replay token and the JSON: lower case, digits and '-' ('kswapd-wake'). */
  readonly name: string;
  /** What happens, in a few words ('kswapd woken'). */
  readonly what: string;
  /** What one opportunity is, plural ('cache topups'). */
  readonly per: string;
  /** The scenario parameter that sets its rate ('shrinkEvery'). */
  readonly param: string;
}

/** What the seam needs of the asking task (rt/task.ts's Task is one): its executor's answer, if any, and its own random numbers. */
export interface RareTask {
  readonly hooks: { readonly rare?: RareAnswer };
  rng(): number;
}

/** How an executor answers the seam for an execution (sim: exec/rare.ts). */
export interface RareAnswer {
  /** One opportunity of `ev` (host rate 1/every, every >= 2) in task `t`: does it happen? */
  happens(ev: RareEvent, every: number, t: RareTask): boolean;
}

/** Events already checked (a scenario's events are a few constants: each is checked once). */
const checked = new WeakSet<RareEvent>();

/**
 * A scenario's own mistake, thrown in its role (and so reported as the scenario's error, at
 * its line): a name a replay token cannot carry, or a rate that is not one in a whole number.
 */
function check(ev: RareEvent, every: number): void {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`rare(): the rate of '${ev.name}' is one in ${every}: give a whole number of opportunities, 1 or more`);
  if (checked.has(ev)) return;
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(ev.name)) throw new RangeError(`rare(): the event name '${ev.name}' must be lower case letters, digits and '-' (it is written into replay tokens)`);
  checked.add(ev);
}

/** Does `ev`, one in `every` opportunities at the host rate, happen at this one (in task `self`)? */
export function rare(self: RareTask, ev: RareEvent, every: number): boolean {
  check(ev, every);
  if (every === 1) return true;
  const answer = self.hooks.rare;
  if (answer !== undefined) return answer.happens(ev, every, self);
  return self.rng() * every < 1;
}
