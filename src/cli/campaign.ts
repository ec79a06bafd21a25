/**
 * `mmu-stress campaign` (npm start): every scenario x variant, in sim and in threads,
 * each within a small time budget; a table of expected vs observed. Exit 0 only if
 * every row is as expected.
 */
import { type Mode, type RunResult, run } from '../exec/run.js';
import { ThreadsExecutor } from '../exec/threads.js';
import { campaignTable, type CampaignRow, violationText } from '../report/text.js';
import { builtinNames, loadScenario } from '../scenarios.js';
import { duration, flag, parseArgs, wholeNumber } from './args.js';

const MODES: Mode[] = ['sim', 'threads'];

function row(r: RunResult): CampaignRow {
  return {
    scenario: r.scenario,
    variant: r.variant,
    mode: r.mode,
    expect: r.expect,
    observed: r.observed,
    executions: r.executions,
    firstViolationMs: r.firstViolationMs === null ? null : Math.round(r.firstViolationMs),
    elapsedMs: Math.round(r.elapsedMs),
    asExpected: r.asExpected,
  };
}

export async function campaignCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { 'time-per-variant': true, seed: true, json: false }, 'campaign');
  const budget = duration('time-per-variant', flag(a, 'time-per-variant') ?? '2s');
  const seed = wholeNumber('seed', flag(a, 'seed') ?? '1', 0);
  const json = a.flags.has('json');
  const threads = new ThreadsExecutor();
  const results: RunResult[] = [];
  const started = performance.now();
  try {
    for (const name of builtinNames()) {
      const sc = await loadScenario(name);
      for (const variant of Object.keys(sc.def.variants)) {
        for (const mode of MODES) {
          const r = await run({ scenario: sc, variant, params: sc.def.params, mode, seed, executions: null, timeMs: budget, threads });
          results.push(r);
          if (!json) {
            process.stderr.write(`${r.asExpected ? 'ok      ' : 'MISMATCH'} ${name} / ${variant} / ${mode}: ${r.observed} after ${r.executions} executions\n`);
          }
        }
      }
    }
  } finally {
    await threads.close();
  }
  const rows = results.map(row);
  const all = rows.every((r) => r.asExpected);
  const harnessFailed = results.some((r) => r.harnessError);
  if (json) {
    process.stdout.write(`${JSON.stringify({ rows, allAsExpected: all, elapsedMs: Math.round(performance.now() - started) }, null, 2)}\n`);
  } else {
    const out = [campaignTable(rows), ''];
    for (const r of results.filter((x) => !x.asExpected)) {
      out.push(`${r.scenario} / ${r.variant} / ${r.mode}: expected ${r.expect}, observed ${r.observed}`);
      if (r.violation) out.push(...violationText(r.violation).slice(0, 8));
      if (r.harnessError) out.push(r.harnessError);
      out.push('');
    }
    out.push(
      `${rows.filter((r) => r.asExpected).length} of ${rows.length} rows as expected in ${((performance.now() - started) / 1000).toFixed(1)} s` +
        (all ? '' : ' -- campaign FAILED'),
    );
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return harnessFailed ? 3 : all ? 0 : 1;
}
