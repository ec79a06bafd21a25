/**
 * One run's configuration: every setting `run` takes, read and checked once, here. The
 * command line maps its flags onto RunOptions, runScenario() takes RunOptions as they
 * are, and resolveRunConfig() turns either into a RunConfig: defaults filled in, ranges
 * checked, and the rules that tie settings together applied (dfs and weak memory need
 * sim, --schedule fixes the seed and the strategy, a strategy's flags go with it alone).
 * Bad input is one BadInput line naming the flag, the same from both.
 *
 * A RunConfig is plain data (structured-clone safe): it goes whole to the executor and
 * into each sim worker, and nothing past this file works out the memory model, the seed
 * or the strategy again.
 */
import { readFileSync } from 'node:fs';
import { BadInput } from '../rt/errors.js';
import { type LoadedScenario, loadScenario } from '../load/scenarios.js';
import { type Params, variantParams } from '../scenario.js';
import { DEFAULT_JITTER } from './drive.js';
import { instancesOf, MAX_TASKS } from './frame.js';
import { type JobsBasis, machineBasis, resolveJobs } from './jobs.js';
import { LIMIT_DEFAULTS } from './limits.js';
import { checkArenaSize, resolveParams } from './params.js';
import { MAX_SEED, seedsLeft } from './seeds.js';
import { cliStrategies, type StrategyName } from './strategies/index.js';
import { guideFits, parseGuideToken, scheduleFit } from './strategies/guided.js';
import type { Guide, StrategySpec } from './strategy.js';
import { duration, fraction, wholeNumber } from './values.js';
import { DEFAULT_HOST_RATE_EXECUTIONS, MAX_PLACEMENTS, type RareConfig } from './rare.js';

export type Mode = 'sim' | 'threads';
export type MemoryModel = 'sc' | 'weak';

/** Without executions or time: sim runs this many executions, threads runs this long. */
export const SIM_DEFAULT_EXECUTIONS = 1000;
export const THREADS_DEFAULT_TIME_MS = 10_000;

/**
 * What `run` takes, as the command line's flags or the library's options. A number may be
 * given as its text (the command line does): the check is the same either way.
 */
export interface RunOptions {
  /** A built-in scenario's name, or the path of a scenario file (relative to the working directory). */
  scenario: string;
  /** Default: the scenario's first variant. */
  variant?: string;
  /** 'sim' (default) or 'threads'. */
  mode?: Mode;
  /** The seed of the first execution, 0..2^53-1 (default 1). */
  seed?: number | string;
  /** Stop after this many executions (default without `time`: 1000 in sim). */
  executions?: number | string;
  /** The run's time budget as the command line writes it: '500ms', '30s', '2m' (default without `executions`: 10s in threads). */
  time?: string;
  /** Scenario parameters (`--param k=v`); a named value by its name (`vendor: 'amd'`). */
  params?: Record<string, number | string>;
  /** Short for params.vcpus. */
  vcpus?: number | string;
  /** false or 'off': lockdep records lock orders but reports no lock-order-cycle. */
  lockdep?: boolean | 'on' | 'off';
  /** threads: the chance of a jitter at each op boundary, 0..1. */
  jitter?: number | string;
  /** How long a task may stay blocked (threads), or a role run without an op boundary, before that is a verdict ('20s'). */
  watchdog?: string;
  /** The longest one execution may run ('2m'). */
  executionLimit?: string;
  /** sim: how the scheduler picks the next task: 'random' (default), or another name of the strategy registry (strategies/index.ts). */
  strategy?: StrategyName;
  /** pct: the bug depth, 1..10 (default 3). */
  depth?: number | string;
  /** pct: draw the change points over this many decisions instead of learning it. */
  pctSteps?: number | string;
  /** dfs: at most this many preemptions, 0..20 (default 2). */
  preemptions?: number | string;
  /** dfs: 'merge' (default under sc: sleep sets over merged steps), 'sleep' (sleep sets alone) or 'none'. */
  reduction?: 'merge' | 'sleep' | 'none';
  /** urw: the steps of each task, in task order ('120,40,7'), instead of counting them in a trial execution (a replay gives them). */
  urwEstimates?: string;
  /** sim: 'sc' or 'weak' (default: the variant's, else sc). */
  memory?: MemoryModel;
  /** sim: replay one schedule: the token a report prints, or '@FILE' holding one. */
  schedule?: string;
  /** false: a finding is reported as found, not shrunk. */
  shrink?: boolean;
  /** threads, false: a finding is not replayed in sim, and nothing is recorded for it (no step tickets, no word events). */
  reproduce?: boolean;
  /** sim: spread the seeds over this many worker threads (default: the cores). */
  jobs?: number | string;
  /** sim: 'forced' (default): the strategy places each rare event a few times per execution; 'sampled': each opportunity is the host-rate coin. */
  rare?: 'forced' | 'sampled';
  /** forced: the most placements of one rare event per execution (each execution draws 1, 2, 4, ... up to it; default: the event's horizon). */
  rarePlacements?: number | string;
  /** forced: each rare event's opportunities per execution ('kswapd-wake=130,...'), instead of counting them in a trial execution (a replay gives them). */
  rareHorizons?: string;
  /** sim: after a finding, estimate how often it comes at the host rates over this many executions (0: not; default 500). */
  hostRate?: number | string;
}

/** Every option RunOptions has, by name (an option not among them is bad input). */
export const RUN_OPTION_NAMES = [
  'scenario', 'variant', 'mode', 'seed', 'executions', 'time', 'params', 'vcpus', 'lockdep', 'jitter', 'watchdog', 'executionLimit',
  'strategy', 'depth', 'pctSteps', 'preemptions', 'reduction', 'urwEstimates', 'memory', 'schedule', 'shrink', 'reproduce', 'jobs', 'rare', 'rarePlacements', 'rareHorizons', 'hostRate',
] as const satisfies readonly (keyof RunOptions)[];

/** The flags a replay line or a report's advice repeats as the user wrote them. */
export type GivenFlag = 'time' | 'execution-limit' | 'jitter' | 'watchdog' | 'lockdep';

/** A run's settings, resolved: every default filled in, every rule applied. Plain data. */
export interface RunConfig {
  /** How the user named the scenario (a built-in name, or the path as typed). */
  scenario: string;
  variant: string;
  mode: Mode;
  seed: number;
  /** Stop after this many executions (null: no count). */
  executions: number | null;
  /** The run's time budget (null: none); with `executions` it is a cap. */
  timeMs: number | null;
  params: Params;
  /** false: lockdep records but reports no cycle. */
  lockdep: boolean;
  /** threads: the chance of a jitter at an op boundary. */
  jitter: number;
  watchdogMs: number;
  executionLimitMs: number;
  /** sim: the strategy and its settings, as its registry entry read them (a --schedule: 'guided' with its guide). */
  strategy: StrategySpec;
  /** sim: the memory model (threads: always sc). */
  memory: MemoryModel;
  /** sim: shrink a finding's schedule. */
  shrink: boolean;
  /** sim: worker threads the seeds may be spread over (the strategy decides whether they are). */
  jobs: number;
  /** threads: start no execution once this much of the run has passed (a campaign's row); null: none. */
  startBeforeMs: number | null;
  /** threads: replay a finding in sim. */
  reproduce: boolean;
  /** sim: the livelock and starvation window in scheduling steps (null: the sim's). */
  windowSteps: number | null;
  /** The limit flags as written, where given: the replay line and the report's advice repeat them. */
  given: Partial<Record<GivenFlag, string>>;
  /** sim: how the rare events of the scenario happen (exec/rare.ts), and the host-rate estimate after a finding. */
  rare: RareConfig;
}

/** A resolved run: its configuration, its scenario (loaded), and lines for stderr (a --jobs that was capped). */
export interface ResolvedRun {
  config: RunConfig;
  scenario: LoadedScenario;
  notes: string[];
}

/** The memory model of a variant when none is asked: its own in sim; threads are always sequentially consistent. */
function defaultMemory(sc: LoadedScenario, variant: string, mode: Mode): MemoryModel {
  return mode === 'sim' ? (sc.def.variants[variant].memory ?? 'sc') : 'sc';
}

/**
 * The configuration of a run of `variant` in `mode` with every setting at its default:
 * what resolveRunConfig starts from, and what a campaign's row and a test change.
 */
export function baseConfig(sc: LoadedScenario, variant: string, mode: Mode): RunConfig {
  return {
    scenario: sc.arg,
    variant,
    mode,
    seed: 1,
    executions: null,
    timeMs: null,
    params: variantParams(sc.def, variant),
    lockdep: true,
    jitter: DEFAULT_JITTER.prob,
    watchdogMs: LIMIT_DEFAULTS.watchdogMs,
    executionLimitMs: LIMIT_DEFAULTS.executionLimitMs,
    strategy: { name: 'random' },
    memory: defaultMemory(sc, variant, mode),
    shrink: true,
    jobs: 1,
    startBeforeMs: null,
    reproduce: true,
    windowSteps: null,
    given: {},
    rare: { mode: mode === 'sim' ? 'forced' : 'sampled', placements: null, horizons: null, hostRate: DEFAULT_HOST_RATE_EXECUTIONS },
  };
}

/** An option's text (a number given as a number reads as its decimal text). */
function text(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

/** A strategy flag's option name: --pct-steps is pctSteps. */
export function optionName(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Check `o` and resolve it into a run's configuration, loading its scenario. Bad input
 * throws BadInput (one line); a scenario whose setup() throws while its memory is laid
 * out throws ScenarioFailure. The checks run in the order the command line has always
 * made them, so that a command with two mistakes names the same one first.
 */
export async function resolveRunConfig(o: RunOptions, basis: JobsBasis = machineBasis()): Promise<ResolvedRun> {
  const flag = (name: string) => text((o as unknown as Record<string, unknown>)[optionName(name)]);
  // the token first: what can be wrong with it without the scenario is said before loading one
  const guide = o.schedule === undefined ? null : scheduleArg(o.schedule);
  const sc = await loadScenario(o.scenario);
  const s = sc.def;
  const variants = Object.keys(s.variants);
  const variant = o.variant ?? variants[0];
  if (!variants.includes(variant)) throw new BadInput(`unknown variant '${variant}' of ${s.name}; valid: ${variants.join(', ')}`);
  const mode = (o.mode ?? 'sim') as Mode;
  if (mode !== 'sim' && mode !== 'threads') throw new BadInput(`--mode must be sim or threads, not '${mode}'`);
  const c = baseConfig(sc, variant, mode);
  if (guide && (mode !== 'sim' || o.seed !== undefined || o.strategy !== undefined || o.executions !== undefined || o.time !== undefined)) {
    throw new BadInput('--schedule replays one sim execution from its token: give it without --mode threads, --seed, --strategy, --executions or --time');
  }
  c.seed = guide ? guide.seed : wholeNumber('seed', text(o.seed) ?? '1', 0, MAX_SEED);
  c.executions = guide ? 1 : o.executions === undefined ? null : wholeNumber('executions', text(o.executions) as string, 1);
  const strategyName = o.strategy ?? 'random';
  const entry = cliStrategies().find((e) => e.name === strategyName);
  // a strategy that explores one seed's schedules counts no seeds, and runs until its space is exhausted
  if (c.executions !== null && entry?.oneSeed !== true && c.executions > seedsLeft(c.seed)) {
    throw new BadInput(`--seed ${c.seed} --executions ${c.executions} would run seeds past ${MAX_SEED}, the highest seed; give at most --executions ${seedsLeft(c.seed)} from this seed`);
  }
  c.timeMs = o.time === undefined ? null : duration('time', o.time);
  if (c.executions === null && c.timeMs === null && entry?.oneSeed !== true) {
    if (mode === 'sim') c.executions = SIM_DEFAULT_EXECUTIONS;
    else c.timeMs = THREADS_DEFAULT_TIME_MS;
  }
  const pairs = Object.entries(o.params ?? {}).map(([k, v]) => `${k}=${v}`);
  c.params = resolveParams(s, variant, pairs, text(o.vcpus));
  const instances = instancesOf(s, c.params, variant);
  if (instances.length > MAX_TASKS) {
    const per = Object.keys(s.roles).map((role) => `${role} ${instances.filter((i) => i.role === role).length}`);
    throw new BadInput(`${s.name} / ${variant}: ${instances.length} role instances (${per.join(', ')}) with these parameters; at most ${MAX_TASKS}`);
  }
  checkArenaSize(s, c.params, variant, sc.file);
  if (o.jitter !== undefined && mode === 'sim') throw new BadInput("--jitter perturbs threads mode's timing; a sim schedule comes from --strategy and the seed");
  if (o.jitter !== undefined) c.jitter = fraction('jitter', text(o.jitter) as string);
  if (o.watchdog !== undefined) c.watchdogMs = duration('watchdog', o.watchdog);
  if (c.watchdogMs < 1000) throw new BadInput(`--watchdog must be at least 1s (it is how long a task may stay blocked), not '${o.watchdog}'`);
  if (!entry) throw new BadInput(`--strategy must be ${orList(cliStrategies().map((e) => e.name))}, not '${strategyName}'`);
  if (strategyName !== 'random' && mode !== 'sim') throw new BadInput("--strategy chooses the sim scheduler; threads mode has the hardware's");
  // a strategy's flags go with it alone
  for (const other of cliStrategies()) {
    const flags = Object.keys(other.flags ?? {});
    if (other !== entry && flags.some((f) => flag(f) !== undefined)) throw new BadInput(`${flags.map((f) => `--${f}`).join(' and ')} go with --strategy ${other.name}`);
  }
  if (o.jobs !== undefined && mode !== 'sim') throw new BadInput('--jobs spreads sim executions over worker threads; threads mode keeps the machine to itself');
  const jobs = resolveJobs(text(o.jobs), basis);
  c.jobs = jobs.jobs;
  const memory = o.memory as string | undefined;
  if (memory !== undefined && memory !== 'sc' && memory !== 'weak') throw new BadInput(`--memory must be sc or weak, not '${memory}'`);
  if (memory === 'weak' && mode !== 'sim') throw new BadInput('--memory weak needs --mode sim: threads run on real cores, whose Atomics are sequentially consistent');
  if (memory !== undefined && mode === 'sim') c.memory = memory;
  const fit = { check: scheduleFit(s, c.params, variant), scenario: s.name, variant };
  const misfit = guide ? guideFits(guide, instances.map((i) => i.name), c.memory, fit) : null;
  if (misfit) throw new BadInput(`--schedule: ${misfit}`);
  // the strategy's own settings, read and checked by its entry
  c.strategy = guide ? { name: 'guided', guide } : (entry.options?.(flag, { memory: c.memory, whole: wholeNumber }) ?? { name: entry.name });
  const lockdep = o.lockdep === undefined ? undefined : o.lockdep === true ? 'on' : o.lockdep === false ? 'off' : String(o.lockdep);
  if (lockdep !== undefined && lockdep !== 'on' && lockdep !== 'off') throw new BadInput(`--lockdep must be on or off, not '${lockdep}'`);
  c.lockdep = lockdep !== 'off';
  if (o.executionLimit !== undefined) c.executionLimitMs = duration('execution-limit', o.executionLimit);
  c.shrink = o.shrink !== false;
  c.rare = rareConfig(o, c);
  c.reproduce = o.reproduce !== false;
  const given: [GivenFlag, string | undefined][] = [['time', o.time], ['execution-limit', o.executionLimit], ['jitter', text(o.jitter)], ['watchdog', o.watchdog], ['lockdep', lockdep]];
  c.given = Object.fromEntries(given.filter(([, v]) => v !== undefined));
  const notes = [...(sc.notes ?? []), ...(jobs.note ? [jobs.note] : [])];
  // a variant whose bug is a weak-memory outcome runs clean on threads: say so before the run, not after a puzzling verdict
  if (mode === 'threads' && s.variants[variant].memory === 'weak')
    notes.push(`${variant} runs under weak memory in sim (its bug is a reordering the kernel's memory model allows); threads mode runs on the cores' Atomics, which are sequentially consistent, and cannot show it: run it with --mode sim`);
  return { config: c, scenario: sc, notes };
}

/**
 * The rare events' settings. Forced placement is the sim's default; threads run on the
 * hardware's schedule with the host-rate coins, dfs searches one seed's schedules with
 * them, and a token lists its own.
 */
function rareConfig(o: RunOptions, c: RunConfig): RareConfig {
  const r: RareConfig = { ...c.rare };
  const mode = o.rare as string | undefined;
  if (mode !== undefined && mode !== 'forced' && mode !== 'sampled') throw new BadInput(`--rare must be forced or sampled, not '${mode}'`);
  const oneSeed = c.strategy.name === 'guided' || cliStrategies().find((e) => e.name === c.strategy.name)?.oneSeed === true;
  if (mode === 'forced' && (c.mode !== 'sim' || oneSeed)) throw new BadInput('--rare forced places rare events in sim executions of a sampling strategy: not with --mode threads, --strategy dfs or --schedule');
  if (mode !== undefined) r.mode = mode;
  if (c.mode !== 'sim' || oneSeed) r.mode = 'sampled';
  if (o.rarePlacements !== undefined) r.placements = wholeNumber('rare-placements', text(o.rarePlacements) as string, 1, MAX_PLACEMENTS);
  if (o.rareHorizons !== undefined) {
    const h: Record<string, number> = {};
    for (const part of o.rareHorizons.split(',')) {
      const m = /^\s*([a-z][a-z0-9-]*)=(\d+)\s*$/.exec(part);
      if (!m || Number(m[2]) < 1 || !Number.isSafeInteger(Number(m[2]))) throw new BadInput(`--rare-horizons must be event=N pairs (N >= 1) separated by commas, not '${o.rareHorizons}'`);
      h[m[1]] = Number(m[2]);
    }
    r.horizons = h;
  }
  if ((o.rarePlacements !== undefined || o.rareHorizons !== undefined) && r.mode !== 'forced') throw new BadInput('--rare-placements and --rare-horizons go with forced placement (sim, a sampling strategy, not --rare sampled)');
  if (o.hostRate !== undefined) {
    if (c.mode !== 'sim') throw new BadInput('--host-rate estimates from sim executions; threads mode runs at the host rates already');
    r.hostRate = wholeNumber('host-rate', text(o.hostRate) as string, 0, 1_000_000);
  }
  return r;
}

/** `--schedule`: a token, or @FILE holding one. */
function scheduleArg(arg: string): Guide {
  let token = arg;
  if (arg.startsWith('@')) {
    try {
      token = readFileSync(arg.slice(1), 'utf8');
    } catch (e) {
      throw new BadInput(`--schedule ${arg}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
  }
  const g = parseGuideToken(token);
  if (typeof g === 'string') throw new BadInput(`--schedule: ${g}`);
  return g;
}

/** "a, b or c" (`last`: what comes before the last). */
export function orList(items: string[], last = ' or '): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')}${last}${items[items.length - 1]}`;
}
