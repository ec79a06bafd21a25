/**
 * `mmu-stress run`: executions of one scenario variant until a violation or the budget
 * ends. A thin layer: flags become RunOptions, which exec/config.ts resolves, exec/run.ts
 * runs and report/run-outcome.ts settles; this file draws the progress line and prints.
 */
import { clock, ProgressLine, progressWanted } from './progress.js';
import { chromeTrace } from '../report/chrome-trace.js';
import { htmlReport } from '../report/html.js';
import { toRecord } from '../report/records.js';
import { checkOutputs, writeFileFor } from '../report/files.js';
import { note } from './output.js';
import { DEFAULT_JITTER } from '../exec/drive.js';
import { LIMIT_DEFAULTS } from '../exec/limits.js';
import { orList, resolveRunConfig, type RunOptions, SIM_DEFAULT_EXECUTIONS } from '../exec/config.js';
import { MAX_SEED, runConfigured } from '../exec/run.js';
import { runJson } from '../report/json.js';
import { runOutcome } from '../report/run-outcome.js';
import { runText } from '../report/text.js';
import { BadInput } from '../rt/errors.js';
import { type CommandSpec, commandHelp, has, list, type ParsedArgs, parseCommand, str } from './args.js';
import type { CommandOutput } from './command.js';
import type { InterruptView } from './interrupt.js';
import { cliStrategies } from '../exec/strategies/index.js';
import { optionName } from '../exec/config.js';

export const RUN_SPEC: CommandSpec = {
  name: 'run',
  summary: 'Run executions of one scenario variant with seeds N, N+1, ... until a violation is found or the budget is spent.',
  positionals: [{ name: 'scenario', help: 'a built-in scenario (mmu-stress list) or a path to a scenario file' }],
  flags: {
    variant: { value: 'V', help: "the variant to run (default: the scenario's first)" },
    mode: { value: 'sim|threads', help: 'sim: one thread, a seeded scheduler, exact replay (default); threads: a worker thread per role' },
    seed: { value: 'N', help: `the seed of the first execution, 0..${MAX_SEED} (default 1)` },
    executions: { value: 'N', help: `stop after N executions (default without --time: ${SIM_DEFAULT_EXECUTIONS} in sim)` },
    time: { value: 'DURATION', help: 'bound the whole run: 500ms, 10s, 2m (default without --executions: 10s in threads)' },
    vcpus: { value: 'N', help: 'short for --param vcpus=N' },
    param: { value: 'K=V', multiple: true, help: 'set a scenario parameter; repeatable (mmu-stress list shows them)' },
    jitter: { value: 'P', help: `threads: chance of a jitter at each op boundary, 0..1 (default ${DEFAULT_JITTER.prob})` },
    watchdog: {
      value: 'DURATION',
      help: `threads: how long a task may stay blocked, or tasks run without progress, before that is a verdict; both modes: how long a role may run without an op boundary (default ${LIMIT_DEFAULTS.watchdogMs / 1000}s)`,
    },
    // the strategies and their own flags, from the registry (exec/strategies/index.ts)
    strategy: {
      value: cliStrategies()
        .map((e) => e.name)
        .join('|'),
      help: `sim: how the scheduler picks the next task: ${orList(cliStrategies().map((e) => e.help ?? e.name), ', or ')}`,
    },
    ...Object.fromEntries(cliStrategies().flatMap((e) => Object.entries(e.flags ?? {}))),
    schedule: { value: 'TOKEN|@FILE', help: 'sim: replay one schedule, given as the token a report prints (or a file holding it); it carries its seed' },
    memory: {
      value: 'sc|weak',
      help: "sim: sequentially consistent memory (default), or LKMM-style weak memory: a READ_ONCE, plain or acquire load may return an older store (default: the variant's; plain-flag carries weak)",
    },
    rare: {
      value: 'forced|sampled',
      help: "sim: forced (default): each rare event a scenario declares (its xEvery parameter, N >= 2) is placed 1, 2, 4, ... times per execution (drawn per execution) at opportunities drawn uniformly over the execution, and a finding's host rate is estimated; sampled: each opportunity is a coin at the host rate 1/N (threads, dfs and a --schedule's own list: always as theirs)",
    },
    'rare-placements': { value: 'N', help: 'forced: the most placements of one rare event per execution; each execution draws how many from 1, 2, 4, ... up to it (default: as many as the event has opportunities)' },
    'rare-horizons': { value: 'EVENT=N,...', help: "forced: each rare event's opportunities per execution to draw placements over, instead of counting them in a trial execution of the first seed (replays give them)" },
    'host-rate': { value: 'N', help: 'sim: after a finding among executions with rare events, estimate how often one execution hits it at the host rates, over N executions from the first seed (default 500; 0: not)' },
    html: { value: 'FILE', help: "write a self-contained HTML report of the run to FILE: its verdict and the violation's interleaving as a swimlane timeline" },
    jobs: {
      value: 'N',
      help: 'sim: spread the seeds over N worker threads (default and most: the cores, fewer if memory is short); the result is the one --jobs 1 gives (the lowest failing seed); dfs, a --schedule and pct without --pct-steps run on one',
    },
    quiet: { help: 'no progress line on stderr (there is one only when stderr is a terminal, and never under CI or with --json)' },
    'trace-out': { value: 'FILE', help: "write the violation's interleaving to FILE in the Chrome trace event format (opens in Perfetto or chrome://tracing); nothing without a violation" },
    'no-shrink': { help: "sim: report a finding's schedule as found instead of shrinking it to the fewest preemptions and steps" },
    'no-reproduce': { help: 'threads: do not replay a finding in sim, and record nothing for it (each step and each shared access is recorded otherwise)' },
    lockdep: { value: 'on|off', help: 'off: lockdep records lock orders but reports no lock-order-cycle; a deadlock report still names a cycle it saw (default on)' },
    'execution-limit': { value: 'DURATION', help: `the longest one execution may run; past it, it is incomplete (default ${LIMIT_DEFAULTS.executionLimitMs / 60_000}m)` },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

export async function runCommand(argv: string[], interrupt: InterruptView): Promise<CommandOutput> {
  const a = parseCommand(RUN_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(RUN_SPEC), help: true };
  const scenarioFile = /\.[cm]?[jt]s$/.test(a.positional[0]) ? a.positional[0] : undefined;
  const scheduleFile = str(a, 'schedule')?.startsWith('@') ? str(a, 'schedule')?.slice(1) : undefined;
  checkOutputs([{ flag: 'html', file: str(a, 'html') }, { flag: 'trace-out', file: str(a, 'trace-out') }], [{ what: 'the scenario file', file: scenarioFile }, { what: 'the --schedule file', file: scheduleFile }]);
  const { config, scenario: sc, notes } = await resolveRunConfig(runOptionsOf(a));
  for (const line of notes) note(line);
  const s = sc.def;
  // the live line on a terminal: executions, their rate, the budget used, the violation if any
  let done = 0;
  const t0 = performance.now();
  const budgetText = config.timeMs !== null ? ` of ${clock(config.timeMs)}` : config.executions !== null ? ` (${config.executions} executions at most)` : '';
  const progress = progressWanted({ json: has(a, 'json'), quiet: has(a, 'quiet') })
    ? new ProgressLine(() => {
        const el = performance.now() - t0;
        return `run ${s.name} / ${config.variant}, ${config.mode}: ${done} executions (${((done * 1000) / Math.max(el, 1)).toFixed(0)}/s), ${clock(el)}${budgetText}, 0 violations so far`;
      })
    : null;
  progress?.start();
  let r: Awaited<ReturnType<typeof runConfigured>>;
  try {
    r = await runConfigured(config, sc, {
      abort: interrupt.signal,
      onExecution: (n) => {
        done = n;
      },
    });
  } finally {
    progress?.stop();
  }
  const { code, replay, rerun, noReplay, explore, inSim, limitFlags } = runOutcome(r, config, sc, interrupt.exitCode);
  const html = str(a, 'html');
  if (html) writeFileFor('html', html, htmlReport([toRecord(r, config.seed, config.timeMs ?? 0, replay)], { title: `mmu-stress run ${s.name} / ${config.variant}` }));
  const traceOut = str(a, 'trace-out');
  if (traceOut && r.violation) writeFileFor('trace-out', traceOut, `${JSON.stringify(chromeTrace({ ...r.violation, replay: replay ?? undefined }, `${s.name} / ${config.variant}, seed ${r.violation.seed}`))}\n`);
  else if (traceOut && !has(a, 'json')) note(`--trace-out ${traceOut}: no violation, so no interleaving to write`);
  if (has(a, 'json')) return { code, stdout: JSON.stringify(runJson(r, replay, code, interrupt.received, limitFlags, notes), null, 2) };
  return { code, stdout: runText(r, { replay, rerun, noReplay, explore, inSim, limitFlags, signal: interrupt.received }) };
}

/** The flags as RunOptions: each as written (the validator reads and checks them), --param pairs as a record. */
function runOptionsOf(a: ParsedArgs): RunOptions {
  const params: Record<string, string> = {};
  for (const pair of list(a, 'param')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BadInput(`--param takes k=v, not '${pair}'`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const o: Record<string, unknown> = {
    scenario: a.positional[0],
    variant: str(a, 'variant'),
    mode: str(a, 'mode'),
    seed: str(a, 'seed'),
    executions: str(a, 'executions'),
    time: str(a, 'time'),
    params,
    vcpus: str(a, 'vcpus'),
    lockdep: str(a, 'lockdep'),
    jitter: str(a, 'jitter'),
    watchdog: str(a, 'watchdog'),
    executionLimit: str(a, 'execution-limit'),
    strategy: str(a, 'strategy'),
    memory: str(a, 'memory'),
    schedule: str(a, 'schedule'),
    shrink: !has(a, 'no-shrink'),
    reproduce: !has(a, 'no-reproduce'),
    jobs: str(a, 'jobs'),
    rare: str(a, 'rare'),
    rarePlacements: str(a, 'rare-placements'),
    rareHorizons: str(a, 'rare-horizons'),
    hostRate: str(a, 'host-rate'),
  };
  // each strategy's own flags, by the option name the registry's flag gives (--pct-steps: pctSteps)
  for (const e of cliStrategies()) for (const f of Object.keys(e.flags ?? {})) o[optionName(f)] = str(a, f);
  return o as unknown as RunOptions;
}
