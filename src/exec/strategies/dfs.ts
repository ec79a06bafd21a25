/**
 * `dfs`: bounded exhaustive search (CHESS's iterative context bounding, as loom and
 * Shuttle's DFS): every schedule of one seed with at most `preemptions` preemptions,
 * each run from the start (stateless), depth first.
 *
 * A preemption is a switch away from a task that could have gone on: it is runnable
 * and its last step was not an IDLE (a spin-wait or cond_resched() gives the CPU away
 * for free). A task that just yielded IDLE is not picked again until another task has
 * stepped: its step only looked and found nothing to do, so running it twice in a row
 * reaches nothing new, and the search stays finite.
 *
 * Sleep sets (Godefroid) skip schedules that only reorder independent ops: once a
 * branch t has been explored at a node, the later branches there carry t asleep, and
 * t stays asleep down a path until a step that touches what t's step touches (its
 * footprint: the words it read and wrote, lock words included). Sleep sets and a
 * preemption bound do not mix freely (Coons, Musuvathi, McKinley, "Bounded
 * partial-order reduction", OOPSLA 2013): the explored equivalent of a pruned
 * schedule may need more preemptions than the bound allows. So an explored branch t
 * goes to sleep in a later sibling u only when moving t's step to the front of a
 * schedule that begins with u can add no preemption: choosing t costs no more than u
 * did, counting one more for t when it could go on after its step (the switch from t
 * to u). Then the reduced search still reaches every state the unreduced one reaches
 * within the same bound (test/dfs.test.ts checks this against `--reduction none` on
 * the final states of every schedule).
 *
 * Merged steps (`--reduction merge`, the default): after a step the model marked
 * (rt/step-merge.ts: a topup's fill loop on a cache no other task can change meanwhile)
 * or one that touched no shared word, the same task goes on with no decision, and the
 * two are one step to the sleep sets (the branch's footprint runs to the end of the
 * merged run). Moving such a step later, next to its task's next step, changes no state
 * and adds no preemption, so no reachable verdict is lost (docs/exploration.md, "dfs
 * reductions"). The choice is still made through pick(), so a token records it.
 *
 * Memory: the path is a stack of decisions, each with its options and the footprints of
 * its explored branches, so it grows with an execution's length (a long execution made
 * gigabytes). Only the first DFS_MAX_DECISIONS decisions of an execution are kept and
 * branched on; past them the execution goes on by the default schedule (the last task
 * goes on if it can, else the next in the ring), with no footprints noted. The search
 * is then exhaustive over those first decisions only, and the report says so.
 */
import { type Footprint, FootprintMemory, independent } from '../footprint.js';
import { stepMerge, takeMergeHint } from '../../rt/step-merge.js';
import type { SharedMemory } from '../../rt/shared.js';
import { IDLE, POINT } from '../../rt/op.js';
import { BadInput } from '../../rt/errors.js';
import { type ExecutionEnd, PRUNE, type Strategy, type StrategyEntry, type StrategySpec } from '../strategy.js';
import { couldGoOn, defaultPick } from './guided.js';
import { grouped } from '../../report/numbers.js';

/** The most decisions (scheduling and weak-load choices) of one execution dfs keeps and branches on. */
export const DFS_MAX_DECISIONS = 50_000;

/** An explored branch of a node: the task chosen, what its step touched, and whether it could go on after it. */
interface Branch {
  task: number;
  fp: Footprint;
  /** After its step the task blocked, idled or ended: the switch after it costs nothing. */
  free: boolean;
  cost: number;
}

/** One scheduling decision on the current path. */
interface Node {
  /** Tasks that may run here, the current task first, then by id. */
  options: number[];
  /** Preemption cost of each option (1: it switches away from a task that could go on). */
  cost: number[];
  /** Preemptions taken before this decision. */
  before: number;
  /** The option being explored. */
  at: number;
  /** The footprint and freedom of the option being explored (its first step), once taken. */
  taken: Branch | null;
  /** Options already explored, with their first step. */
  done: Branch[];
  /** Branches asleep when the path reached this node. */
  sleep: Branch[];
}

/** none: every schedule; sleep: sleep sets; merge: sleep sets over steps merged where no other task can tell (the default). */
export type DfsReduction = 'merge' | 'sleep' | 'none';

export interface DfsSummary {
  preemptions: number;
  reduction: DfsReduction;
  /** Executions that ran to their end: the schedules explored. */
  schedules: number;
  /** Executions stopped early because every way on was asleep (equivalent to an explored one). */
  pruned: number;
  /** Branches the sleep sets skipped at a decision. */
  slept: number;
  /** Branches the preemption bound cut. */
  cut: number;
  /** The bounded space was searched to its end. */
  exhausted: boolean;
  /** Most preemptions on a schedule explored. */
  maxPreemptions: number;
  /** The decisions of an execution the search branches on (DFS_MAX_DECISIONS); past them it follows the default schedule. */
  depthBound: number;
  /** Executions that went past depthBound: the space searched is exhaustive over their first depthBound decisions only. */
  beyond: number;
  /** Boundaries passed without a decision because the model said no other task could tell (reduction merge). */
  merged: number;
  /** Topups that met an empty pool: outside what the merged fill's argument covers (docs/exploration.md). */
  dryFills: number;
  /** Emptyings of a cache by a task its declared sharing rules out: outside that argument too. */
  brokenSharing: number;
  /** The last of them, in words. */
  brokenSharingNote?: string;
}

export class DfsStrategy implements Strategy {
  readonly name = 'dfs';
  private readonly stack: Node[] = [];
  private depth = 0;
  private asleep: Branch[] = [];
  /** The task that stepped last, whether its step was an IDLE, and the node whose choice it was (null if forced). */
  private cur = -1;
  private curIdle = false;
  private pending: Node | null = null;
  /** A sleeping task was forced to step: everything on from here is redundant. */
  private redundant = false;
  private preempted = 0;
  /** This execution went past DFS_MAX_DECISIONS: it follows the default schedule, unrecorded. */
  private past = false;
  private readonly counts: DfsSummary;
  /** The memory the model goes through while sleep sets need each step's footprint. */
  private readonly footprints = new FootprintMemory();
  /** The task whose last step ended at a boundary merged with its next step (reduction merge): it goes on, no decision; -1: none. */
  private stay = -1;
  /** The node whose branch is a merged run still going on (null: none, or a run no decision began). */
  private unit: Node | null = null;
  /** Accesses the footprint had noted when the current step began (FootprintMemory.size). */
  private noted = 0;

  constructor(
    readonly preemptions: number,
    readonly reduction: DfsReduction = 'merge',
  ) {
    this.counts = {
      preemptions,
      reduction,
      schedules: 0,
      pruned: 0,
      slept: 0,
      cut: 0,
      exhausted: false,
      maxPreemptions: 0,
      depthBound: DFS_MAX_DECISIONS,
      beyond: 0,
      merged: 0,
      dryFills: 0,
      brokenSharing: 0,
    };
  }

  /** Every execution runs the data of the first seed: the search is over its schedules. */
  seedOf(_k: number, first: number): number {
    return first;
  }

  /** An execution that ran to its end (none a limit stopped) is counted: a schedule explored, or one pruned. */
  ended(r: ExecutionEnd): undefined {
    if (!r.incomplete && !r.harnessError) this.finished(r.pruned === true);
  }

  another(): boolean {
    return this.advance();
  }

  summary(): DfsSummary {
    return this.result();
  }

  start(): void {
    this.depth = 0;
    this.asleep = [];
    this.cur = -1;
    this.curIdle = false;
    this.pending = null;
    this.redundant = false;
    this.preempted = 0;
    this.past = false;
    this.stay = -1;
    this.unit = null;
    this.noted = 0;
    stepMerge.task = -1;
    this.dryAtStart = stepMerge.dryFills;
    this.brokenAtStart = stepMerge.brokenSharing;
  }

  private dryAtStart = 0;
  private brokenAtStart = 0;

  /** Past the decisions kept: stop noting footprints (nothing sleeps or branches from here on). */
  private goPast(): void {
    this.past = true;
    this.counts.beyond++;
    this.pending = null;
    this.asleep = [];
    this.footprints.unwatch();
  }

  memory(i32: Int32Array, modelBase: number): SharedMemory | undefined {
    if (this.reduction === 'none') return undefined;
    this.footprints.watch(i32, modelBase);
    return this.footprints;
  }

  end(): void {
    this.footprints.unwatch();
    this.counts.dryFills += stepMerge.dryFills - this.dryAtStart;
    if (stepMerge.brokenSharing > this.brokenAtStart) {
      this.counts.brokenSharing += stepMerge.brokenSharing - this.brokenAtStart;
      this.counts.brokenSharingNote = stepMerge.brokenSharingNote;
    }
  }

  pick(n: number, runnable: Int32Array): number {
    if (this.redundant) return PRUNE;
    if (!this.past && this.depth >= DFS_MAX_DECISIONS) this.goPast();
    if (this.past) return defaultPick(this.cur, this.curIdle, n, runnable);
    if (this.stay >= 0) {
      // the last step ended where no other task can tell a switch from going on: no decision
      for (let c = 0; c < n; c++) {
        if (runnable[c] === this.stay) {
          this.counts.merged++;
          return c;
        }
      }
    }
    let node: Node;
    if (this.depth < this.stack.length) {
      node = this.stack[this.depth]; // replaying the prefix of the branch being explored
    } else {
      const made = this.newNode(n, runnable);
      if (!made) return PRUNE;
      node = made;
      this.stack.push(node);
    }
    this.depth++;
    const task = node.options[node.at];
    this.preempted = node.before + node.cost[node.at];
    this.pending = node;
    for (let c = 0; c < n; c++) if (runnable[c] === task) return c;
    throw new Error(`dfs: the schedule diverged: task ${task} is not runnable at decision ${this.depth - 1}`);
  }

  private newNode(n: number, runnable: Int32Array): Node | null {
    const curRuns = couldGoOn(this.cur, this.curIdle, n, runnable);
    const options: number[] = [];
    const cost: number[] = [];
    const order = Array.from(runnable.subarray(0, n)).sort((a, b) => (a === this.cur ? -1 : b === this.cur ? 1 : a - b));
    for (const task of order) {
      if (task === this.cur && this.curIdle && n > 1) continue; // it only waited: let another go first
      // after an IDLE, nothing sleeps: the schedule that ran a sleeper first would put the
      // idle task's next step right after its IDLE, which the rule above never explores
      if (!this.curIdle && this.asleep.some((b) => b.task === task)) {
        this.counts.slept++;
        continue;
      }
      const c = curRuns && task !== this.cur ? 1 : 0;
      if (this.preempted + c > this.preemptions) {
        this.counts.cut++;
        continue;
      }
      options.push(task);
      cost.push(c);
    }
    if (options.length === 0) return null;
    return { options, cost, before: this.preempted, at: 0, taken: null, done: [], sleep: this.asleep };
  }

  stepped(task: number, result: number): void {
    const node = this.pending ?? this.unit;
    this.pending = null;
    this.cur = task;
    this.curIdle = result === IDLE;
    // a boundary the model marked (rt/step-merge.ts), or one after a step that touched no
    // shared word at all, where the task could go on: the next step is this one's
    // continuation, and both are one step to the search
    const hinted = takeMergeHint(task);
    const silent = this.footprints.size() === this.noted;
    const merging = (hinted || silent) && this.reduction === 'merge' && result === POINT && !this.past;
    this.stay = merging ? task : -1;
    if (this.reduction === 'none' || this.past) return;
    if (merging) {
      // the footprint goes on accumulating to the end of the merged run: a sibling put to sleep
      // against this branch is checked against all of it
      this.unit = node;
      this.noted = this.footprints.size();
      return;
    }
    this.unit = null;
    const fp = this.footprints.take();
    this.noted = 0;
    if (node) {
      node.taken ??= { task, fp, free: result !== POINT, cost: node.cost[node.at] };
      const mine = node.cost[node.at];
      // the siblings explored before this one sleep down its path when moving them to the front costs no extra
      // preemption: choosing b costs b.cost, and one more after it if b could go on (the switch to this branch)
      const wake = node.done.filter((b) => b.cost + (b.free ? 0 : 1) <= mine);
      // the task that ran wakes (after an IDLE a sleeper may be the one picked)
      this.asleep = [...node.sleep, ...wake].filter((b) => b.task !== task && independent(b.fp, fp));
    } else {
      if (this.asleep.some((b) => b.task === task)) this.redundant = true; // forced: only a sleeping task could run
      this.asleep = this.asleep.filter((b) => b.task !== task && independent(b.fp, fp));
    }
  }

  /** The execution that just ended: count it. */
  finished(pruned: boolean): void {
    if (pruned) this.counts.pruned++;
    else {
      this.counts.schedules++;
      this.counts.maxPreemptions = Math.max(this.counts.maxPreemptions, this.preempted);
    }
  }

  /**
   * Under --memory weak, which store a load returns: a decision of its own, every option
   * explored, no preemption. (The run turns sleep sets off with weak memory: a fence
   * changes what later loads may return without touching a word a footprint sees.)
   */
  choose(n: number): number {
    if (!this.past && this.depth >= DFS_MAX_DECISIONS) this.goPast();
    if (this.past) return 0;
    let node: Node;
    if (this.depth < this.stack.length) node = this.stack[this.depth];
    else {
      const options = Array.from({ length: n }, (_, k) => k);
      node = { options, cost: options.map(() => 0), before: this.preempted, at: 0, taken: null, done: [], sleep: this.asleep };
      this.stack.push(node);
    }
    this.depth++;
    return node.options[node.at];
  }

  /** Move to the next unexplored branch; false once the bounded space is exhausted. */
  advance(): boolean {
    // a decision past the current depth was never reached on this path (it ended sooner)
    this.stack.length = Math.min(this.stack.length, this.depth);
    while (this.stack.length > 0) {
      const node = this.stack[this.stack.length - 1];
      if (node.taken) node.done.push(node.taken);
      node.taken = null;
      node.at++;
      if (node.at < node.options.length) return true;
      this.stack.pop();
    }
    this.counts.exhausted = true;
    return false;
  }

  /** The decisions on the path kept now (at most DFS_MAX_DECISIONS): what dfs's memory grows with. */
  get kept(): number {
    return this.stack.length;
  }

  result(): DfsSummary {
    return { ...this.counts };
  }
}

export interface DfsSpec extends StrategySpec {
  name: 'dfs';
  preemptions: number;
  reduction: DfsReduction;
}

/** The parameters a proof is for, as `name=value` (the run's, every one: a small scope like capacity=14 shows). */
function paramText(params: Record<string, unknown> | undefined): string {
  const kv = Object.entries(params ?? {}).map(([k, v]) => `${k}=${v}`);
  // a scenario without parameters: say so, rather than end the line on a bare 'params'
  return kv.length ? kv.join(' ') : '(none)';
}

/** What a dfs run covered, in words; a clean exhausted search is a proof for its bound. */
export function dfsText(d: DfsSummary, seed: number, found: boolean, params?: Record<string, unknown>, memory: 'sc' | 'weak' = 'sc'): string[] {
  const n = (x: number) => grouped(x);
  const out = [
    `dfs, at most ${d.preemptions} preemption${d.preemptions === 1 ? '' : 's'}, the data of seed ${seed}: ${n(d.schedules)} schedules explored (the most preemptions on one: ${d.maxPreemptions})`,
    d.reduction === 'none'
      ? `  no reduction (${memory === 'weak' ? 'weak memory: a fence changes what later loads may return without touching a word a footprint sees' : '--reduction none'}); the bound cut ${n(d.cut)} branches`
      : `  sleep sets skipped ${n(d.slept)} branches that only reorder independent ops (${n(d.pruned)} executions stopped early); the bound cut ${n(d.cut)}`,
  ];
  if (d.reduction === 'merge') {
    out.push(`  ${n(d.merged)} op boundaries passed without a decision: steps no other task can tell apart merged into one (--reduction merge; docs/exploration.md)`);
    if (d.dryFills > 0) out.push(`  ${n(d.dryFills)} topups met an empty pool, which the merged fill's argument does not cover: rerun with --reduction sleep for a proof`);
    if (d.brokenSharing > 0) {
      out.push(`  ${n(d.brokenSharing)} emptyings broke a cache's declared sharing (${d.brokenSharingNote}), which the merged fill's argument relies on: rerun with --reduction sleep for a proof`);
    }
  }
  if (d.beyond > 0) {
    out.push(
      `  ${n(d.beyond)} execution${d.beyond === 1 ? '' : 's'} went past ${n(d.depthBound)} decisions: past them an execution follows the default schedule, so the search covers only each execution's first ${n(d.depthBound)} decisions (what bounds dfs's memory)`,
    );
  }
  if (found) out.push('  the search stopped at the first violation');
  else if (d.exhausted && d.reduction === 'merge' && (d.dryFills > 0 || d.brokenSharing > 0)) {
    out.push(`  the merged space was exhausted, but ${d.dryFills > 0 ? 'a pool ran dry in it' : "a cache's declared sharing was broken in it"}: NOT a proof (rerun with --reduction sleep)`);
  } else if (d.exhausted) {
    out.push(`bounded space exhausted: ${n(d.schedules)} schedules, preemptions ≤ ${d.preemptions}, seed ${seed}, reduction ${d.reduction}, memory ${memory}, params ${paramText(params)}`);
    out.push(
      // a proof under sc memory says nothing of the reorderings --memory weak explores, so the line names the model
      `  the bounded space was exhausted: no schedule of seed ${seed} with at most ${d.preemptions} preemptions reaches a violation, for these parameters under ${memory === 'weak' ? 'the weak memory model' : 'sequentially consistent memory (--memory sc)'} (a proof for that bound, not beyond it;`,
      '  a task that yields IDLE, or spin-waits re-reading unchanged words, is not run twice in a row while another task can run, so a role that counts its own IDLEs is covered only as far as that allows)',
    );
  } else out.push('  NOT exhausted: the budget ended the search first (raise --time or --executions); no proof');
  return out;
}

export const dfs: StrategyEntry<DfsSpec, 'dfs'> = {
  name: 'dfs',
  help: 'every schedule of the seed up to --preemptions (dfs)',
  flags: {
    preemptions: { value: 'P', help: 'dfs: explore every schedule with at most P preemptions, 0..20 (default 2)' },
    reduction: {
      value: 'merge|sleep|none',
      help: 'dfs: skip schedules that only reorder independent ops, over steps merged where no other task can tell (merge, default), over single steps (sleep), or explore them all (none)',
    },
  },
  options: (flag, { memory, whole }) => {
    // under weak memory a barrier changes what later loads may return without touching a word a
    // footprint sees, so dfs explores without sleep sets there
    const asked = flag('reduction');
    if (memory === 'weak' && (asked === 'sleep' || asked === 'merge')) throw new BadInput(`--reduction ${asked} does not go with --memory weak (dfs explores every schedule there)`);
    const reduction = asked ?? (memory === 'weak' ? 'none' : 'merge');
    if (reduction !== 'merge' && reduction !== 'sleep' && reduction !== 'none') throw new BadInput(`--reduction must be merge, sleep or none, not '${reduction}'`);
    return { name: 'dfs', preemptions: whole('preemptions', flag('preemptions') ?? '2', 0, 20), reduction };
  },
  // under weak memory a fence changes what later loads may return without touching a word a
  // footprint records, so sleep sets would not be sound there: dfs explores every schedule
  create: (spec, { memory }) => new DfsStrategy(spec.preemptions, memory === 'weak' ? 'none' : spec.reduction),
  parallel: () => false,
  oneSeed: true,
  watchesMemory: (spec) => spec.reduction !== 'none',
  section: (_spec, run) => run.summary,
  lines: (section, run) => dfsText(section as DfsSummary, run.firstSeed, run.violation, run.params, run.memory),
  // a finding without a token (not replayable alone: a cycle lockdep closed over several
  // schedules) replays by running the same search again, which is deterministic
  replayFlags: (spec) => ['--strategy dfs', `--preemptions ${spec.preemptions}`, `--reduction ${spec.reduction}`],
};
