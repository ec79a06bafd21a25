/**
 * A campaign's configuration: every setting `campaign` takes, read and checked once. The
 * command line maps its flags onto CampaignOptions, runCampaign() takes them as they are,
 * and resolveCampaignConfig() turns either into a CampaignConfig (bad input: one
 * BadInput line naming the flag). Each row's run configuration is then made from it and
 * the row (run.ts), not read again.
 */
import type { Mode } from '../exec/config.js';
import { type JobsBasis, machineBasis, resolveJobs } from '../exec/jobs.js';
import { LIMIT_DEFAULTS } from '../exec/limits.js';
import { MAX_SEED } from '../exec/seeds.js';
import { duration, wholeNumber } from '../exec/values.js';
import { checkOutputs } from '../report/files.js';
import type { LimitFlags } from '../report/text.js';
import { BadInput } from '../rt/errors.js';
import { parseShard, type Shard } from './shard.js';

/**
 * The cap on any row's time: far above what a row needs (a sim row's executions take a
 * few seconds at most on an idle machine, a threads row about --threads-time), so that only a machine
 * many times slower than that, or a hang, meets it; a sim row it stops is incomplete.
 */
export const DEFAULT_ROW_CAP = '30s';
/** How long a threads row starts executions: a bug it does not reproduce in that time is not-reproduced. */
export const DEFAULT_THREADS_TIME = '2s';

/** What `campaign` takes, as the command line's flags or the library's options. */
export interface CampaignOptions {
  /** The cap on each row's time ('30s'). */
  timePerVariant?: string;
  /** How long a threads row starts executions ('2s'). */
  threadsTime?: string;
  /** The seed of each row's first execution (default 1). */
  seed?: number | string;
  /** Sim rows run this many at a time (default: the cores). */
  jobs?: number | string;
  /** A JSON-lines results file, each row written as it finishes (new or empty, unless `resume`). */
  out?: string;
  /** With `out`: keep the rows it holds that have a verdict, and run the rest. */
  resume?: boolean;
  /** 'i/n': run only shard i of n. */
  shard?: string;
  /** Write the rows as JUnit XML to this file. */
  junit?: string;
  /** Write a self-contained HTML report to this file. */
  html?: string;
  /** Only these scenarios: built-in names or paths to scenario files (default: every built-in scenario). */
  scenarios?: string[];
  /** Only these variants (of whichever scenario has them). */
  variants?: string[];
  /** Only these modes. */
  modes?: Mode[];
}

export const CAMPAIGN_OPTION_NAMES = [
  'timePerVariant', 'threadsTime', 'seed', 'jobs', 'out', 'resume', 'shard', 'junit', 'html', 'scenarios', 'variants', 'modes',
] as const satisfies readonly (keyof CampaignOptions)[];

export interface CampaignConfig {
  /** The cap on each row's time, in ms and as written. */
  budgetMs: number;
  budgetText: string;
  /** How long a threads row starts executions (at most the cap). */
  threadsMs: number;
  seed: number;
  jobs: number;
  out: string | null;
  resume: boolean;
  shard: Shard | null;
  junit: string | null;
  html: string | null;
  /** The scenarios whose rows run, as given (null: every built-in scenario); then which of their rows (null: all). */
  scenarios: string[] | null;
  variants: string[] | null;
  modes: Mode[] | null;
  /** A row's executions may run as long as the row: only its time cap stops them. */
  executionLimitMs: number;
}

export function resolveCampaignConfig(o: CampaignOptions, basis: JobsBasis = machineBasis()): { config: CampaignConfig; notes: string[] } {
  const budgetText = o.timePerVariant ?? DEFAULT_ROW_CAP;
  const budgetMs = duration('time-per-variant', budgetText);
  const threadsMs = Math.min(duration('threads-time', o.threadsTime ?? DEFAULT_THREADS_TIME), budgetMs);
  const seed = wholeNumber('seed', o.seed === undefined ? '1' : String(o.seed), 0, MAX_SEED);
  const jobs = resolveJobs(o.jobs === undefined ? undefined : String(o.jobs), basis);
  if (o.resume && !o.out) throw new BadInput('--resume goes with --out FILE: the rows to keep are read from it');
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  checkOutputs([{ flag: 'junit', file: o.junit }, { flag: 'html', file: o.html }], [{ what: 'the results file (--out)', file: o.out }]);
  // each scenario is checked as it loads (campaign/plan.ts): a built-in name, or a scenario file's path
  if (o.scenarios !== undefined && (!Array.isArray(o.scenarios) || o.scenarios.some((x) => typeof x !== 'string' || x === '')))
    throw new BadInput('scenarios: give built-in scenario names or paths to scenario files, as strings');
  if (o.scenarios?.length === 0) throw new BadInput('scenarios: the list is empty; leave it out to run every built-in scenario');
  const oddMode = (o.modes ?? []).find((m) => m !== 'sim' && m !== 'threads');
  if (oddMode !== undefined) throw new BadInput(`modes: a mode is sim or threads, not '${oddMode}'`);
  const config: CampaignConfig = {
    budgetMs,
    budgetText,
    threadsMs,
    seed,
    jobs: jobs.jobs,
    out: o.out ?? null,
    resume: o.resume === true,
    shard,
    junit: o.junit ?? null,
    html: o.html ?? null,
    scenarios: o.scenarios ?? null,
    variants: o.variants ?? null,
    modes: o.modes ?? null,
    executionLimitMs: Math.max(LIMIT_DEFAULTS.executionLimitMs, budgetMs),
  };
  return { config, notes: jobs.note ? [jobs.note] : [] };
}

/** The flags a row without a verdict is told to raise: a campaign's rows have one cap. */
export function campaignLimitFlags(c: CampaignConfig): LimitFlags {
  return { time: `--time-per-variant ${c.budgetText}`, 'execution-limit': `--time-per-variant ${c.budgetText}` };
}
