/**
 * `mmu-stress campaign` (npm start): every scenario x variant, in sim and in threads,
 * each within a small time budget; a table of expected vs observed. Exit 0 only if
 * every row is as expected. Interrupted, it prints the rows that finished.
 */
import { LIMIT_DEFAULTS } from '../exec/limits.js';
import { exitCodeOf, type Mode, type RunResult, run } from '../exec/run.js';
import { SimExecutor } from '../exec/sim-runner.js';
import { ThreadsExecutor } from '../exec/threads.js';
import { campaignTable, type CampaignRow, incompleteText, type LimitFlags, violationText } from '../report/text.js';
import { cycleReport, LockGraph } from '../check/lockdep-graph.js';
import { variantParams } from '../scenario.js';
import { builtinNames, loadScenario } from '../scenarios.js';
import { type CommandSpec, commandHelp, duration, has, parseCommand, str, wholeNumber } from './args.js';
import type { CommandOutput } from './command.js';
import type { Interrupt } from './interrupt.js';
import { note } from './output.js';

const MODES: Mode[] = ['sim', 'threads'];

/**
 * A campaign judges each row against its expectation: a finding is kept as found,
 * neither shrunk nor replayed in sim (that is `run`'s work, on the one finding a person
 * looks at), so that the rows keep their time budget.
 */
const CAMPAIGN_FINDINGS = { shrink: false, reproduce: false } as const;

export const CAMPAIGN_SPEC: CommandSpec = {
  name: 'campaign',
  summary: 'Run every variant of every built-in scenario in sim and in threads, each for a short budget, and compare what it produced with what it expects.',
  positionals: [],
  flags: {
    'time-per-variant': { value: 'DURATION', help: 'the budget of each row (scenario x variant x mode), e.g. 2s (default 2s)' },
    seed: { value: 'N', help: 'the seed of the first execution of each row (default 1)' },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

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

export async function campaignCommand(argv: string[], interrupt: Interrupt): Promise<CommandOutput> {
  const a = parseCommand(CAMPAIGN_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(CAMPAIGN_SPEC), help: true };
  const budgetText = str(a, 'time-per-variant') ?? '2s';
  const budget = duration('time-per-variant', budgetText);
  const seed = wholeNumber('seed', str(a, 'seed') ?? '1', 0, 2 ** 31 - 1);
  const json = has(a, 'json');
  // The execution limit never ends a row's execution first (see below): only the budget can.
  const limitFlags: LimitFlags = { time: `--time-per-variant ${budgetText}`, 'execution-limit': `--time-per-variant ${budgetText}` };
  // A row's executions may run as long as the row: only its time budget stops them.
  const executionLimitMs = Math.max(LIMIT_DEFAULTS.executionLimitMs, budget);
  const threads = new ThreadsExecutor();
  const sim = new SimExecutor();
  const results: RunResult[] = [];
  let total = 0;
  const started = performance.now();
  try {
    const scenarios = await Promise.all(builtinNames().map(loadScenario));
    total = scenarios.reduce((n, sc) => n + Object.values(sc.def.variants).reduce((m, v) => m + (v.memory === 'weak' ? 1 : MODES.length), 0), 0);
    plan: for (const sc of scenarios) {
      for (const variant of Object.keys(sc.def.variants)) {
        // an ordering bug only weak memory shows has no threads row: real cores' Atomics are SC
        for (const mode of sc.def.variants[variant].memory === 'weak' ? (['sim'] as const) : MODES) {
          if (interrupt.signal.aborted) break plan;
          const r = await run({ scenario: sc, variant, params: variantParams(sc.def, variant), mode, seed, executions: null, timeMs: budget, threads, sim, executionLimitMs, abort: interrupt.signal, ...CAMPAIGN_FINDINGS });
          if (r.interrupted) break plan; // the signal cut the row in flight short: it is not reported
          results.push(r);
          if (!json) note(`${r.asExpected ? 'ok      ' : 'MISMATCH'} ${sc.def.name} / ${variant} / ${mode}: ${r.observed} after ${r.executions} executions`);
        }
      }
    }
  } finally {
    await threads.close();
    await sim.close();
  }
  const rows = results.map(row);
  const lockdep = campaignLockdep(results);
  const all = rows.every((r) => r.asExpected) && rows.length === total && lockdep.cycle === null;
  const elapsedMs = Math.round(performance.now() - started);
  const worst = Math.max(0, ...results.map(exitCodeOf));
  const code = interrupt.exitCode ?? (worst === 3 ? 3 : all ? 0 : 1);
  const signal = interrupt.received;
  if (json) return { code, stdout: JSON.stringify({ exitCode: code, interrupted: signal, rows, rowsPlanned: total, allAsExpected: all, lockdep, elapsedMs }, null, 2) };
  const out = [campaignTable(rows), ''];
  for (const r of results.filter((x) => !x.asExpected)) {
    out.push(`${r.scenario} / ${r.variant} / ${r.mode}: expected ${r.expect}, observed ${r.observed}`);
    if (r.violation) out.push(...violationText(r.violation).slice(0, 8));
    if (r.harnessError) out.push(r.harnessError);
    out.push(...incompleteText(r, limitFlags), '');
  }
  if (lockdep.cycle) out.push(`lockdep across the clean rows of ${lockdep.cycle.scenario}: lock-order-cycle: ${lockdep.cycle.message}`, ...lockdep.cycle.details.map((l) => `  ${l}`), '');
  else out.push(`lockdep across each scenario's clean rows: ${lockdep.classes} lock classes, ${lockdep.dependencies} dependencies, no cycle`);
  const asExpected = rows.filter((r) => r.asExpected).length;
  if (signal) out.push(`INTERRUPTED by ${signal} after ${rows.length} of ${total} rows: ${asExpected} of them as expected, the rest not run`);
  else out.push(`${asExpected} of ${rows.length} rows as expected in ${(elapsedMs / 1000).toFixed(1)} s${all ? '' : ' -- campaign FAILED'}`);
  return { code, stdout: out.join('\n') };
}

/**
 * Lockdep over the campaign: for each scenario (one kernel model), the lock orders its
 * clean rows took (each row's graph spans its own executions) merged into one graph, as
 * one kernel running those paths would collect them. A cycle there, which no row closed
 * alone, fails the campaign; each edge says the row it came from, whose run replays it.
 * Rows that found a violation are left out: their mutations take orders on purpose.
 */
export function campaignLockdep(results: RunResult[]): { classes: number; dependencies: number; cycle: { scenario: string; message: string; details: string[] } | null } {
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
