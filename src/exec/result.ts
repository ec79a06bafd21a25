import type { Dep } from '../sync/lockdep-graph.js';

/** What one execution produced, whichever executor ran it. */
import type { Violation } from '../rt/violation.js';
import type { ScenarioError } from '../rt/errors.js';
import type { StopLimit } from './limits.js';
import type { Schedule } from './strategy.js';
import type { TraceLine } from '../rt/trace.js';
import type { RareNote } from './rare.js';

/** An execution a harness limit stopped while it was still running: no verdict about the model. */
export interface Incomplete {
  limit: StopLimit;
  /** What was seen when it stopped, e.g. "still making progress: 61,523 progress marks in the last 20 s". */
  note: string;
}

export interface ExecutionResult {
  seed: number;
  violation: Violation | null;
  /** With per-execution lockdep (a `--jobs` worker): the lock orders this execution took. */
  deps?: Dep[];
  /** Statistics summed over the tasks of each role: stats[role][name]. */
  stats: Record<string, Record<string, number>>;
  /** Ops recorded in the trace (the last step number). */
  steps: number;
  /** sim only: generator resumes the scheduler made (every op boundary, blocked retries included). */
  scheduled?: number;
  /** sim with keepTrace: every op still in the trace rings, in order. */
  trace?: TraceLine[];
  /** sim with keepSchedule: the choices that replay this execution. */
  schedule?: Schedule;
  /** sim: what the strategy noted of this execution for the run's section (pct: the k its change points were drawn over, its tasks and decisions). */
  strategyNote?: unknown;
  /** The scenario's own code threw (a role, setup() or check()): no verdict, and not the harness's failure. */
  scenarioError?: ScenarioError;
  /** The harness itself failed (a worker crashed, a role that never yields, a hang it could not explain). */
  harnessError?: string;
  /** threads, a finding: the task of every step in the order the steps began (the sim replays it). */
  order?: Uint8Array;
  /** threads, a finding: per task, the store of each shared word each access read or made (sync-record.ts), for an exact replay. */
  sync?: Int32Array[];
  /** A finding's schedule as a guide: shrunk (unless --no-shrink), with the token that replays it. */
  shrink?: ShrinkResult;
  /**
   * dfs: stopped early because every way on only reorders independent ops of a schedule
   * already explored; or, under --memory weak, stopped as unfair: every task that could run
   * kept re-reading a store older than the newest (exec/spin.ts readsOlderStore), no verdict.
   */
  pruned?: boolean;
  /** Pruned as unfair (under --memory weak, see `pruned`): the run counts these apart and says so. */
  unfair?: boolean;
  /** `--schedule`: where the execution departed from its token (or that it ended with the token unused); it then has no verdict. */
  departure?: string;
  /** sim with maxSteps (a shrink attempt): stopped at that many scheduling steps, without a verdict. */
  overran?: number;
  /** Set when a harness limit stopped the execution before it ended; it then has no verdict. */
  incomplete?: Incomplete;
  /** sim: the rare events the execution met and which of them happened (forced placement, a token's list). */
  rare?: RareNote;
}

/** An execution that ends its run: a finding, or no verdict (the scenario's or the harness's error, a limit). */
export function endsRun(r: ExecutionResult): boolean {
  return Boolean(r.violation || r.harnessError || r.scenarioError || r.incomplete);
}

/** Add `from` into `into` under `prefix`: counters add up, stats named max* keep the largest. */
export function mergeStats(into: Record<string, number>, from: Record<string, number>, prefix = ''): void {
  for (const k in from) {
    const v = from[k];
    const key = prefix + k;
    into[key] = k.startsWith('max') ? Math.max(into[key] ?? Number.NEGATIVE_INFINITY, v) : (into[key] ?? 0) + v;
  }
}

export function addStats(into: Record<string, Record<string, number>>, role: string, stats: Record<string, number>): void {
  into[role] ??= {};
  mergeStats(into[role], stats);
}

/** How a finding's schedule was shrunk (shrink.ts). */
export interface ShrinkResult {
  from: { preemptions: number; steps: number };
  to: { preemptions: number; steps: number };
  /** Executions tried while shrinking. */
  attempts: number;
  /** The attempt budget ran out before no departure could be dropped. */
  capped: boolean;
  /** What stopped it early, when it was (`capped`): "its 400 tries", "its share of the run's time". */
  stopped?: string;
  /** The bounds it ran under, in words: each try's steps, the tries, the steps and time in all. */
  bounds: string;
  /** Why the schedule is reported as found, when it is: '--no-shrink', or 'nothing to drop' (it never departs from the default). */
  asFound?: string;
  /** The token of the shrunk schedule: `--schedule <token>` replays it. */
  token: string;
}

/** A threads finding replayed in sim (reproduce.ts): whether the sim met the same violation. */
export interface Reproduction {
  /** same: the same violation at the same op; other-op: the same violation elsewhere; diverged: another outcome; unrecorded: no step order to replay. */
  verdict: 'same' | 'other-op' | 'diverged' | 'unrecorded';
  /** One line for the report. */
  line: string;
  /** The token of the sim execution (`--schedule`), when the sim found a violation. */
  token: string | null;
  /** Recorded steps the sim passed over (failed retries of a lock in threads). */
  recorded: number;
}
