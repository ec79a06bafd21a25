/**
 * How a scenario is declared (jcstress-style): its roles, its parameters, and its
 * variants, each graded with the outcome it must produce.
 */
import type { KnownOrder } from './sync/lockdep-graph.js';
import type { Violation, ViolationKind } from './rt/violation.js';
import { IDLE, type Op } from './rt/op.js';
import type { Task } from './rt/task.js';
import type { Arena } from './shm/arena.js';

export type Params = Record<string, number>;

export interface VariantDef {
  /** 'ok', or the violation kind this variant must produce. */
  expect: 'ok' | ViolationKind;
  /** A kernel commit or patch, or `mutation: ...` for a deliberate bug. */
  source: string;
  /** One line: what this variant does differently. */
  summary: string;
  /**
   * Parameters this variant runs with unless the user sets them, over the scenario's
   * (e.g. the allocation-failure rate an error-path bug needs to show at all).
   */
  params?: Params;
  /**
   * weak: the bug is an ordering one that only the weak memory model shows, so sim runs
   * this variant with `--memory weak` unless told otherwise (threads are always SC, and
   * a campaign runs such a variant in sim only).
   */
  memory?: 'weak';
  /**
   * The documented lock orders of the era this variant reproduces, replacing the
   * scenario's `lockOrder` (e.g. a rule a later commit turned round): give the commit.
   */
  lockOrder?: readonly KnownOrder[];
  /** This variant's campaign sim row, over the scenario's `campaign` (see CampaignBudget). */
  campaign?: CampaignBudget;
}

/**
 * What a campaign's sim row of a variant runs: a number of executions from the campaign's
 * seed, the same on every machine (sim is deterministic), so the row's verdict is too.
 * A bug variant's is several times what its bug needs from seed 1 (measured, written
 * beside it); a clean variant's is the evidence its row buys. Time only caps the row
 * (`campaign --time-per-variant`): a row the cap stops first is incomplete.
 */
export interface CampaignBudget {
  executions: number;
}

/** A variant's campaign sim row when neither it nor its scenario says: the number of executions. */
export const DEFAULT_CAMPAIGN_EXECUTIONS = 100;

export interface RoleDef<W> {
  /** How many instances of this role an execution runs. */
  count(p: Params, variant: string): number;
  /** The task's name in traces and reports (default: role name + index). */
  name?(index: number, p: Params): string;
  run(world: W, self: Task, p: Params, variant: string): Op<void>;
}

export interface ScenarioDef<W = unknown> {
  name: string;
  /** What it models, which mailing-list thread (docs/sources.md), what it simplifies. */
  description: string;
  /** One line for `mmu-stress list` (default: the description's first sentence). */
  summary?: string;
  params: Params;
  paramHelp: Record<string, string>;
  /**
   * Parameters whose values have names, e.g. `vendor: ['intel', 'amd']`: the command line
   * takes the name (`--param vendor=amd`) and the model sees its index (1).
   */
  paramNames?: Record<string, string[]>;
  /** A reason when params are out of range (including their upper bounds), else null. */
  validate?(p: Params): string | null;
  variants: Record<string, VariantDef>;
  /** Lay the model out in the arena; deterministic, also called in every worker. */
  setup(arena: Arena, p: Params, variant: string): W;
  roles: Record<string, RoleDef<W>>;
  /**
   * What counts as progress, in a few words ("a fault that returns"), when the roles mark
   * it with `Task.progress()`. An execution whose tasks keep running without a progress
   * mark for a whole window (sim: a million scheduling steps; threads: `--watchdog`) is a
   * livelock. Without it, a long execution is never called a livelock: only a harness
   * limit ends it, as an incomplete execution.
   */
  progress?: string;
  /**
   * Documented lock orders, loaded into lockdep's graph before the run as known edges: an
   * execution that takes any pair the other way round closes a cycle at once, and the
   * report cites the rule.
   */
  lockOrder?: readonly KnownOrder[];
  /** Final arbiter once every role has ended; `step` is the last step of the execution. */
  check?(world: W, p: Params, variant: string, step: number): Violation | null;
  /** The campaign sim rows of its variants, unless a variant says otherwise (default 100 executions). */
  campaign?: CampaignBudget;
  /** Lines summarising the run's statistics, in kernel terms. */
  summarize?(stats: Record<string, number>, executions: number, clockUnit: 'steps' | 'us'): string[];
}

/** A validate() check: `name` must be a whole number in lo..hi (the reason if not, else null). */
export function wholeNumberIn(p: Params, name: string, lo: number, hi: number): string | null {
  const v = p[name];
  return Number.isInteger(v) && v >= lo && v <= hi ? null : `${name} must be a whole number in ${lo}..${hi}`;
}

/** A role with nothing to do for up to `max` op boundaries (a VMM between its ioctls): each an IDLE yield. */
export function* idleFor(self: Task, max: number): Op {
  for (let k = Math.floor(self.rng() * max); k > 0; k--) yield IDLE;
}

/** The parameters a variant runs with by default: the scenario's, then the variant's own. */
export function variantParams(s: ScenarioDef<unknown>, variant: string): Params {
  return { ...s.params, ...s.variants[variant]?.params };
}

/** The executions a campaign's sim row of this variant runs: the variant's, else the scenario's, else the default. */
export function campaignExecutions(s: ScenarioDef<unknown>, variant: string): number {
  return s.variants[variant]?.campaign?.executions ?? s.campaign?.executions ?? DEFAULT_CAMPAIGN_EXECUTIONS;
}

export function defineScenario<W>(def: ScenarioDef<W>): ScenarioDef<W> {
  return def;
}

/** A parameter's value as the command line writes it: its name where it has one. */
export function paramText(s: ScenarioDef<unknown>, k: string, v: number): string {
  return s.paramNames?.[k]?.[v] ?? String(v);
}
