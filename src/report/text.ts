import type { ShrinkResult } from '../exec/result.js';
/** Human-readable reports: a run, a violation with the ops that led to it, the campaign table. */
import type { Violation } from '../rt/violation.js';
import type { Incomplete } from '../exec/result.js';
import type { StopLimit } from '../exec/limits.js';
import { withoutHarnessFrames } from '../load/stack.js';
import type { ScenarioError } from '../rt/errors.js';
import { type RunResult, strategySection } from '../exec/run.js';
import { hostRateLine, type RareSummary } from '../exec/host-rate.js';
import { horizonsText } from '../exec/rare.js';
import { strategyEntry } from '../exec/strategies/index.js';
import { type Evidence, evidenceOf, evidenceText, type RowStatus, secsShort, statusWords } from './verdict.js';
import { RERUN_LABEL } from './replay.js';
import { compact, grouped } from './numbers.js';

const secs = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

export function violationText(v: Violation): string[] {
  const out = [`VIOLATION ${v.kind} at step ${v.step}, execution seed ${v.seed}, in ${v.task}${v.role !== v.task ? ` (role ${v.role})` : ''}`];
  out.push(`  ${v.message}`);
  for (const d of v.details) out.push(`    ${d}`);
  if (v.locksHeld.length) out.push(`  locks held by ${v.task}: ${v.locksHeld.join(', ')}`);
  if (v.trace?.length) {
    const each = v.tracePerTask ? `the last ${v.tracePerTask} ops of each task` : 'the last ops of each task';
    out.push('', `  ${each} up to step ${v.step}, in step order (step, task, op):`);
    const w = Math.max(...v.trace.map((l) => l.task.length));
    for (const l of v.trace) {
      const mark = l.step === v.step ? '>>' : '  ';
      out.push(`  ${mark}${String(l.step).padStart(8)}  ${l.task.padEnd(w)}  ${l.op}`);
    }
  }
  return out;
}

/** The flag (with its value) that sets each limit a user can raise; a signal has none. */
export type LimitFlags = Record<Exclude<StopLimit, 'signal'>, string>;

const LIMIT_WORDS: Record<StopLimit, string> = { time: 'the time budget', 'execution-limit': 'the execution limit', signal: 'the signal' };

/** The flag to raise for an incomplete execution ("--time"), or null after a signal. */
export function raiseFlag(c: Incomplete, flags: LimitFlags): string | null {
  return c.limit === 'signal' ? null : flags[c.limit].split(' ')[0];
}

/** What stopped the cut execution, and what to raise: lines for an incomplete run or a cut-short note. */
export function incompleteText(
  r: Pick<RunResult, 'incomplete' | 'observed' | 'executions'> & { budget?: { executions: number | null } },
  flags: LimitFlags,
): string[] {
  const c = r.incomplete;
  if (!c) return [];
  const by = c.limit === 'signal' ? 'the signal' : `${LIMIT_WORDS[c.limit]} (${flags[c.limit]})`;
  const lines = [`execution seed ${c.seed} was stopped by ${by} before it ended: ${c.note}`];
  if (r.observed === 'incomplete') {
    const flag = raiseFlag(c, flags);
    const asked = r.budget?.executions ?? null;
    const why =
      r.executions === 0
        ? 'no execution finished'
        : asked !== null && r.executions < asked && c.limit === 'time'
          ? `only ${r.executions} of the ${asked} executions asked for finished before the time budget ended`
          : 'an execution was stopped before it ended';
    return [
      `INCOMPLETE (exit 3): ${why}, so there is no verdict about the model.`,
      ...lines.map((l) => `  ${l}`),
      flag === null ? '  run it again to completion' : `  raise ${flag}, or lower the parameters, to let the execution finish`,
    ];
  }
  return [`(${lines[0]}; it has no verdict and is not counted)`];
}

/** The scenario's own code threw (or looped without an op, or returned a value that cannot be used): its line first, then its stack in the sources without the harness's frames (no verdict, exit 3). */
export function scenarioErrorText(e: ScenarioError): string[] {
  const did =
    e.how === 'no-op-boundary'
      ? 'never reached an op boundary'
      : e.how === 'op-not-run'
        ? 'did not run an op as written'
        : e.how === 'bad-value'
          ? 'returned a value the harness cannot use'
          : e.how === 'no-return'
            ? 'never returned from a timer or promise it started'
            : 'threw';
  return [
    `SCENARIO ERROR (exit 3): the scenario's own code ${did}, so there is no verdict (a bug in the scenario, not a finding in the model, not a failure of the harness):`,
    `  ${e.line ?? e.thrown}`,
    ...withoutHarnessFrames(e.stack).map((l) => `  ${l}`),
  ];
}

export interface RunTextOptions {
  replay: string | null;
  /** threads: the command that runs the finding's seed on threads again. */
  rerun?: string | null;
  /** threads: why the finding has no exact replay line. */
  noReplay?: string | null;
  /** threads: the sim command that explores the same seeds deterministically. */
  explore?: string | null;
  /** threads: the sim command that replays the finding's own interleaving (its schedule token). */
  inSim?: string | null;
  limitFlags: LimitFlags;
  /** The signal that interrupted the run, if one did. */
  signal?: string | null;
}

export function runText(r: RunResult, o: RunTextOptions): string {
  const out = [
    `mmu-stress: ${r.scenario} / ${r.variant}, mode ${r.mode}${r.memory === 'weak' ? ', weak memory' : ''}, ${r.executions} execution${r.executions === 1 ? '' : 's'} ` +
      `from seed ${r.firstSeed} in ${secs(r.elapsedMs)}`,
  ];
  if (o.signal) out.push(`INTERRUPTED by ${o.signal}: what follows is what finished before it`);
  out.push(`expect ${r.expect}; observed ${r.observed}${r.asExpected ? ' (as expected)' : ' (NOT as expected)'}`);
  const cut = incompleteText(r, o.limitFlags);
  if (r.observed === 'incomplete') out.push('', ...cut);
  if (r.scenarioError) out.push('', ...scenarioErrorText(r.scenarioError));
  if (r.harnessError) out.push('', 'HARNESS ERROR (exit 3): the harness itself failed, not the model:', ...r.harnessError.split('\n').map((l) => `  ${l}`));
  const evidence = evidenceOf(r);
  if (evidence) out.push(`evidence: ${evidenceText(evidence)}`);
  if (r.unfair) out.push(`(${r.unfair} more execution${r.unfair === 1 ? '' : 's'} ended unfair, with no verdict and not counted: a spinner the weak model kept on a store older than its word's newest; docs/spin-wait.md)`);
  if (r.summary.length && r.executions > 0) out.push('', 'statistics:', ...r.summary.map((l) => `  ${l}`));
  // the strategy's section, in its own words (pct: the bound bought; dfs: what the search covered)
  const section = strategySection(r);
  const lines = section === undefined || r.strategy === undefined ? [] : (strategyEntry(r.strategy)?.lines?.(section, { firstSeed: r.firstSeed, violation: r.violation !== null, params: r.params, memory: r.memory }) ?? []);
  if (lines.length) out.push('', ...lines);
  if (r.observed !== 'incomplete' && cut.length) out.push('', ...cut);
  if (r.rare) out.push('', ...rareText(r.rare));
  if (r.violation) {
    if (r.shrink) out.push('', shrinkText(r.shrink));
    out.push('', ...violationText(r.violation));
    if (r.mode === 'threads') {
      out.push('', '  threads mode: the cores chose this interleaving; a threads run of the same seed need not meet it again.');
      if (o.explore) out.push(`  to explore deterministically: ${o.explore}`);
      if (r.reproduced) out.push('', r.reproduced.line);
      // the sim's own interleaving where it went elsewhere; where it met the violation, that line is the replay below
      if (o.inSim && o.inSim !== o.replay) out.push(`  the interleaving the sim replayed, step by step: ${o.inSim}`);
      if (o.rerun) out.push(`  ${RERUN_LABEL}: ${o.rerun}`);
    }
  }
  // the last line replays the finding exactly, or says that nothing does
  if (o.replay) out.push('', `replay: ${o.replay}`);
  else if (r.violation && o.noReplay) out.push('', `no exact replay: ${o.noReplay}; the re-run on threads above may meet it again`);
  return out.join('\n');
}

/** The rare events of a run: how they happened, and a finding's host rate. */
function rareText(s: RareSummary): string[] {
  const rates = s.events.map((e) => `${e.name} (${e.param}=${e.every}: ${e.what} once in ${e.every} ${e.per})`).join(', ');
  const out =
    s.mode === 'forced'
      ? [
          `rare events: forced placement, each placed ${s.placements === 1 ? 'once' : `1, 2, 4, ... up to ${s.placements ?? 'its horizon'} times`} per execution${s.placements === 1 ? '' : ' (the count drawn per execution)'} over its opportunities (horizons ${horizonsText(s.horizons ?? {})}): ${rates}`,
        ]
      : [`rare events: sampled at the host rates: ${rates}`];
  if (s.findingPlaced) out.push(`  in the finding's execution: ${placedList(s.findingPlaced)}`);
  if (s.hostRate) out.push(hostRateLine(s.hostRate));
  return out;
}

export interface CampaignRow {
  scenario: string;
  variant: string;
  mode: string;
  /** sim's memory model (sc, or weak for a variant that declares it); a threads row runs on the host's. */
  memory: 'sc' | 'weak';
  expect: string;
  observed: string;
  /** The row's own budget: sim, executions; threads, time (null: unknown, a version 1 results line). */
  budget: { executions: number | null; threadsMs: number | null };
  executions: number;
  /** Scheduling steps (sim) or op steps (threads) run (null: unknown, a version 1 results line). */
  steps: number | null;
  /** What a clean verdict rests on, else null. */
  evidence: Evidence | null;
  firstViolationMs: number | null;
  elapsedMs: number;
  /** A threads row: its warm-up before its own time started, part of elapsedMs (absent elsewhere). */
  warmupMs?: number;
  asExpected: boolean;
  status: RowStatus;
}

/** A row's budget in a few characters: "100 ex" (sim), "2 s" (threads), "-" (unknown). */
export function budgetText(b: CampaignRow['budget']): string {
  if (b.executions !== null) return `${b.executions} ex`;
  if (b.threadsMs !== null) return secsShort(b.threadsMs);
  return '-';
}

export function campaignTable(rows: CampaignRow[]): string {
  const head = ['scenario', 'variant', 'mode', 'memory', 'expect', 'observed', 'budget', 'executions', 'steps', 'first violation', 'result'];
  const cells = rows.map((r) => [
    r.scenario,
    r.variant,
    r.mode,
    // a sim row's clean verdict under sc says nothing of the reorderings weak memory explores
    r.mode === 'sim' ? r.memory : 'host',
    r.expect,
    r.observed,
    budgetText(r.budget),
    String(r.executions),
    r.steps === null ? '-' : compact(r.steps),
    r.firstViolationMs === null ? '-' : secs(r.firstViolationMs),
    statusWords(r.status, r.budget.threadsMs),
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
  const line = (c: string[]) => c.map((x, k) => x.padEnd(widths[k])).join('  ').trimEnd();
  // One block per scenario, a blank line between: every row keeps its scenario's name (grep finds it).
  const body = cells.flatMap((c, k) => (k > 0 && rows[k].scenario !== rows[k - 1].scenario ? ['', line(c)] : [line(c)]));
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body].join('\n');
}

/** How far a finding's schedule was shrunk. */
export function shrinkText(s: ShrinkResult): string {
  const n = (x: number) => grouped(x);
  const p = (x: number) => `${n(x)} preemption${x === 1 ? '' : 's'}`;
  if (s.attempts <= 1) return `schedule: ${p(s.to.preemptions)}, ${n(s.to.steps)} steps (not shrunk: ${s.asFound ?? 'the budget ended first'})`;
  return (
    `shrunk from ${n(s.from.preemptions)} to ${p(s.to.preemptions)}, ${n(s.from.steps)} to ${n(s.to.steps)} steps ` +
    // shrinking removes preemptions: the schedule that keeps the violation with fewer may run longer
    (s.to.steps > s.from.steps ? '(fewer preemptions, a longer schedule) ' : '') +
    `(${n(s.attempts)} executions tried${s.capped ? `, stopped early by ${s.stopped ?? 'the budget'}; its bounds: ${s.bounds}` : ''}); the trace below is the shrunk schedule's`
  );
}

/** The rare events of a finding's execution, the first few of them (its replay token lists every one). */
function placedList(placed: [string, number][]): string {
  if (placed.length === 0) return 'none happened';
  const SHOWN = 8;
  const first = placed.slice(0, SHOWN).map(([e, j]) => `${e} at opportunity ${j}`).join(', ');
  return placed.length > SHOWN ? `${first}, and ${placed.length - SHOWN} more (the replay token lists them all)` : first;
}
