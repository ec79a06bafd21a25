/**
 * The campaign itself: every planned row run against its expectation, and the records.
 * A sim row runs the executions its variant declares, so its verdict is the same on any
 * machine; a threads row runs for a time; the cap only bounds a row, and a sim row it stops
 * first is incomplete. A finding is kept as found, neither shrunk nor replayed in sim
 * (that is `run`'s work, on the one finding a person looks at), so rows keep their budget.
 *
 * At scale: sim rows run `jobs` at a time (a threads row waits for the machine to be its
 * own); `out` gets each finished row as one JSON line as it finishes (a new or empty
 * file, locked for the campaign's life: results-file.ts), and `resume` keeps the rows
 * already there (those run on the code as it is now: fingerprints.ts) and appends the
 * others; `shard` runs one deterministic share of the rows.
 */
import { baseConfig, type RunConfig } from '../exec/config.js';
import { executorFor, type RunResult, runConfigured, seedsLeft } from '../exec/run.js';
import type { Executor } from '../exec/executor.js';
import { MAX_SEED } from '../exec/seeds.js';
import { writeReports } from '../report/files.js';
import { RECORD_VERSION, RecordWriter, readRecords, type RowRecord, type ScenarioList, toRecord } from '../report/records.js';
import { findingReplay, replayCommand } from '../report/replay.js';
import { commandPrefix } from '../report/invocation.js';
import { resumeRunsAgain, statusWords } from '../report/verdict.js';
import { BadInput, ScenarioFailure } from '../rt/errors.js';
import type { CampaignConfig } from './config.js';
import { budgetWords, campaignPlan, type PlannedRow, rowBudget } from './plan.js';
import { openResults } from './results-file.js';
import { scenarioFailureResult } from './row-error.js';
import { sameScenarios, scenarioList, scenarioWords } from './scenario-list.js';
import { dealOrder, shardRows } from './shard.js';
import { keptOnCurrentCode, rowMemory } from './fingerprints.js';
import type { BundleMemory } from '../load/bundle.js';
import { scenarioFingerprint } from '../load/fingerprint.js';
import { grouped } from '../report/numbers.js';

/** What a campaign tells as it goes: the plan, each execution of a row in flight, each row that ends. */
export type CampaignProgress =
  | { kind: 'planned'; planned: number; kept: RowRecord[] }
  | { kind: 'row-started'; key: string; executions: number | null }
  | { kind: 'execution'; key: string; executions: number }
  /** A threads row's warm-up ended (the pool up, every worker holding the scenario), after `warmupMs`: its own time starts now. */
  | { kind: 'row-warmed'; key: string; warmupMs: number }
  /** `record` is null for a row a signal cut short (not reported); `line` says how the row ended. */
  | { kind: 'row-ended'; key: string; record: RowRecord | null; line: string | null };

export interface CampaignHooks {
  /** Stops the campaign: the rows in flight end, none starts, and what finished is returned. */
  signal?: AbortSignal;
  onProgress?: (e: CampaignProgress) => void;
  /** Lines about the results file (a lock watched or taken over), and the notes of a user's scenario file: the command prints them on stderr. */
  say?: (line: string) => void;
}

export interface CampaignRun {
  /** The finished rows, kept ones included, in plan order. */
  records: RowRecord[];
  /** The rows planned (after the shard and the row filters) and their keys. */
  plannedKeys: string[];
  /** Rows kept from the results file (resume). */
  resumed: number;
  elapsedMs: number;
}

/** A row's run configuration: the campaign's settings on the variant's defaults. */
export function rowConfig(c: CampaignConfig, p: PlannedRow): RunConfig {
  const own = rowBudget(p, c.threadsMs);
  return {
    ...baseConfig(p.sc, p.variant, p.mode),
    seed: c.seed,
    // sim: the variant's executions, capped by the time; threads: executions start for
    // threadsMs and the last one finishes (within the cap), so one always reaches a verdict
    executions: own.executions,
    timeMs: c.budgetMs,
    startBeforeMs: own.threadsMs,
    executionLimitMs: c.executionLimitMs,
    shrink: false,
    reproduce: false,
    // a row checks its expectation: no host-rate estimate after its finding
    rare: { ...baseConfig(p.sc, p.variant, p.mode).rare, hostRate: 0 },
  };
}

/** The rows this campaign plans: its shard's, within its filters; and the scenarios its rows record (merge plans from them). */
async function plannedRows(c: CampaignConfig): Promise<{ planned: PlannedRow[]; scenarios: ScenarioList }> {
  const plan = await campaignPlan(c.scenarios);
  const all = shardRows(plan, c.shard);
  const odd = (c.variants ?? []).find((v) => !all.some((p) => p.variant === v));
  if (odd !== undefined) throw new BadInput(`variants: no scenario of this campaign has a variant '${odd}'`);
  const planned = all.filter((p) => (c.variants?.includes(p.variant) ?? true) && (c.modes?.includes(p.mode) ?? true));
  return { planned, scenarios: scenarioList(c.scenarios, plan) };
}

/** The bundle the first row of `sc` to run loads (sim rows run first): where its current fingerprint is taken from. */
function firstMemory(c: CampaignConfig, planned: PlannedRow[], sc: PlannedRow['sc']): BundleMemory {
  const first = dealOrder(planned).find((p) => p.sc === sc);
  return first ? rowMemory(rowConfig(c, first)) : 'seam';
}

export async function runCampaignRows(c: CampaignConfig, hooks: CampaignHooks = {}): Promise<CampaignRun> {
  const { planned, scenarios } = await plannedRows(c);
  // every sim row runs its whole budget from the seed: none may run past the highest seed
  const most = Math.max(1, ...planned.map((p) => rowBudget(p, c.threadsMs).executions ?? 1));
  if (most > seedsLeft(c.seed)) {
    throw new BadInput(`--seed ${c.seed}: a row runs up to ${most} executions, one seed each, and only ${seedsLeft(c.seed)} seed${seedsLeft(c.seed) === 1 ? ' is' : 's are'} left up to ${MAX_SEED}, the highest; give at most --seed ${MAX_SEED - most + 1}`);
  }
  // what `run` tells before a run of a user's scenario file (a generator called without yield*), once per file
  for (const sc of new Set(planned.map((p) => p.sc))) for (const line of sc.notes ?? []) hooks.say?.(line);
  // the results file is this campaign's alone until it ends, and rows it already holds are kept (results-file.ts)
  using _lock = c.out ? await openResults(c.out, c.resume, { say: hooks.say }) : null;
  const kept = new Map<string, RowRecord>();
  if (c.resume && c.out) {
    const candidates: { rec: RowRecord; sc: PlannedRow['sc'] }[] = [];
    for (const rec of readRecords(c.out, { missingOk: true })) {
      // one file, one campaign: rows planned from other scenarios would not merge with these
      const theirs = rec.campaignScenarios ?? null;
      if (!sameScenarios(theirs, scenarios)) {
        throw new BadInput(`--resume: ${c.out} holds rows of a campaign over ${scenarioWords(theirs)}; this one is over ${scenarioWords(scenarios)}: give the same scenarios, or another --out`);
      }
      if (!planned.some((p) => p.key === rec.key)) continue; // another shard's row
      if (rec.v !== RECORD_VERSION) {
        throw new BadInput(`--resume: ${c.out} was written by an older mmu-stress (results version ${rec.v}, whose sim rows had time budgets); give a new --out file, or delete this one to start over`);
      }
      if (rec.seed !== c.seed || rec.budgetMs !== c.budgetMs) {
        throw new BadInput(`--resume: ${c.out} holds '${rec.key}' from a campaign with --seed ${rec.seed} --time-per-variant ${rec.budgetMs}ms; this one has --seed ${c.seed} --time-per-variant ${c.budgetText}`);
      }
      const p = planned.find((x) => x.key === rec.key) as PlannedRow;
      const own = rowBudget(p, c.threadsMs);
      if (rec.budget.executions !== own.executions || rec.budget.threadsMs !== own.threadsMs) {
        const was = budgetWords(rec.budget);
        throw new BadInput(`--resume: ${c.out} holds '${rec.key}' run with ${was}; this campaign gives it ${budgetWords(own)} (another --threads-time, or another version's budgets)`);
      }
      // a row with no verdict (a harness error, an execution a limit stopped, the scenario's error) runs again: a retry may get one
      if (resumeRunsAgain(rec.status)) continue;
      candidates.push({ rec, sc: p.sc });
    }
    // a row run on other code (the scenario file, what it imports, or mmu-stress changed since) is no verdict on this code: it runs again
    for (const rec of await keptOnCurrentCode(c.out, candidates, (sc) => firstMemory(c, planned, sc), hooks.say)) kept.set(rec.key, rec);
  }
  // sim rows first, `jobs` at a time, then the threads rows, each alone (the plan alternates
  // sim and threads: in plan order a threads row would wait for the machine after every sim row)
  const todo = dealOrder(planned.filter((p) => !kept.has(p.key)));
  const writer = c.out ? new RecordWriter(c.out, c.resume) : null;
  const done = new Map<string, RowRecord>(kept);
  const prefix = commandPrefix();
  const started = performance.now();
  const signal = hooks.signal ?? new AbortController().signal;
  hooks.onProgress?.({ kind: 'planned', planned: planned.length, kept: [...kept.values()] });

  const threads = executorFor('threads');
  const sims: Executor[] = [];
  const freeSims: Executor[] = [];
  let writeError: Error | null = null;
  /** A row that failed as a whole (the harness's failure: a scenario's throw is its row's result): no row starts after it, and it is thrown once the rows in flight end. */
  let rowFailure: unknown = null;

  const runRow = async (p: PlannedRow, executor: Executor): Promise<void> => {
    const config = rowConfig(c, p);
    hooks.onProgress?.({ kind: 'row-started', key: p.key, executions: config.executions });
    let r: RunResult;
    const rowStarted = performance.now();
    try {
      r = await runConfigured(config, p.sc, {
        executor,
        abort: signal,
        onExecution: (n) => hooks.onProgress?.({ kind: 'execution', key: p.key, executions: n }),
        onClockStart: (warmupMs) => hooks.onProgress?.({ kind: 'row-warmed', key: p.key, warmupMs }),
      });
    } catch (e) {
      // the scenario's own code threw outside an execution (a role's count()): this row's error, not the campaign's end
      if (e instanceof ScenarioFailure) r = scenarioFailureResult(config, p.sc, e, performance.now() - rowStarted);
      else {
        hooks.onProgress?.({ kind: 'row-ended', key: p.key, record: null, line: null });
        throw e;
      }
    }
    if (r.interrupted) {
      hooks.onProgress?.({ kind: 'row-ended', key: p.key, record: null, line: null });
      return; // the signal cut the row in flight short: it is not reported
    }
    // a sim row's finding is as found (not shrunk): its line replays that very execution
    const finding = findingReplay(r);
    const command = r.violation ? replayCommand(prefix, p.sc, r, r.violation.seed ?? c.seed, finding.extra, r.mode, finding.token) : null;
    // a threads row's seed runs on the cores again, which choose the interleaving: a re-run, not a replay (rows do not reproduce in sim)
    const replay = r.mode === 'threads' ? null : command;
    if (r.violation && r.mode === 'threads' && command) r.violation.rerun = command;
    let fingerprint: string;
    try {
      fingerprint = await scenarioFingerprint(p.sc, rowMemory(config)); // of the bundle the row ran: built, or fresh in the cache
    } catch (e) {
      hooks.onProgress?.({ kind: 'row-ended', key: p.key, record: null, line: null });
      throw e;
    }
    const rec = toRecord(r, c.seed, c.budgetMs, replay, scenarios, fingerprint);
    done.set(p.key, rec);
    if (writer && !writeError) {
      try {
        writer.write(rec);
      } catch (e) {
        writeError = e as Error; // stop starting rows: what is written stays
      }
    }
    const evidence = rec.evidence ? `, ${grouped(rec.evidence.steps)} ${rec.evidence.stepUnit}` : '';
    const of = config.executions === null ? '' : ` of ${config.executions}`;
    const line = `${statusWords(rec.status, config.startBeforeMs).padEnd(8)} ${p.key}: ${r.observed} after ${r.executions}${of} executions${evidence}`;
    hooks.onProgress?.({ kind: 'row-ended', key: p.key, record: rec, line });
  };

  const stop = () => signal.aborted || writeError !== null || rowFailure !== null;
  try {
    const inflight = new Set<Promise<void>>();
    for (const p of todo) {
      if (stop()) break;
      if (p.mode === 'threads') {
        await Promise.all(inflight); // threads mode keeps the machine to itself
        if (stop()) break;
        await runRow(p, threads).catch((e) => {
          rowFailure ??= e;
        });
        continue;
      }
      while (inflight.size >= c.jobs) await Promise.race(inflight);
      if (stop()) break;
      let sim = freeSims.pop();
      if (!sim) {
        sim = executorFor('sim');
        sims.push(sim);
      }
      const job: Promise<void> = runRow(p, sim)
        .catch((e) => {
          rowFailure ??= e;
        })
        .finally(() => {
          inflight.delete(job);
          freeSims.push(sim as Executor);
        });
      inflight.add(job);
    }
    await Promise.all(inflight); // every row in flight ends (recorded) before the workers go
  } finally {
    writer?.close();
    await threads.close();
    await Promise.all(sims.map((s) => s.close()));
  }
  if (rowFailure !== null) throw rowFailure;
  if (writeError) throw new BadInput(`--out ${c.out}: ${(writeError as Error).message} (the rows before it are in the file; --resume goes on from there)`);

  const records = planned.map((p) => done.get(p.key)).filter((r): r is RowRecord => r !== undefined);
  await writeReports({ junit: c.junit ?? undefined, html: c.html ?? undefined, planned: planned.length, plannedKeys: planned.map((p) => p.key) }, records, 'mmu-stress campaign');
  return { records, plannedKeys: planned.map((p) => p.key), resumed: kept.size, elapsedMs: Math.round(performance.now() - started) };
}
