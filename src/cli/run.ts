/** `mmu-stress run`: executions of one scenario variant until a violation or the budget ends. */
import { jobsFlag } from './jobs.js';
import { clock, ProgressLine, progressWanted } from './progress.js';
import { chromeTrace } from '../report/chrome-trace.js';
import { htmlReport } from '../report/html.js';
import { toRecord } from '../report/records.js';
import { checkOutputs, writeFileFor } from './outputs.js';
import { note } from './output.js';
import { DEFAULT_JITTER } from '../exec/drive.js';
import { instancesOf, MAX_TASKS } from '../exec/frame.js';
import { LIMIT_DEFAULTS } from '../exec/limits.js';
import { exitCodeOf, MAX_SEED, memoryOf, type Mode, run, seedsLeft, strategySection } from '../exec/run.js';
import { SimExecutor } from '../exec/sim-runner.js';
import { THREADS_DEFAULTS, ThreadsExecutor } from '../exec/threads.js';
import { runJson } from '../report/json.js';
import { findingReplay, replayCommand } from '../report/replay.js';
import { type LimitFlags, runText } from '../report/text.js';
import { BadInput } from '../rt/errors.js';
import { loadScenario } from '../load/scenarios.js';
import { type CommandSpec, commandHelp, duration, fraction, has, list, parseCommand, str, wholeNumber } from './args.js';
import type { CommandOutput } from './command.js';
import type { InterruptView } from './interrupt.js';
import { commandPrefix } from '../report/invocation.js';
import type { Guide } from '../exec/strategy.js';
import { guideFits, guideToken, parseGuideToken } from '../exec/strategies/guided.js';
import { cliStrategies, strategyEntry } from '../exec/strategies/index.js';
import type { StrategySpec } from '../exec/strategy.js';
import { readFileSync } from 'node:fs';
import { checkArenaSize, resolveParams } from './params.js';

/** Without --executions or --time: sim runs this many executions, threads runs this long. */
const SIM_DEFAULT_EXECUTIONS = 1000;
const THREADS_DEFAULT_TIME_MS = 10_000;

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
    html: { value: 'FILE', help: "write a self-contained HTML report of the run to FILE: its verdict and the violation's interleaving as a swimlane timeline" },
    jobs: {
      value: 'N',
      help: 'sim: spread the seeds over N worker threads (default and most: the cores, fewer if memory is short); the result is the one --jobs 1 gives (the lowest failing seed); dfs, a --schedule and pct without --pct-steps run on one',
    },
    quiet: { help: 'no progress line on stderr (there is one only when stderr is a terminal, and never under CI or with --json)' },
    'trace-out': { value: 'FILE', help: "write the violation's interleaving to FILE in the Chrome trace event format (opens in Perfetto or chrome://tracing); nothing without a violation" },
    'no-shrink': { help: "sim: report a finding's schedule as found instead of shrinking it to the fewest preemptions and steps" },
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
  // the token first: what can be wrong with it without the scenario is said before loading one
  const token = str(a, 'schedule');
  const guide = token === undefined ? null : scheduleArg(token);
  const sc = await loadScenario(a.positional[0]);
  const s = sc.def;
  const variants = Object.keys(s.variants);
  const variant = str(a, 'variant') ?? variants[0];
  if (!variants.includes(variant)) throw new BadInput(`unknown variant '${variant}' of ${s.name}; valid: ${variants.join(', ')}`);
  const mode = (str(a, 'mode') ?? 'sim') as Mode;
  if (mode !== 'sim' && mode !== 'threads') throw new BadInput(`--mode must be sim or threads, not '${mode}'`);
  if (guide && (mode !== 'sim' || str(a, 'seed') !== undefined || str(a, 'strategy') !== undefined || str(a, 'executions') !== undefined || str(a, 'time') !== undefined)) {
    throw new BadInput('--schedule replays one sim execution from its token: give it without --mode threads, --seed, --strategy, --executions or --time');
  }
  const seed = guide ? guide.seed : wholeNumber('seed', str(a, 'seed') ?? '1', 0, MAX_SEED);
  let executions = guide ? 1 : str(a, 'executions') === undefined ? null : wholeNumber('executions', str(a, 'executions') as string, 1);
  const strategyName = str(a, 'strategy') ?? 'random';
  const entry = cliStrategies().find((e) => e.name === strategyName);
  // a strategy that explores one seed's schedules counts no seeds, and runs until its space is exhausted
  if (executions !== null && entry?.oneSeed !== true && executions > seedsLeft(seed)) {
    throw new BadInput(`--seed ${seed} --executions ${executions} would run seeds past ${MAX_SEED}, the highest seed; give at most --executions ${seedsLeft(seed)} from this seed`);
  }
  let timeMs = str(a, 'time') === undefined ? null : duration('time', str(a, 'time') as string);
  if (executions === null && timeMs === null && entry?.oneSeed !== true) {
    if (mode === 'sim') executions = SIM_DEFAULT_EXECUTIONS;
    else timeMs = THREADS_DEFAULT_TIME_MS;
  }
  const params = resolveParams(s, variant, list(a, 'param'), str(a, 'vcpus'));
  const tasks = instancesOf(s, params, variant).length;
  if (tasks > MAX_TASKS) throw new BadInput(`${tasks} role instances; at most ${MAX_TASKS}`);
  checkArenaSize(s, params, variant, sc.file);
  const jitter = { ...DEFAULT_JITTER, prob: str(a, 'jitter') === undefined ? DEFAULT_JITTER.prob : fraction('jitter', str(a, 'jitter') as string) };
  const watchdogMs = str(a, 'watchdog') === undefined ? LIMIT_DEFAULTS.watchdogMs : duration('watchdog', str(a, 'watchdog') as string);
  if (watchdogMs < 1000) throw new BadInput(`--watchdog must be at least 1s (it is how long a task may stay blocked), not '${str(a, 'watchdog')}'`);
  if (!entry) throw new BadInput(`--strategy must be ${orList(cliStrategies().map((e) => e.name))}, not '${strategyName}'`);
  if (strategyName !== 'random' && mode !== 'sim') throw new BadInput('--strategy chooses the sim scheduler; threads mode has the hardware\'s');
  // a strategy's flags go with it alone
  for (const other of cliStrategies()) {
    const flags = Object.keys(other.flags ?? {});
    if (other !== entry && flags.some((f) => str(a, f) !== undefined)) throw new BadInput(`${flags.map((f) => `--${f}`).join(' and ')} go with --strategy ${other.name}`);
  }
  if (str(a, 'jobs') !== undefined && mode !== 'sim') throw new BadInput("--jobs spreads sim executions over worker threads; threads mode keeps the machine to itself");
  const jobs = jobsFlag(a);
  const memoryFlag = str(a, 'memory');
  if (memoryFlag !== undefined && memoryFlag !== 'sc' && memoryFlag !== 'weak') throw new BadInput(`--memory must be sc or weak, not '${memoryFlag}'`);
  if (memoryFlag === 'weak' && mode !== 'sim') throw new BadInput('--memory weak needs --mode sim: threads run on real cores, whose Atomics are sequentially consistent');
  const memory = memoryOf({ memory: memoryFlag as 'sc' | 'weak' | undefined, mode, scenario: sc, variant });
  const misfit = guide ? guideFits(guide, instancesOf(s, params, variant).map((i) => i.name), memory) : null;
  if (misfit) throw new BadInput(`--schedule: ${misfit}`);
  // the strategy's own flags, read and checked by its entry
  const strategy: StrategySpec = guide
    ? { name: 'guided', guide }
    : (entry.options?.((f) => str(a, f), { memory, whole: wholeNumber }) ?? { name: entry.name });
  const lockdep = str(a, 'lockdep') ?? 'on';
  if (lockdep !== 'on' && lockdep !== 'off') throw new BadInput(`--lockdep must be on or off, not '${lockdep}'`);
  const limit = str(a, 'execution-limit');
  const executionLimitMs = limit === undefined ? LIMIT_DEFAULTS.executionLimitMs : duration('execution-limit', limit);

  const threads = mode === 'threads' ? new ThreadsExecutor() : undefined;
  const sim = mode === 'sim' ? new SimExecutor() : undefined;
  let r: Awaited<ReturnType<typeof run>>;
  // the live line on a terminal: executions, their rate, the budget used, the violation if any
  let done = 0;
  const t0 = performance.now();
  const budgetText = timeMs !== null ? ` of ${clock(timeMs)}` : executions !== null ? ` (${executions} executions at most)` : '';
  const progress = progressWanted({ json: has(a, 'json'), quiet: has(a, 'quiet') })
    ? new ProgressLine(() => {
        const el = performance.now() - t0;
        return `run ${s.name} / ${variant}, ${mode}: ${done} executions (${((done * 1000) / Math.max(el, 1)).toFixed(0)}/s), ${clock(el)}${budgetText}, 0 violations so far`;
      })
    : null;
  progress?.start();
  try {
    r = await run({
      onExecution: (n) => {
        done = n;
      },
      scenario: sc,
      variant,
      params,
      mode,
      seed,
      executions,
      timeMs,
      threads,
      sim,
      threadsOptions: { ...THREADS_DEFAULTS, drive: { ...THREADS_DEFAULTS.drive, jitter } },
      watchdogMs,
      executionLimitMs,
      abort: interrupt.signal,
      lockdep: lockdep === 'on',
      strategy,
      shrink: !has(a, 'no-shrink'),
      memory,
      jobs,
    });
  } finally {
    progress?.stop();
    await threads?.close();
    await sim?.close();
  }
  // the token does not fit this scenario, variant and parameters: bad input, never a verdict
  if (r.departure) throw new BadInput(`--schedule: the replay departs from its token: ${r.departure}; the token does not fit ${s.name} / ${variant} with these parameters (was it recorded with another --variant, --param or version of the scenario?)`);
  const limitFlags: LimitFlags = {
    time: timeMs === null ? '--time' : `--time ${str(a, 'time') ?? `${timeMs / 1000}s`}`,
    'execution-limit': `--execution-limit ${limit ?? `${executionLimitMs / 60_000}m`}`,
  };
  let replay: string | null = null;
  let explore: string | null = null;
  let inSim: string | null = null;
  if (r.violation) {
    const prefix = commandPrefix();
    const vseed = r.violation.seed ?? seed;
    // Flags that shape a threads verdict; in sim the verdict depends on the seed alone.
    const shaping = mode === 'threads' ? ['jitter', 'watchdog', 'execution-limit', 'lockdep'] : ['lockdep'];
    const extra = shaping.filter((f) => str(a, f) !== undefined).map((f) => `--${f} ${str(a, f)}`);
    if (mode === 'sim' && memory !== (s.variants[variant].memory ?? 'sc')) extra.push(`--memory ${memory}`);
    // a schedule token replays the (shrunk) schedule itself; without one, the strategy's
    // flags replay it (pct: its depth and the k that execution drew its change points over;
    // dfs: the same search again, deterministic)
    const finding = findingReplay(r);
    const scheduleToken = finding.token ?? (guide ? guideToken(guide) : undefined);
    extra.push(...finding.extra);
    if (!scheduleToken) extra.push(...(strategyEntry(strategy.name)?.replayFlags?.(strategy, strategySection(r)) ?? []));
    replay = replayCommand(prefix, sc, r, vseed, extra, mode, scheduleToken);
    // On threads the hardware picks the interleaving; sim can explore the same seeds deterministically.
    // (no more executions than there are seeds left: the line must run as printed)
    if (mode === 'threads') explore = replayCommand(prefix, sc, r, vseed, [], 'sim').replace(/--executions \d+/, `--executions ${Math.min(1000, seedsLeft(vseed))}`);
    // the sim replayed the threads order under sc memory: so must its line, whatever the variant's
    const inSimExtra = [...extra.filter((f) => f.startsWith('--lockdep')), ...((s.variants[variant].memory ?? 'sc') === 'weak' ? ['--memory sc'] : [])];
    if (r.reproduced?.token) inSim = replayCommand(prefix, sc, r, vseed, inSimExtra, 'sim', r.reproduced.token);
    r.violation.replay = replay;
  }
  const code = interrupt.exitCode ?? exitCodeOf(r);
  const html = str(a, 'html');
  if (html) writeFileFor('html', html, htmlReport([toRecord(r, seed, timeMs ?? 0, replay)], { title: `mmu-stress run ${s.name} / ${variant}` }));
  const traceOut = str(a, 'trace-out');
  if (traceOut && r.violation) writeFileFor('trace-out', traceOut, `${JSON.stringify(chromeTrace({ ...r.violation, replay: replay ?? undefined }, `${s.name} / ${variant}, seed ${r.violation.seed}`))}\n`);
  else if (traceOut && !has(a, 'json')) note(`--trace-out ${traceOut}: no violation, so no interleaving to write`);
  if (has(a, 'json')) return { code, stdout: JSON.stringify(runJson(r, replay, code, interrupt.received, limitFlags), null, 2) };
  return { code, stdout: runText(r, { replay, explore, inSim, limitFlags, signal: interrupt.received }) };
}

/** `--schedule`: a token, or @FILE holding one. */
function scheduleArg(arg: string): Guide {
  let text = arg;
  if (arg.startsWith('@')) {
    try {
      text = readFileSync(arg.slice(1), 'utf8');
    } catch (e) {
      throw new BadInput(`--schedule ${arg}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
  }
  const g = parseGuideToken(text);
  if (typeof g === 'string') throw new BadInput(`--schedule: ${g}`);
  return g;
}

/** "a, b or c" (`last`: what comes before the last). */
function orList(items: string[], last = ' or '): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')}${last}${items[items.length - 1]}`;
}
