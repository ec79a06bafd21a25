/**
 * Schedule shrinking (as Lincheck and Shuttle minimise a failure): a failing sim
 * execution, rewritten as a guide (the places where its schedule departs from "let
 * the last task go on"), loses its departures one at a time, preemptions first, for
 * as long as the execution still ends in the same violation: the same kind, hit by
 * the same task, in the same model function. What is left is a schedule with the
 * fewest preemptions this greedy search finds, then the fewest steps, and a token
 * that replays it.
 *
 * Shrinking never hangs: a candidate is stopped, with no verdict, once it has run
 * SHRINK_STEP_FACTOR times as many scheduling steps as the execution it shrinks (a
 * dropped departure can leave a task spinning where the found schedule had switched
 * away); the candidates together get at most SHRINK_ATTEMPTS tries, SHRINK_STEPS
 * scheduling steps, and a share of what is left of the run's time. When
 * one of those stops it, the result says which (`stopped`), and always what the bounds
 * were (`bounds`).
 */
import { newLockGraph } from '../sync/lockdep-graph.js';
import type { Violation } from '../rt/violation.js';
import type { Params, ScenarioDef } from '../scenario.js';
import type { ExecutionResult, ShrinkResult } from './result.js';
import { simExecution } from './sim.js';
import { GuidedStrategy, GuideRecorder, guideToken, scheduleFit } from './strategies/guided.js';
import type { Guide, Strategy } from './strategy.js';
import { STOP_DEADLINE } from './frame.js';
import { ListedRare } from './rare.js';
import { grouped } from '../report/numbers.js';

/** How many candidate executions one shrink may try. */
export const SHRINK_ATTEMPTS = 400;
/** How many scheduling steps all the candidates of one shrink may take together (long executions get fewer tries). */
export const SHRINK_STEPS = 1_000_000;
/** A candidate may run this many times the found execution's scheduling steps (plus SHRINK_STEP_SLACK) before it is stopped. */
export const SHRINK_STEP_FACTOR = 2;
export const SHRINK_STEP_SLACK = 1024;
/**
 * The share of the run's time a shrink may use. Its tries are a fixed number, not a share
 * of the run's executions: a finding must shrink to the same schedule whether it was found
 * in a run of 1 execution or of 300, on one sim worker or several.
 */
export const SHRINK_SHARE = 0.5;

/** What makes two violations the same one: kind, task and the first model function the message names. */
export function violationSignature(v: Violation): string {
  const fn = /([A-Za-z_][A-Za-z0-9_]*)\(\)/.exec(v.message)?.[1] ?? '';
  return `${v.kind}|${v.task}|${fn}`;
}

interface Ctx<W> {
  def: ScenarioDef<W>;
  params: Params;
  variant: string;
  lockdep: boolean;
  /** The run's livelock and starvation window: the verdicts must be judged alike. */
  windowSteps: number;
  poll?: () => number;
  memory?: 'sc' | 'weak';
  /** A candidate stops, without a verdict, past this many scheduling steps. */
  maxSteps?: number;
}

function runGuided<W>(c: Ctx<W>, g: Guide): { r: ExecutionResult; s: GuidedStrategy } {
  const s = new GuidedStrategy(g);
  const lockGraph = newLockGraph(c.def, g.seed, 'report', c.lockdep, c.variant);
  const rare = g.rare ? new ListedRare(g.rare) : undefined;
  const r = simExecution(c.def, c.params, c.variant, g.seed, s, { windowSteps: c.windowSteps, lockGraph, poll: c.poll, memory: c.memory, maxSteps: c.maxSteps, rare });
  return { r, s };
}

/** The guide, with the weak loads that returned an older store if there were any, and the rare events that happened if they were listed. */
function withLoads(g: Guide, loads: [number, number][], rare?: [string, number][]): Guide {
  return { ...g, ...(loads.length ? { loads } : {}), ...(rare ? { rare } : {}) };
}

/**
 * Shrink the execution of `seed` that `strategy` (fresh, as it was when it ran it)
 * produces and that ended in `found`. Returns the shrunk result with its execution,
 * or null when the execution does not replay as a guide to the same violation.
 */
export function shrinkExecution<W>(
  def: ScenarioDef<W>,
  params: Params,
  variant: string,
  seed: number,
  strategy: Strategy,
  found: Violation,
  /**
   * attempts: at most this many candidates (default SHRINK_ATTEMPTS; 0 only turns the schedule into a token), and
   * timeMs: the share of the run's time the whole shrink may take.
   */
  opts: { lockdep: boolean; poll?: () => number; attempts?: number; timeMs?: number | null; windowSteps: number; memory?: 'sc' | 'weak'; rare?: [string, number][] },
): { shrink: ShrinkResult; result: ExecutionResult } | null {
  const want = violationSignature(found);
  const until = opts.timeMs != null ? performance.now() + opts.timeMs : null;
  let outOfTime = false;
  // the run's own limits, and the shrink's share of its time: a candidate stopped by either has no verdict
  const poll = (): number => {
    const stop = opts.poll?.() ?? 0;
    if (stop !== 0) return stop;
    if (until !== null && performance.now() > until) {
      outOfTime = true;
      return STOP_DEADLINE;
    }
    return 0;
  };
  const rec = new GuideRecorder(strategy);
  // the rare events happen where they happened (the schedule's departures are what is dropped)
  const rare = opts.rare;
  const first = simExecution(def, params, variant, seed, rec, {
    lockGraph: newLockGraph(def, seed, 'report', opts.lockdep, variant),
    poll: opts.poll,
    windowSteps: opts.windowSteps,
    memory: opts.memory,
    rare: rare ? new ListedRare(rare) : undefined,
  });
  if (!first.violation || violationSignature(first.violation) !== want) return null;
  const fromSteps = first.scheduled ?? 0;
  const maxSteps = fromSteps * SHRINK_STEP_FACTOR + SHRINK_STEP_SLACK;
  const c: Ctx<W> = { def, params, variant, lockdep: opts.lockdep, windowSteps: opts.windowSteps, poll, memory: opts.memory, maxSteps };
  // a weak load's older store stays as found: only the schedule's departures are dropped
  let best: Guide = withLoads({ seed, entries: rec.ran.departures }, rec.ran.staleLoads, rare);
  let bestRun = runGuided(c, best);
  if (!bestRun.r.violation || violationSignature(bestRun.r.violation) !== want) return null; // the guide must replay it
  const from = { preemptions: rec.ran.preemptedAt.length, steps: fromSteps };
  let attempts = 1;
  let capped = false;
  const most = opts.attempts ?? SHRINK_ATTEMPTS;
  let spent = 0;
  let stopped: string | undefined;
  const n = (x: number) => grouped(x);
  const bounds =
    `each try at most ${n(maxSteps)} scheduling steps (${SHRINK_STEP_FACTOR}x the finding's ${n(fromSteps)}, +${SHRINK_STEP_SLACK}); ` +
    `at most ${most} tries, ${n(SHRINK_STEPS)} steps in all` +
    (opts.timeMs != null ? `, and ${n(Math.round(opts.timeMs))} ms (half of what was left of --time)` : '');

  /** Is `run` the same bug and no worse: fewer preemptions, or as many and no more steps. */
  const better = (run: ReturnType<typeof runGuided>): boolean => {
    if (!run.r.violation || violationSignature(run.r.violation) !== want) return false;
    const p = run.s.ran.preemptedAt.length;
    const q = bestRun.s.ran.preemptedAt.length;
    return p < q || (p === q && (run.r.scheduled ?? 0) <= (bestRun.r.scheduled ?? 0));
  };
  /**
   * Drop the departures `droppable` selects, in runs of `size` and then smaller runs
   * (delta debugging), keeping each drop that leaves the same bug and is no worse.
   */
  const pass = (droppable: (step: number) => boolean): boolean => {
    let changed = false;
    // all of them at once first (often the bug needs none of them), then halves, quarters, ... single ones
    for (let size = Math.max(1, best.entries.length); size >= 1; size = size === 1 ? 0 : Math.ceil(size / 2)) {
      for (let start = 0; start < best.entries.length; ) {
        const limit = opts.poll?.() ?? 0;
        if (attempts > most || spent > SHRINK_STEPS || limit !== 0 || poll() !== 0) {
          capped = true;
          stopped =
            limit !== 0 ? 'a limit of the run' : outOfTime ? "its share of the run's time" : attempts > most ? `the ${most} tries` : `the ${n(SHRINK_STEPS)} steps`;
          return changed;
        }
        const drop = new Set<number>();
        for (let k = start; k < Math.min(start + size, best.entries.length); k++) if (droppable(best.entries[k][0])) drop.add(k);
        if (drop.size === 0) {
          start += size;
          continue;
        }
        attempts++;
        const run = runGuided(c, withLoads({ seed, entries: best.entries.filter((_, j) => !drop.has(j)) }, best.loads ?? [], rare));
        spent += run.r.scheduled ?? 0;
        if (better(run)) {
          // keep what really ran: a departure that no longer applied is gone from it
          best = withLoads({ seed, entries: run.s.ran.departures }, run.s.ran.staleLoads, rare);
          bestRun = run;
          changed = true;
        } else start += size;
      }
    }
    return changed;
  };
  if (most === 0) capped = true;
  // preemptions first (a departure that switched away from a task that could go on), then any departure
  while (!capped && pass((step) => bestRun.s.ran.preemptedAt.includes(step))) {
    /* until no preemption can go */
  }
  while (!capped && pass(() => true)) {
    /* until no departure can go */
  }
  const r = bestRun.r;
  return {
    shrink: {
      from,
      to: { preemptions: bestRun.s.ran.preemptedAt.length, steps: r.scheduled ?? 0 },
      attempts,
      capped,
      ...(stopped && most > 0 ? { stopped } : {}),
      bounds,
      ...(most === 0 ? { asFound: '--no-shrink' } : rec.ran.departures.length === 0 ? { asFound: 'nothing to drop' } : {}),
      // the token carries the check of what it was recorded on: --schedule refuses it elsewhere
      token: guideToken({ ...best, fit: scheduleFit(def, params, variant) }),
    },
    result: r,
  };
}
