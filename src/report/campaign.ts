/**
 * A campaign's rows summed up: the document `campaign --json` prints (and runCampaign()
 * returns), the text table with its mismatches, lockdep over the clean rows, and the
 * closing line; `merge` prints the same for the rows of several files.
 */
import { cycleReport, type Dep, LockGraph } from '../sync/lockdep-graph.js';
import type { Violation } from '../rt/violation.js';
import type { RowRecord } from './records.js';
import { campaignTable, type CampaignRow, incompleteText, type LimitFlags, violationText } from './text.js';
import { campaignExit, ROW_STATUSES, type RowStatus, secsShort, statusWords } from './verdict.js';
import { RERUN_LABEL } from './replay.js';

/** What the summary needs beyond the rows: how many were planned, what ended the campaign, how long it took. */
export interface CampaignSummaryOptions {
  total: number;
  signal: string | null;
  interruptCode: number | null;
  elapsedMs: number;
  resumed?: number;
  shard?: string | null;
}

/** Lockdep over a campaign's clean rows: classes, dependencies, and the cycle they close, if any. */
export interface CampaignLockdep {
  classes: number;
  dependencies: number;
  cycle: { scenario: string; message: string; details: string[] } | null;
}

/** The document `campaign --json` prints. */
export interface CampaignResult {
  exitCode: number;
  interrupted: string | null;
  rows: CampaignRow[];
  rowsPlanned: number;
  allAsExpected: boolean;
  statusCounts: Record<RowStatus, number>;
  lockdep: CampaignLockdep;
  elapsedMs: number;
  shard?: string;
  resumed?: number;
}

export function campaignResult(records: RowRecord[], o: CampaignSummaryOptions): CampaignResult {
  const rows = records.map(toCampaignRow);
  const lockdep = campaignLockdep(records);
  const all = rows.every((r) => r.asExpected) && rows.length === o.total && lockdep.cycle === null;
  const statuses = records.map((r) => r.status);
  const counts = Object.fromEntries(ROW_STATUSES.map((st) => [st, statuses.filter((x) => x === st).length])) as Record<RowStatus, number>;
  const code = o.interruptCode ?? campaignExit(statuses, { missing: o.total - rows.length, lockdepCycle: lockdep.cycle !== null });
  return {
    exitCode: code,
    interrupted: o.signal,
    rows,
    rowsPlanned: o.total,
    allAsExpected: all,
    statusCounts: counts,
    lockdep,
    elapsedMs: o.elapsedMs,
    ...(o.shard ? { shard: o.shard } : {}),
    ...(o.resumed ? { resumed: o.resumed } : {}),
  };
}

export function toCampaignRow(r: RowRecord): CampaignRow {
  const { scenario, variant, mode, memory, expect, observed, budget, executions, steps, evidence, firstViolationMs, elapsedMs, asExpected, status } = r;
  return { scenario, variant, mode, memory, expect, observed, budget, executions, steps, evidence, firstViolationMs, elapsedMs, ...(r.warmupMs !== undefined ? { warmupMs: r.warmupMs } : {}), asExpected, status };
}

/** The campaign's table, its mismatches, its lockdep and its closing line (also what `merge` prints). */
export function campaignOutput(records: RowRecord[], o: CampaignSummaryOptions & { json: boolean; limitFlags: LimitFlags }): { code: number; stdout: string } {
  const result = campaignResult(records, o);
  const { exitCode: code, rows, lockdep, statusCounts: counts } = result;
  if (o.json) return { code, stdout: JSON.stringify(result, null, 2) };
  const out = [campaignTable(rows), ''];
  for (const r of records.filter((x) => !x.asExpected)) {
    out.push(`${r.key}: ${statusWords(r.status, r.budget.threadsMs)}: expected ${r.expect}, observed ${r.observed}${r.status === 'not-reproduced' ? ` in ${r.executions} execution${r.executions === 1 ? '' : 's'} on real threads (no evidence either way; the sim row is the verdict)` : ''}`);
    if (r.violation) out.push(...violationText(r.violation as Violation).slice(0, 8), ...replayLines(r.violation));
    if (r.harnessError) out.push(r.harnessError);
    if (r.scenarioError) out.push(r.scenarioError);
    out.push(...incompleteText(r, o.limitFlags), '');
  }
  if (lockdep.cycle) out.push(`lockdep across the clean rows of ${lockdep.cycle.scenario}: lock-order-cycle: ${lockdep.cycle.message}`, ...lockdep.cycle.details.map((l) => `  ${l}`), '');
  else out.push(`lockdep across each scenario's clean rows: ${lockdep.classes} lock class${lockdep.classes === 1 ? '' : 'es'}, ${lockdep.dependencies} dependenc${lockdep.dependencies === 1 ? 'y' : 'ies'}, no cycle`);
  const asExpected = counts['as-expected'];
  const of = o.shard ? ` (shard ${o.shard})` : '';
  const others = othersText(counts, records);
  const verdict = code === 0 ? '' : code === 3 ? ' -- campaign has NO VERDICT (exit 3)' : ' -- campaign FAILED';
  if (o.resumed) out.push(`${o.resumed} of the rows were kept from the results file (--resume), not run again`);
  if (o.signal) out.push(`INTERRUPTED by ${o.signal} after ${rows.length} of ${o.total} rows${of}: ${asExpected} of them as expected${others}, the rest not run`);
  else if (rows.length < o.total) out.push(`${asExpected} of ${rows.length} rows as expected${others}; ${o.total - rows.length} of the ${o.total} planned rows are missing -- campaign FAILED`);
  else out.push(`${asExpected} of ${rows.length} rows as expected${of} in ${(o.elapsedMs / 1000).toFixed(1)} s${others}${verdict}`);
  return { code, stdout: out.join('\n') };
}

/** The rows that are not as expected, by status, for the closing line: "; 2 not reproduced within 2 s on threads, 1 MISMATCH". */
function othersText(counts: Record<RowStatus, number>, records: RowRecord[]): string {
  const parts: string[] = [];
  if (counts['not-reproduced'] > 0) {
    const times = [...new Set(records.filter((r) => r.status === 'not-reproduced').map((r) => r.budget.threadsMs))];
    const within = times.length === 1 && times[0] !== null ? ` within ${secsShort(times[0])}` : '';
    parts.push(`${counts['not-reproduced']} not reproduced${within} on threads (no verdict either way, not a failure)`);
  }
  if (counts.incomplete > 0) parts.push(`${counts.incomplete} incomplete (no verdict)`);
  if (counts['scenario-error'] > 0) parts.push(`${counts['scenario-error']} scenario error${counts['scenario-error'] === 1 ? '' : 's'} (no verdict)`);
  if (counts['harness-error'] > 0) parts.push(`${counts['harness-error']} harness error${counts['harness-error'] === 1 ? '' : 's'}`);
  if (counts.mismatch > 0) parts.push(`${counts.mismatch} MISMATCH${counts.mismatch === 1 ? '' : 'ES'}`);
  return parts.length ? `; ${parts.join(', ')}` : '';
}

/**
 * Lockdep over the campaign: for each scenario (one kernel model), the lock orders its
 * clean rows took (each row's graph spans its own executions) merged into one graph, as
 * one kernel running those paths would collect them. A cycle there, which no row closed
 * alone, fails the campaign; each edge says the row it came from, whose run replays it.
 * Rows that found a violation are left out: their mutations take orders on purpose.
 */
export function campaignLockdep(
  results: { scenario: string; variant: string; mode: string; observed: string; expect: string; lockdep: Dep[] }[],
): CampaignLockdep {
  const graphs = new Map<string, LockGraph>();
  const classes = new Set<string>();
  let dependencies = 0;
  let cycle: { scenario: string; message: string; details: string[] } | null = null;
  for (const r of results.filter((x) => x.observed === 'ok' && x.expect === 'ok')) {
    const g = graphs.get(r.scenario) ?? new LockGraph(0);
    graphs.set(r.scenario, g);
    for (const d of r.lockdep) {
      if (g.knows(d.from, d.to, d.held, d.acq)) continue;
      dependencies++;
      classes.add(d.from).add(d.to);
      const c = g.add({ ...d, row: `${r.scenario} / ${r.variant} / ${r.mode}` });
      if (c && !cycle) cycle = { scenario: r.scenario, ...cycleReport(c) };
    }
  }
  return { classes: classes.size, dependencies, cycle };
}

/** A row's replay line, or a threads row's re-run (the cores choose the interleaving: it need not meet the bug again). */
export function replayLines(v: { replay: string | null; rerun?: string }, indent = '  '): string[] {
  if (v.replay) return [`${indent}replay: ${v.replay}`];
  return v.rerun ? [`${indent}${RERUN_LABEL}: ${v.rerun}`] : [];
}
