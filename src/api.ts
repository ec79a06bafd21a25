/**
 * The library: runScenario() and runCampaign(), the engine's own API, for tests and
 * scripts in a user's own project. Each takes the options its command takes (the same
 * names, validated by the same code: exec/config.ts, campaign/config.ts), runs the engine
 * directly, and returns what the command's --json prints. Bad input, a scenario that
 * throws while loading and a harness failure come back as `{exitCode, error}` (exit 2 or
 * 3), never as a throw. The library never prints, never exits, spawns no command line and
 * installs no signal handlers: an AbortSignal stops a run as SIGINT stops the command.
 */
import type { CampaignOptions } from './campaign/config.js';
import { CAMPAIGN_OPTION_NAMES, resolveCampaignConfig } from './campaign/config.js';
import { type CampaignProgress, runCampaignRows } from './campaign/run.js';
import { RUN_OPTION_NAMES, resolveRunConfig, type RunOptions } from './exec/config.js';
import { runConfigured } from './exec/run.js';
import { type CampaignResult, campaignResult } from './report/campaign.js';
import { classifyError, errorJson, runJson } from './report/json.js';
import type { RowRecord } from './report/records.js';
import { runOutcome } from './report/run-outcome.js';
import { BadInput } from './rt/errors.js';
import { fileURLToPath } from 'node:url';
import type { Violation } from './rt/violation.js';

export type { CampaignConfig, CampaignOptions } from './campaign/config.js';
export type { CampaignProgress } from './campaign/run.js';
export type { RunConfig, RunOptions } from './exec/config.js';
export type { CampaignResult } from './report/campaign.js';
export type { RowRecord } from './report/records.js';

/** What a run reports as it goes: after each finished execution. */
export interface RunProgress {
  executions: number;
  elapsedMs: number;
}

export interface RunScenarioOptions extends Omit<RunOptions, 'scenario'> {
  /** A built-in scenario's name, the path of a scenario file (relative to the working directory), or its file: URL (`new URL('./my.ts', import.meta.url)`). */
  scenario: string | URL;
  /** Stops the run as SIGINT would: what finished is returned, with `interrupted: 'SIGINT'` and exit code 130. */
  signal?: AbortSignal;
  /** Called after each finished execution. */
  onProgress?: (p: RunProgress) => void;
}

/** The object `run --json` prints; `exitCode` is the command's exit code (0, 1, 2, 3, 130). */
export interface RunScenarioResult {
  exitCode: number;
  scenario?: string;
  variant?: string;
  mode?: 'sim' | 'threads';
  memory?: 'sc' | 'weak';
  observed?: string;
  expect?: string;
  asExpected?: boolean;
  interrupted?: string | null;
  firstSeed?: number;
  executions?: number;
  /** What the run found, as the violation record has it (its trace too: the ops that led to it), with the replay command. */
  violations?: RunViolation[];
  /** Bad input (exit 2), the scenario's or the harness's failure (exit 3): what ended the run without a result. */
  error?: { kind: 'bad-input' | 'scenario' | 'harness'; message: string };
  /** What `run` tells before the run, when there is something (a generator called without yield*, a --jobs above the cores, ...): absent otherwise. */
  notes?: string[];
  [key: string]: unknown;
}

/** One finding of a run, as `run --json` prints it: every field of the violation record, and the command that replays it. */
export type RunViolation = Omit<Violation, 'kind' | 'replay'> & { kind: string; replay?: string | null };

export interface RunCampaignOptions extends CampaignOptions {
  /** Stops the campaign as SIGINT would: the rows that finished are returned, exit code 130. */
  signal?: AbortSignal;
  /** Called as the campaign goes: its plan, each execution of a row in flight, each row that ends. */
  onProgress?: (e: CampaignProgress) => void;
}

/** The document `campaign --json` prints, with each finished row's whole record (violation, replay line, lock orders). */
export type RunCampaignResult = (CampaignResult & { records: RowRecord[]; error?: undefined }) | { exitCode: number; error: { kind: 'bad-input' | 'scenario' | 'harness'; message: string } };

/** An option the function does not know is bad input, as an unknown flag is: a misspelt one must not run with the defaults. */
function unknownOption(fn: string, o: object, known: readonly string[]): string | null {
  const valid = [...known, 'signal', 'onProgress'];
  const odd = Object.keys(o).filter((k) => !valid.includes(k));
  return odd.length ? `${fn}: unknown option${odd.length > 1 ? 's' : ''} ${odd.map((k) => `'${k}'`).join(', ')}; valid: ${valid.join(', ')}` : null;
}

/** What an abort reads as: the SIGINT the command would have had. */
function interruptOf(signal: AbortSignal | undefined): { received: 'SIGINT' | null; code: number | null } {
  return signal?.aborted ? { received: 'SIGINT', code: 130 } : { received: null, code: null };
}

function failure(e: unknown): { exitCode: number; error: { kind: 'bad-input' | 'scenario' | 'harness'; message: string } } {
  const { code, kind, message } = classifyError(e);
  return errorJson(code, kind, message) as { exitCode: number; error: { kind: 'bad-input' | 'scenario' | 'harness'; message: string } };
}

export async function runScenario(o: RunScenarioOptions): Promise<RunScenarioResult> {
  try {
    if (typeof o !== 'object' || o === null) throw new BadInput('runScenario: give it an options object, e.g. { scenario: \'shrinker-vs-fault\' }');
    if (o.scenario instanceof URL && o.scenario.protocol !== 'file:') throw new BadInput(`runScenario: scenario must be a built-in name, a file's path or a file: URL, not ${o.scenario.protocol} URL '${o.scenario.href}'`);
    if (!(o.scenario instanceof URL) && (typeof o.scenario !== 'string' || o.scenario === '')) throw new BadInput('runScenario: scenario is required: a built-in name, the path of a scenario file or its file: URL');
    const odd = unknownOption('runScenario', o, RUN_OPTION_NAMES);
    if (odd) throw new BadInput(odd);
    const { signal, onProgress, ...given } = o;
    // a file: URL (new URL('./my.ts', import.meta.url)) names its file, as its path would
    const options = { ...given, scenario: given.scenario instanceof URL ? fileURLToPath(given.scenario) : given.scenario };
    const { config, scenario, notes } = await resolveRunConfig(options);
    const t0 = performance.now();
    const r = await runConfigured(config, scenario, { abort: signal, onExecution: onProgress && ((n) => onProgress({ executions: n, elapsedMs: performance.now() - t0 })) });
    const it = interruptOf(signal);
    const { code, replay, limitFlags } = runOutcome(r, config, scenario, it.code);
    return runJson(r, replay, code, it.received, limitFlags, notes) as RunScenarioResult;
  } catch (e) {
    return failure(e);
  }
}

export async function runCampaign(o: RunCampaignOptions = {}): Promise<RunCampaignResult> {
  try {
    const odd = unknownOption('runCampaign', o, CAMPAIGN_OPTION_NAMES);
    if (odd) throw new BadInput(odd);
    const { signal, onProgress, ...options } = o;
    const { config } = resolveCampaignConfig(options);
    const outcome = await runCampaignRows(config, { signal, onProgress });
    const it = interruptOf(signal);
    const result = campaignResult(outcome.records, {
      total: outcome.plannedKeys.length,
      signal: it.received,
      interruptCode: it.code,
      elapsedMs: outcome.elapsedMs,
      resumed: outcome.resumed,
      shard: config.shard ? `${config.shard.index}/${config.shard.count}` : null,
    });
    return { ...result, records: outcome.records };
  } catch (e) {
    return failure(e);
  }
}
