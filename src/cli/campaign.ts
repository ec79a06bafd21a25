/**
 * `mmu-stress campaign` (npm start): every scenario x variant, in sim and in threads; a
 * table of expected vs observed (campaign/run.ts runs the rows; report/campaign.ts sums
 * them up). A thin layer: flags become CampaignOptions, resolved once by
 * campaign/config.ts; this file draws the progress line, says each row as it ends, and
 * prints. Each row's status and the exit code it gives are in report/verdict.ts
 * (docs/verdicts.md). Interrupted, it prints the rows that finished.
 */
import { type CampaignOptions, campaignLimitFlags, DEFAULT_ROW_CAP, DEFAULT_THREADS_TIME, resolveCampaignConfig } from '../campaign/config.js';
import { runCampaignRows } from '../campaign/run.js';
import { MAX_SEED } from '../exec/seeds.js';
import { campaignOutput } from '../report/campaign.js';
import type { RowRecord } from '../report/records.js';
import { type CommandSpec, commandHelp, has, type ParsedArgs, parseCommand, str } from './args.js';
import type { CommandOutput } from './command.js';
import type { Interrupt } from './interrupt.js';
import { note } from './output.js';
import { clock, ProgressLine, progressWanted } from './progress.js';

// what tests and `merge` read of a campaign, where it lives now
export { campaignPlan, type PlannedRow, rowBudget } from '../campaign/plan.js';
export { campaignLockdep, campaignOutput, toCampaignRow } from '../report/campaign.js';
export { DEFAULT_ROW_CAP, DEFAULT_THREADS_TIME } from '../campaign/config.js';
export { MAX_JOBS } from '../exec/jobs.js';

export const CAMPAIGN_SPEC: CommandSpec = {
  name: 'campaign',
  summary:
    "Run every variant of every built-in scenario (or of the scenarios given) in sim (the variant's number of executions: the same verdict on any machine) and in threads (a short time), and compare what each row produced with what it expects. Exit 0: every row as expected or not reproduced on threads; 1: a mismatch (a finding or a regression); 3: a row without a verdict.",
  positionals: [],
  optional: { name: 'scenario', help: 'only these scenarios: built-in names, or paths to your own scenario files (default: every built-in scenario)' },
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
    resume: { help: 'with --out: keep the rows FILE already holds that have a verdict and were run on this code (their fingerprint: the scenario file, what it imports, mmu-stress), append the others to it, and run only those (rows without a verdict, or of other code, again)' },
    shard: { value: 'i/n', help: 'run only shard i of n (1..n): the plan\'s sim rows then its threads rows, dealt round-robin (the i-th, (i+n)-th, ...), so every shard gets its share of both; merge the shards with mmu-stress merge' },
    junit: { value: 'FILE', help: 'write the rows as JUnit XML (one test case per row) to FILE' },
    html: { value: 'FILE', help: 'write a self-contained HTML report (the table, and each violation as a timeline) to FILE' },
    quiet: { help: 'no progress line and no per-row lines on stderr' },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

/** The flags as CampaignOptions, each as written (the validator reads and checks them). */
function campaignOptionsOf(a: ParsedArgs): CampaignOptions {
  return {
    ...(a.positional.length > 0 ? { scenarios: a.positional } : {}),
    timePerVariant: str(a, 'time-per-variant'),
    threadsTime: str(a, 'threads-time'),
    seed: str(a, 'seed'),
    jobs: str(a, 'jobs'),
    out: str(a, 'out'),
    resume: has(a, 'resume'),
    shard: str(a, 'shard'),
    junit: str(a, 'junit'),
    html: str(a, 'html'),
  };
}

export async function campaignCommand(argv: string[], interrupt: Interrupt): Promise<CommandOutput> {
  const a = parseCommand(CAMPAIGN_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(CAMPAIGN_SPEC), help: true };
  const json = has(a, 'json');
  const quiet = has(a, 'quiet');
  const { config, notes } = resolveCampaignConfig(campaignOptionsOf(a));
  for (const line of notes) note(line);

  // progress: what is running, how far, and the violations so far
  const running = new Map<string, { started: number; executions: number; of: number | null }>();
  const done: RowRecord[] = [];
  let planned = 0;
  const started = performance.now();
  const progress = progressWanted({ json, quiet })
    ? new ProgressLine(() => {
        const now = performance.now();
        const violations = done.filter((r) => r.violation).length;
        const parts = [...running].map(([key, s]) => {
          const el = now - s.started;
          return `${key}: ${s.executions}${s.of === null ? '' : `/${s.of}`} ex (${((s.executions * 1000) / Math.max(el, 1)).toFixed(0)}/s) ${clock(el)}/${clock(s.of === null ? config.threadsMs : config.budgetMs)}`;
        });
        return `campaign ${done.length}/${planned} rows, ${violations} violations, ${clock(now - started)}${parts.length ? ` | ${parts.join(' | ')}` : ''}`;
      })
    : null;
  const say = (line: string) => {
    if (json || quiet) return;
    if (progress) progress.say(line);
    else note(line);
  };
  progress?.start();
  let outcome: Awaited<ReturnType<typeof runCampaignRows>>;
  try {
    outcome = await runCampaignRows(config, {
      signal: interrupt.signal,
      say: note,
      onProgress: (e) => {
        if (e.kind === 'planned') {
          planned = e.planned;
          done.push(...e.kept);
        } else if (e.kind === 'row-started') running.set(e.key, { started: performance.now(), executions: 0, of: e.executions });
        else if (e.kind === 'execution') {
          const s = running.get(e.key);
          if (s) s.executions = e.executions;
        } else if (e.kind === 'row-ended') {
          running.delete(e.key);
          if (e.record) done.push(e.record);
          if (e.line) say(e.line);
        }
      },
    });
  } finally {
    progress?.stop();
  }
  return campaignOutput(outcome.records, {
    total: outcome.plannedKeys.length,
    json,
    signal: interrupt.received,
    interruptCode: interrupt.exitCode,
    elapsedMs: outcome.elapsedMs,
    limitFlags: campaignLimitFlags(config),
    resumed: outcome.resumed,
    shard: config.shard ? `${config.shard.index}/${config.shard.count}` : null,
  });
}
