/** `mmu-stress run`: executions of one scenario variant until a violation or the budget ends. */
import { DEFAULT_JITTER } from '../exec/drive.js';
import { MAX_TASKS, instancesOf } from '../exec/frame.js';
import { type Mode, run } from '../exec/run.js';
import { THREADS_DEFAULTS, ThreadsExecutor } from '../exec/threads.js';
import { runJson } from '../report/json.js';
import { replayCommand } from '../report/replay.js';
import { runText } from '../report/text.js';
import { BadInput, builtinNames, loadScenario } from '../scenarios.js';
import { duration, flag, fraction, parseArgs, wholeNumber } from './args.js';
import { resolveParams } from './params.js';

const SPEC = {
  variant: true,
  mode: true,
  seed: true,
  executions: true,
  time: true,
  vcpus: true,
  param: true,
  jitter: true,
  watchdog: true,
  'execution-limit': true,
  json: false,
};

export async function runCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, SPEC, 'run');
  if (a.positional.length !== 1) {
    throw new BadInput(`'run' needs one scenario name or path; known scenarios: ${builtinNames().join(', ')}`);
  }
  const sc = await loadScenario(a.positional[0]);
  const s = sc.def;
  const variants = Object.keys(s.variants);
  const variant = flag(a, 'variant') ?? variants[0];
  if (!variants.includes(variant)) throw new BadInput(`unknown variant '${variant}' of ${s.name}; valid: ${variants.join(', ')}`);
  const mode = (flag(a, 'mode') ?? 'sim') as Mode;
  if (mode !== 'sim' && mode !== 'threads') throw new BadInput(`--mode must be sim or threads, not '${mode}'`);
  const seed = wholeNumber('seed', flag(a, 'seed') ?? '1', 0);
  let executions = flag(a, 'executions') === undefined ? null : wholeNumber('executions', flag(a, 'executions') as string, 1);
  const timeMs = flag(a, 'time') === undefined ? null : duration('time', flag(a, 'time') as string);
  if (executions === null && timeMs === null && mode === 'sim') executions = 1000;
  const params = resolveParams(s, a.flags.get('param') ?? [], flag(a, 'vcpus'));
  const tasks = instancesOf(s, params, variant).length;
  if (tasks > MAX_TASKS) throw new BadInput(`${tasks} role instances; at most ${MAX_TASKS}`);
  const jitter = { ...DEFAULT_JITTER, prob: flag(a, 'jitter') === undefined ? DEFAULT_JITTER.prob : fraction('jitter', flag(a, 'jitter') as string) };
  const watchdogMs = flag(a, 'watchdog') === undefined ? THREADS_DEFAULTS.watchdogMs : duration('watchdog', flag(a, 'watchdog') as string);
  if (watchdogMs < 1000) throw new BadInput(`--watchdog must be at least 1s (it is how long no thread may make progress), not '${flag(a, 'watchdog')}'`);
  const limit = flag(a, 'execution-limit');
  const maxExecutionMs = limit === undefined ? THREADS_DEFAULTS.maxExecutionMs : duration('execution-limit', limit);

  const threads = mode === 'threads' ? new ThreadsExecutor() : undefined;
  let r: Awaited<ReturnType<typeof run>>;
  try {
    r = await run({
      scenario: sc,
      variant,
      params,
      mode,
      seed,
      executions,
      timeMs: timeMs ?? (mode === 'threads' && executions === null ? 10_000 : null),
      threads,
      threadsOptions: { ...THREADS_DEFAULTS, drive: { ...THREADS_DEFAULTS.drive, jitter }, watchdogMs, maxExecutionMs },
    });
  } finally {
    await threads?.close();
  }
  let replay: string | null = null;
  let explore: string | null = null;
  if (r.violation) {
    const vseed = r.violation.seed ?? seed;
    const threadFlags = ['jitter', 'watchdog', 'execution-limit'].filter((f) => flag(a, f) !== undefined).map((f) => `--${f} ${flag(a, f)}`);
    replay = replayCommand(sc, r, vseed, mode === 'threads' ? threadFlags : []);
    // On threads the hardware picks the interleaving; sim can explore the same seeds deterministically.
    if (mode === 'threads') explore = replayCommand(sc, r, vseed, [], 'sim').replace('--executions 1', '--executions 1000');
    r.violation.replay = replay;
  }
  if (a.flags.has('json')) process.stdout.write(`${JSON.stringify(runJson(r, replay), null, 2)}\n`);
  else process.stdout.write(`${runText(r, replay, explore)}\n`);
  return r.harnessError ? 3 : r.violation ? 1 : 0;
}
