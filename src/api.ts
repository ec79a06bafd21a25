/**
 * runScenario(): the `run` command as a function, for tests and scripts in a user's own
 * project. It takes what the command line takes and returns the very object `run --json`
 * prints: the result with its violations and replay command, or `{exitCode, error}` for
 * bad input. It never prints, never exits, and installs no signal handlers.
 */
import { classify } from './cli/main.js';
import { runCommand } from './cli/run.js';
import { errorJson } from './report/json.js';

export interface RunScenarioOptions {
  /** A built-in scenario's name, or the path of a scenario file (relative to the working directory). */
  scenario: string;
  variant?: string;
  mode?: 'sim' | 'threads';
  seed?: number;
  executions?: number;
  /** The run's time budget, as the command line writes it ('30s', '2m'). */
  time?: string;
  /** --param k=v; a named value by its name (`vendor: 'amd'`). */
  params?: Record<string, number | string>;
  vcpus?: number;
  /** false: `--lockdep off`. */
  lockdep?: boolean;
  jitter?: number;
  watchdog?: string;
  executionLimit?: string;
  /** --strategy: 'random' (default), 'pct' (with depth, pctSteps), 'dfs' (with preemptions, reduction) or 'round-robin'. */
  strategy?: 'random' | 'pct' | 'dfs' | 'round-robin';
  depth?: number;
  pctSteps?: number;
  preemptions?: number;
  reduction?: 'sleep' | 'none';
  /** --memory: 'sc' (default) or 'weak' (sim). */
  memory?: 'sc' | 'weak';
  /** --schedule: a replay token from a report's replay line. */
  schedule?: string;
  /** false: `--no-shrink`. */
  shrink?: boolean;
  /** --jobs (sim). */
  jobs?: number;
  /** Stops the run as SIGINT would: what finished is returned, with `interrupted: 'SIGINT'` and exit code 130. */
  signal?: AbortSignal;
}

/** The object `run --json` prints; `exitCode` is the command's exit code (0, 1, 2, 3). */
export interface RunScenarioResult {
  exitCode: number;
  observed?: string;
  expect?: string;
  asExpected?: boolean;
  violations?: { kind: string; message: string; details: string[]; task: string; step: number; seed?: number; replay?: string }[];
  error?: { kind: string; message: string };
  [key: string]: unknown;
}

const OPTIONS: readonly (keyof RunScenarioOptions)[] = [
  'scenario', 'variant', 'mode', 'seed', 'executions', 'time', 'params', 'vcpus', 'lockdep', 'jitter', 'watchdog', 'executionLimit',
  'strategy', 'depth', 'pctSteps', 'preemptions', 'reduction', 'memory', 'schedule', 'shrink', 'jobs', 'signal',
];

/** An option runScenario does not know is bad input, as an unknown flag is: a misspelt one must not run with the defaults. */
function unknownOption(o: RunScenarioOptions): string | null {
  const odd = Object.keys(o).filter((k) => !(OPTIONS as readonly string[]).includes(k));
  return odd.length ? `runScenario: unknown option${odd.length > 1 ? 's' : ''} ${odd.map((k) => `'${k}'`).join(', ')}; valid: ${OPTIONS.join(', ')}` : null;
}

function argvOf(o: RunScenarioOptions): string[] {
  const a = ['run', o.scenario, '--json'];
  const flag = (name: string, v: unknown) => {
    if (v !== undefined) a.push(`--${name}`, String(v));
  };
  flag('variant', o.variant);
  flag('mode', o.mode);
  flag('seed', o.seed);
  flag('executions', o.executions);
  flag('time', o.time);
  flag('vcpus', o.vcpus);
  flag('jitter', o.jitter);
  flag('watchdog', o.watchdog);
  flag('execution-limit', o.executionLimit);
  if (o.lockdep !== undefined) flag('lockdep', o.lockdep ? 'on' : 'off');
  flag('strategy', o.strategy);
  flag('depth', o.depth);
  flag('pct-steps', o.pctSteps);
  flag('preemptions', o.preemptions);
  flag('reduction', o.reduction);
  flag('memory', o.memory);
  flag('schedule', o.schedule);
  flag('jobs', o.jobs);
  if (o.shrink === false) a.push('--no-shrink');
  for (const [k, v] of Object.entries(o.params ?? {})) a.push('--param', `${k}=${v}`);
  return a.slice(1);
}

export async function runScenario(o: RunScenarioOptions): Promise<RunScenarioResult> {
  const odd = unknownOption(o);
  if (odd) return errorJson(2, 'bad-input', odd) as RunScenarioResult;
  // an aborted signal reads as the SIGINT the command would have had: interrupted, exit 130
  const signal = o.signal ?? new AbortController().signal;
  const interrupt = {
    signal,
    get received(): NodeJS.Signals | null {
      return signal.aborted ? 'SIGINT' : null;
    },
    get exitCode(): number | null {
      return signal.aborted ? 130 : null;
    },
  };
  try {
    const out = await runCommand(argvOf(o), interrupt);
    return JSON.parse(out.stdout) as RunScenarioResult;
  } catch (e) {
    const { code, kind, message } = classify(e);
    return errorJson(code, kind, message) as RunScenarioResult;
  }
}
