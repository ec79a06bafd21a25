/**
 * `mmu-stress campaign` (npm start): every scenario x variant, in sim and in threads; a
 * table of expected vs observed. A sim row runs the executions its variant declares
 * (`campaign.executions`), so its verdict is the same on any machine; a threads row runs
 * for a time (`--threads-time`); `--time-per-variant` only caps a row, and a sim row it
 * stops first is incomplete. Each row's status and the exit code it gives are in
 * report/verdict.ts (docs/verdicts.md). Interrupted, it prints the rows that finished.
 *
 * At scale: sim rows run `--jobs` at a time (a threads row waits for the machine to be
 * its own); `--out` writes each finished row to a JSON-lines file as it finishes (a new
 * or empty one, locked for the campaign's life: results-file.ts), and `--resume` keeps
 * the rows already there and appends the others; `--shard i/n` runs one deterministic share of
 * the rows, and `mmu-stress merge` combines the shards' files; `--junit` and `--html`
 * write the table for CI and for people.
 */
import type { Dep } from '../sync/lockdep-graph.js';
import { cycleReport, LockGraph } from '../sync/lockdep-graph.js';
import { LIMIT_DEFAULTS } from '../exec/limits.js';
import { MAX_SEED, type Mode, memoryOf, type RunResult, run, seedsLeft } from '../exec/run.js';
import { SimExecutor } from '../exec/sim-runner.js';
import { ThreadsExecutor } from '../exec/threads.js';
import { RECORD_VERSION, RecordWriter, readRecords, rowKey, type RowRecord, toRecord } from '../report/records.js';
import { findingReplay, replayCommand } from '../report/replay.js';
import { campaignTable, type CampaignRow, incompleteText, type LimitFlags, violationText } from '../report/text.js';
import type { Violation } from '../rt/violation.js';
import { campaignExecutions, variantParams } from '../scenario.js';
import { campaignExit, ROW_STATUSES, type RowStatus, secsShort, STATUS_EXIT, statusWords } from '../report/verdict.js';
import { BadInput } from '../rt/errors.js';
import { builtinNames, type LoadedScenario, loadScenario } from '../load/scenarios.js';
import { type CommandSpec, commandHelp, duration, has, parseCommand, str, wholeNumber } from './args.js';
import type { CommandOutput } from './command.js';
import type { Interrupt } from './interrupt.js';
import { commandPrefix } from '../report/invocation.js';
import { checkOutputs, writeReports } from './outputs.js';
import { note } from './output.js';
import { clock, ProgressLine, progressWanted } from './progress.js';
import { inShard, parseShard } from './shard.js';
import { jobsFlag } from './jobs.js';
import { openResults } from './results-file.js';

const MODES: Mode[] = ['sim', 'threads'];
export { MAX_JOBS } from './jobs.js';

/**
 * A campaign judges each row against its expectation: a finding is kept as found,
 * neither shrunk nor replayed in sim (that is `run`'s work, on the one finding a person
 * looks at), so that the rows keep their time budget.
 */
const CAMPAIGN_FINDINGS = { shrink: false, reproduce: false } as const;

/**
 * The cap on any row's time: far above what a row needs (a sim row's executions take a
 * few seconds at most on an idle machine, a threads row about --threads-time), so that only a machine
 * many times slower than that, or a hang, meets it; a sim row it stops is incomplete.
 */
export const DEFAULT_ROW_CAP = '30s';
/** How long a threads row starts executions: a bug it does not reproduce in that time is not-reproduced. */
export const DEFAULT_THREADS_TIME = '2s';

export const CAMPAIGN_SPEC: CommandSpec = {
  name: 'campaign',
  summary:
    "Run every variant of every built-in scenario in sim (the variant's number of executions: the same verdict on any machine) and in threads (a short time), and compare what each row produced with what it expects. Exit 0: every row as expected or not reproduced on threads; 1: a mismatch (a finding or a regression); 3: a row without a verdict.",
  positionals: [],
  flags: {
    'time-per-variant': {
      value: 'DURATION',
      help: `the cap on each row's time (default ${DEFAULT_ROW_CAP}): a sim row runs its variant's executions (mmu-stress list shows them) and is incomplete if the cap stops it first; a threads row runs --threads-time, at most this`,
    },
    'threads-time': {
      value: 'DURATION',
      help: `how long a threads row starts executions (default ${DEFAULT_THREADS_TIME}); a bug variant not reproduced in that time is 'not reproduced', which does not fail the campaign`,
    },
    seed: { value: 'N', help: `the seed of the first execution of each row, 0..${MAX_SEED} (default 1)` },
    jobs: { value: 'N', help: 'sim rows run N at a time, each in its own worker thread; a threads row runs alone (default and most: the cores, fewer if memory is short)' },
    out: {
      value: 'FILE',
      help: 'write each finished row to FILE as one JSON line, flushed as it finishes; FILE must be new or empty unless --resume is given (a file with rows is refused, exit 2: remove it or give another FILE to start over), and FILE.lock keeps other campaigns out of it while this one runs (docs/results-files.md)',
    },
    resume: { help: 'with --out: keep the rows FILE already holds that have a verdict, append the others to it, and run only those (rows without a verdict again)' },
    shard: { value: 'i/n', help: 'run only shard i of n (1..n): rows i, i+n, i+2n, ... of the plan; merge the shards with mmu-stress merge' },
    junit: { value: 'FILE', help: 'write the rows as JUnit XML (one test case per row) to FILE' },
    html: { value: 'FILE', help: 'write a self-contained HTML report (the table, and each violation as a timeline) to FILE' },
    quiet: { help: 'no progress line and no per-row lines on stderr' },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

export interface PlannedRow {
  index: number;
  sc: LoadedScenario;
  variant: string;
  mode: Mode;
  key: string;
}

/** Every row of a campaign, in a fixed order: scenarios as `list` has them, their variants, sim then threads. */
export async function campaignPlan(): Promise<PlannedRow[]> {
  const scenarios = await Promise.all(builtinNames().map(loadScenario));
  const out: PlannedRow[] = [];
  for (const sc of scenarios) {
    for (const [variant, v] of Object.entries(sc.def.variants)) {
      // an ordering bug only weak memory shows has no threads row: real cores' Atomics are SC
      for (const mode of v.memory === 'weak' ? (['sim'] as Mode[]) : MODES) out.push({ index: out.length, sc, variant, mode, key: rowKey(sc.def.name, variant, mode) });
    }
  }
  return out;
}

export function toCampaignRow(r: RowRecord): CampaignRow {
  const { scenario, variant, mode, expect, observed, budget, executions, steps, evidence, firstViolationMs, elapsedMs, asExpected, status } = r;
  return { scenario, variant, mode, expect, observed, budget, executions, steps, evidence, firstViolationMs, elapsedMs, asExpected, status };
}

/** A row's own budget: a sim row's executions (its variant's), a threads row's time. */
export function rowBudget(p: Pick<PlannedRow, 'sc' | 'variant' | 'mode'>, threadsMs: number): RowRecord['budget'] {
  return p.mode === 'sim' ? { executions: campaignExecutions(p.sc.def, p.variant), threadsMs: null } : { executions: null, threadsMs };
}

function budgetWords(b: RowRecord['budget']): string {
  return b.executions !== null ? `${b.executions} executions` : b.threadsMs !== null ? `--threads-time ${b.threadsMs}ms` : 'no budget of its own';
}

export async function campaignCommand(argv: string[], interrupt: Interrupt): Promise<CommandOutput> {
  const a = parseCommand(CAMPAIGN_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(CAMPAIGN_SPEC), help: true };
  const budgetText = str(a, 'time-per-variant') ?? DEFAULT_ROW_CAP;
  const budget = duration('time-per-variant', budgetText);
  const threadsText = str(a, 'threads-time') ?? DEFAULT_THREADS_TIME;
  const threadsMs = Math.min(duration('threads-time', threadsText), budget);
  const seed = wholeNumber('seed', str(a, 'seed') ?? '1', 0, MAX_SEED);
  const jobs = jobsFlag(a);
  const json = has(a, 'json');
  const quiet = has(a, 'quiet');
  const outFile = str(a, 'out');
  if (has(a, 'resume') && !outFile) throw new BadInput('--resume goes with --out FILE: the rows to keep are read from it');
  const shard = str(a, 'shard') === undefined ? null : parseShard(str(a, 'shard') as string);
  checkOutputs([{ flag: 'junit', file: str(a, 'junit') }, { flag: 'html', file: str(a, 'html') }], [{ what: 'the results file (--out)', file: outFile }]);
  const limitFlags: LimitFlags = { time: `--time-per-variant ${budgetText}`, 'execution-limit': `--time-per-variant ${budgetText}` };
  // A row's executions may run as long as the row: only its time cap stops them.
  const executionLimitMs = Math.max(LIMIT_DEFAULTS.executionLimitMs, budget);

  const planned = (await campaignPlan()).filter((p) => inShard(p.index, shard));
  // every sim row runs its whole budget from --seed: none may run past the highest seed
  const most = Math.max(1, ...planned.map((p) => rowBudget(p, threadsMs).executions ?? 1));
  if (most > seedsLeft(seed)) {
    throw new BadInput(`--seed ${seed}: a row runs up to ${most} executions, one seed each, and only ${seedsLeft(seed)} seed${seedsLeft(seed) === 1 ? ' is' : 's are'} left up to ${MAX_SEED}, the highest; give at most --seed ${MAX_SEED - most + 1}`);
  }
  // --out is this campaign's alone until it ends, and rows a file already holds are kept (results-file.ts)
  using _lock = outFile ? await openResults(outFile, has(a, 'resume')) : null;
  const kept = new Map<string, RowRecord>();
  if (has(a, 'resume')) {
    for (const rec of readRecords(outFile as string, { missingOk: true })) {
      if (!planned.some((p) => p.key === rec.key)) continue; // another shard's row
      if (rec.v !== RECORD_VERSION) {
        throw new BadInput(`--resume: ${outFile} was written by an older mmu-stress (results version ${rec.v}, whose sim rows had time budgets); give a new --out file, or delete this one to start over`);
      }
      if (rec.seed !== seed || rec.budgetMs !== budget) {
        throw new BadInput(`--resume: ${outFile} holds '${rec.key}' from a campaign with --seed ${rec.seed} --time-per-variant ${rec.budgetMs}ms; this one has --seed ${seed} --time-per-variant ${budgetText}`);
      }
      const p = planned.find((x) => x.key === rec.key) as PlannedRow;
      const own = rowBudget(p, threadsMs);
      if (rec.budget.executions !== own.executions || rec.budget.threadsMs !== own.threadsMs) {
        const was = budgetWords(rec.budget);
        throw new BadInput(`--resume: ${outFile} holds '${rec.key}' run with ${was}; this campaign gives it ${budgetWords(own)} (another --threads-time, or another version's budgets)`);
      }
      // a row with no verdict (a harness error, an execution a limit stopped) runs again: a retry may get one
      if (STATUS_EXIT[rec.status] === 3) continue;
      kept.set(rec.key, rec);
    }
  }
  // sim rows first, --jobs at a time, then the threads rows, each alone (the plan alternates
  // sim and threads: in plan order a threads row would wait for the machine after every sim row)
  const todo = [...planned.filter((p) => !kept.has(p.key) && p.mode === 'sim'), ...planned.filter((p) => !kept.has(p.key) && p.mode !== 'sim')];
  const writer = outFile ? new RecordWriter(outFile, has(a, 'resume')) : null;
  const done = new Map<string, RowRecord>(kept);
  const prefix = commandPrefix();

  // progress: what is running, how far, and the violations so far
  const running = new Map<string, { started: number; executions: number; of: number | null }>();
  const started = performance.now();
  const progress = progressWanted({ json, quiet })
    ? new ProgressLine(() => {
        const now = performance.now();
        const violations = [...done.values()].filter((r) => r.violation).length;
        const parts = [...running].map(([key, s]) => {
          const el = now - s.started;
          return `${key}: ${s.executions}${s.of === null ? '' : `/${s.of}`} ex (${((s.executions * 1000) / Math.max(el, 1)).toFixed(0)}/s) ${clock(el)}/${clock(s.of === null ? threadsMs : budget)}`;
        });
        return `campaign ${done.size}/${planned.length} rows, ${violations} violations, ${clock(now - started)}${parts.length ? ` | ${parts.join(' | ')}` : ''}`;
      })
    : null;
  const say = (line: string) => {
    if (json || quiet) return;
    if (progress) progress.say(line);
    else note(line);
  };

  const threads = new ThreadsExecutor();
  const sims: SimExecutor[] = [];
  const freeSims: SimExecutor[] = [];
  let writeError: Error | null = null;
  /** A row that failed as a whole (not a verdict: the harness): no row starts after it, and it is thrown once the rows in flight end. */
  let rowFailure: unknown = null;

  const runRow = async (p: PlannedRow, sim: SimExecutor | undefined): Promise<void> => {
    const own = rowBudget(p, threadsMs);
    running.set(p.key, { started: performance.now(), executions: 0, of: own.executions });
    let r: RunResult;
    try {
      r = await run({
        scenario: p.sc,
        variant: p.variant,
        params: variantParams(p.sc.def, p.variant),
        mode: p.mode,
        seed,
        // sim: the variant's executions, capped by the time; threads: executions start for
        // threadsMs and the last one finishes (within the cap), so one always reaches a verdict
        executions: own.executions,
        timeMs: budget,
        startBeforeMs: own.threadsMs,
        threads: p.mode === 'threads' ? threads : undefined,
        sim,
        executionLimitMs,
        abort: interrupt.signal,
        memory: memoryOf({ mode: p.mode, scenario: p.sc, variant: p.variant }),
        onExecution: (n) => {
          const s = running.get(p.key);
          if (s) s.executions = n;
        },
        ...CAMPAIGN_FINDINGS,
      });
    } finally {
      running.delete(p.key);
    }
    if (r.interrupted) return; // the signal cut the row in flight short: it is not reported
    // a sim row's finding is as found (not shrunk): its line replays that very execution
    const finding = findingReplay(r);
    const replay = r.violation ? replayCommand(prefix, p.sc, r, r.violation.seed ?? seed, finding.extra, r.mode, finding.token) : null;
    const rec = toRecord(r, seed, budget, replay);
    done.set(p.key, rec);
    if (writer && !writeError) {
      try {
        writer.write(rec);
      } catch (e) {
        writeError = e as Error; // stop starting rows: what is written stays
      }
    }
    const evidence = rec.evidence ? `, ${rec.evidence.steps.toLocaleString('en-US')} ${rec.evidence.stepUnit}` : '';
    const of = own.executions === null ? '' : ` of ${own.executions}`;
    say(`${statusWords(rec.status, own.threadsMs).padEnd(8)} ${p.key}: ${r.observed} after ${r.executions}${of} executions${evidence}`);
  };

  progress?.start();
  const stop = () => interrupt.signal.aborted || writeError !== null || rowFailure !== null;
  try {
    const inflight = new Set<Promise<void>>();
    for (const p of todo) {
      if (stop()) break;
      if (p.mode === 'threads') {
        await Promise.all(inflight); // threads mode keeps the machine to itself
        if (stop()) break;
        await runRow(p, undefined).catch((e) => {
          rowFailure ??= e;
        });
        continue;
      }
      while (inflight.size >= jobs) await Promise.race(inflight);
      if (stop()) break;
      let sim = freeSims.pop();
      if (!sim) {
        sim = new SimExecutor();
        sims.push(sim);
      }
      const job: Promise<void> = runRow(p, sim)
        .catch((e) => {
          rowFailure ??= e;
        })
        .finally(() => {
          inflight.delete(job);
          freeSims.push(sim as SimExecutor);
        });
      inflight.add(job);
    }
    await Promise.all(inflight); // every row in flight ends (recorded) before the workers go
  } finally {
    progress?.stop();
    writer?.close();
    await threads.close();
    await Promise.all(sims.map((s) => s.close()));
  }
  if (rowFailure !== null) throw rowFailure;
  if (writeError) throw new BadInput(`--out ${outFile}: ${(writeError as Error).message} (the rows before it are in the file; --resume goes on from there)`);

  const records = planned.map((p) => done.get(p.key)).filter((r): r is RowRecord => r !== undefined);
  const signal = interrupt.received;
  await writeReports({ junit: str(a, 'junit'), html: str(a, 'html'), planned: planned.length, plannedKeys: planned.map((p) => p.key) }, records, 'mmu-stress campaign');
  return campaignOutput(records, {
    total: planned.length,
    json,
    signal,
    interruptCode: interrupt.exitCode,
    elapsedMs: Math.round(performance.now() - started),
    limitFlags,
    resumed: kept.size,
    shard: shard ? `${shard.index}/${shard.count}` : null,
  });
}

/** The campaign's table, its mismatches, its lockdep and its closing line (also what `merge` prints). */
export function campaignOutput(
  records: RowRecord[],
  o: { total: number; json: boolean; signal: string | null; interruptCode: number | null; elapsedMs: number; limitFlags: LimitFlags; resumed?: number; shard?: string | null },
): CommandOutput {
  const rows = records.map(toCampaignRow);
  const lockdep = campaignLockdep(records);
  const all = rows.every((r) => r.asExpected) && rows.length === o.total && lockdep.cycle === null;
  const statuses = records.map((r) => r.status);
  const counts = Object.fromEntries(ROW_STATUSES.map((st) => [st, statuses.filter((x) => x === st).length])) as Record<RowStatus, number>;
  const code = o.interruptCode ?? campaignExit(statuses, { missing: o.total - rows.length, lockdepCycle: lockdep.cycle !== null });
  if (o.json) {
    return {
      code,
      stdout: JSON.stringify(
        {
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
        },
        null,
        2,
      ),
    };
  }
  const out = [campaignTable(rows), ''];
  for (const r of records.filter((x) => !x.asExpected)) {
    out.push(`${r.key}: ${statusWords(r.status, r.budget.threadsMs)}: expected ${r.expect}, observed ${r.observed}${r.status === 'not-reproduced' ? ` in ${r.executions} execution${r.executions === 1 ? '' : 's'} on real threads (no evidence either way; sim finds it)` : ''}`);
    if (r.violation) out.push(...violationText(r.violation as Violation).slice(0, 8), ...(r.violation.replay ? [`  replay: ${r.violation.replay}`] : []));
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
): { classes: number; dependencies: number; cycle: { scenario: string; message: string; details: string[] } | null } {
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

