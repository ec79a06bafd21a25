/** Human-readable reports: a run, a violation with the ops that led to it, the campaign table. */
import type { Violation } from '../check/violation.js';
import type { RunResult } from '../exec/run.js';

const secs = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

export function violationText(v: Violation): string[] {
  const out = [`VIOLATION ${v.kind} at step ${v.step}, execution seed ${v.seed}, in ${v.task}${v.role !== v.task ? ` (role ${v.role})` : ''}`];
  out.push(`  ${v.message}`);
  for (const d of v.details) out.push(`    ${d}`);
  if (v.locksHeld.length) out.push(`  locks held by ${v.task}: ${v.locksHeld.join(', ')}`);
  if (v.trace?.length) {
    out.push('', `  the last ${v.trace.length} ops of every thread, in order (step, thread, op):`);
    const w = Math.max(...v.trace.map((l) => l.task.length));
    for (const l of v.trace) {
      const mark = l.step === v.step ? '>>' : '  ';
      out.push(`  ${mark}${String(l.step).padStart(8)}  ${l.task.padEnd(w)}  ${l.op}`);
    }
  }
  return out;
}

export function runText(r: RunResult, replay: string | null, explore: string | null = null): string {
  const out = [
    `mmu-stress: ${r.scenario} / ${r.variant}, mode ${r.mode}, ${r.executions} execution${r.executions === 1 ? '' : 's'} ` +
      `from seed ${r.firstSeed} in ${secs(r.elapsedMs)}`,
    `expect ${r.expect}; observed ${r.observed}${r.asExpected ? ' (as expected)' : ' (NOT as expected)'}`,
  ];
  if (r.harnessError) out.push('', 'HARNESS ERROR (exit 3): the harness itself failed, not the model:', ...r.harnessError.split('\n').map((l) => `  ${l}`));
  if (r.summary.length) out.push('', 'statistics:', ...r.summary.map((l) => `  ${l}`));
  if (r.violation) {
    out.push('', ...violationText(r.violation));
    if (r.mode === 'threads') {
      out.push('', '  threads mode: the replay reruns the same seed on real threads; the hardware picks the interleaving.');
      if (explore) out.push(`  to explore deterministically: ${explore}`);
    }
  }
  if (replay) out.push('', `replay: ${replay}`);
  return out.join('\n');
}

export interface CampaignRow {
  scenario: string;
  variant: string;
  mode: string;
  expect: string;
  observed: string;
  executions: number;
  firstViolationMs: number | null;
  elapsedMs: number;
  asExpected: boolean;
}

export function campaignTable(rows: CampaignRow[]): string {
  const head = ['scenario', 'variant', 'mode', 'expect', 'observed', 'executions', 'first violation', 'result'];
  const cells = rows.map((r) => [
    r.scenario,
    r.variant,
    r.mode,
    r.expect,
    r.observed,
    String(r.executions),
    r.firstViolationMs === null ? '-' : secs(r.firstViolationMs),
    r.asExpected ? 'as expected' : 'MISMATCH',
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
  const line = (c: string[]) => c.map((x, k) => x.padEnd(widths[k])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
