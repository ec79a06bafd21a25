/**
 * `mmu-stress litmus FILE|DIR...`: decide the kernel's C litmus tests under the Linux-kernel
 * memory model (LKMM) as herd7 does (src/litmus/lkmm/: every candidate execution, judged by
 * the model's axioms) and say, per file, whether its condition is reachable and whether
 * that agrees with the verdict its `Result:` comment gives (herd7 under LKMM).
 *
 * Every file gets a line, whatever the others do: a file that cannot be read or parsed is
 * an `error` (`file:line: message`), one whose exploration hits --time or --max-executions
 * is `incomplete` with what it explored so far. The exit code is decided after all of them
 * (docs/litmus.md): 2 if any file is an error, else 1 if any disagrees, else 3 if any is
 * incomplete, else 0.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MAX_LITMUS_EXECUTIONS } from '../litmus/explore.js';
import { checkLkmm } from '../litmus/lkmm/check.js';
import { LitmusSyntax, parseLitmus, Unsupported } from '../litmus/parse.js';
import { type CommandSpec, commandHelp, duration, has, parseCommand, str, wholeNumber } from './args.js';
import type { CommandOutput } from './command.js';
import { note } from './output.js';

/** Without --time, each file's exploration stops after this long (the kernel's tests take well under 1 s). */
export const LITMUS_DEFAULT_TIME_MS = 10_000;

export const LITMUS_SPEC: CommandSpec = {
  name: 'litmus',
  summary:
    "Decide C litmus tests in the Linux kernel's format (tools/memory-model/litmus-tests) under the Linux-kernel memory model, as herd7 does with the kernel's linux-kernel.cat: every candidate execution the model allows, whether the condition holds in some (Sometimes), none (Never) or all (Always), the positive and negative executions, the flags herd7 prints (Flag data-race), and whether that agrees with the file's Result: line. A construct the checker does not read is reported as unsupported, never guessed. Every file is reported: one that does not parse is an error (file:line: message), one that runs out of --time or --max-executions is incomplete. Exit 2 if any file is an error, else 1 if a supported file disagrees, else 3 if any is incomplete, else 0.",
  positionals: [{ name: 'file', help: 'a .litmus file, or a directory: the *.litmus files under it, subdirectories included' }],
  variadic: true,
  flags: {
    time: { value: 'DURATION', help: `bound each file's search: 500ms, 10s, 2m (default ${LITMUS_DEFAULT_TIME_MS / 1000}s); past it the file is incomplete` },
    'max-executions': { value: 'N', help: `bound each file's search to N candidate executions judged (default ${MAX_LITMUS_EXECUTIONS}); past it the file is incomplete` },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

export type LitmusStatus = 'agrees' | 'DISAGREES' | 'unsupported' | 'no Result: line' | 'incomplete' | 'error';

interface FileVerdict {
  file: string;
  name: string;
  status: LitmusStatus;
  unsupported?: string;
  /** For an unsupported file: where the construct is (`file:line`), when it is on a line. */
  at?: string;
  /** For an error: `file:line: message` (line only when the text is at fault). */
  error?: string;
  line?: number;
  /** Never / Sometimes / Always: how many allowed executions satisfy the condition. */
  observation?: string;
  expected?: string | null;
  /** The Result: line says DATARACE (herd7 flags a data race). */
  expectedDataRace?: boolean;
  quantifier?: string;
  /** Candidate executions judged by the model. */
  executions?: number;
  /** Allowed executions that satisfy the condition, and those that do not (herd7's Witnesses). */
  positive?: number;
  negative?: number;
  /** Flags some allowed execution raises (herd7's `Flag data-race` lines). */
  flags?: string[];
  /**
   * A decided file whose count was cut by --time (false): its observation and flags are
   * exact (a search for one allowed execution on each side of the condition settled them),
   * its positive and negative counts and outcomes are those found, lower bounds.
   */
  counted?: false;
  /** An incomplete file (or an uncounted one): what stopped it, and the steps run until then. */
  stoppedBy?: 'time' | 'executions';
  steps?: number;
  outcomes?: { state: string; satisfies: boolean }[];
  ms?: number;
}

export interface LitmusLimits {
  timeMs: number;
  maxExecutions: number;
}

/** The files to run: a missing path or an empty directory is an error entry, not the end of the run. */
function expand(paths: string[]): (string | FileVerdict)[] {
  const out: (string | FileVerdict)[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      out.push(errorVerdict(p, `${p}: no such file or directory`));
      continue;
    }
    if (st.isDirectory()) {
      const files = litmusFilesUnder(p);
      if (files.length === 0) out.push(errorVerdict(p, `${p}: no .litmus files in this directory`));
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

/** The `*.litmus` files under a directory and its subdirectories (a corpus is a tree), in path order. */
export function litmusFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...litmusFilesUnder(p));
    else if (e.name.endsWith('.litmus')) out.push(p);
  }
  return out;
}

function errorVerdict(file: string, error: string, name = basename(file), line?: number): FileVerdict {
  return { file, name, status: 'error', error, ...(line === undefined ? {} : { line }) };
}

export function litmusFile(file: string, limits: LitmusLimits = { timeMs: LITMUS_DEFAULT_TIME_MS, maxExecutions: MAX_LITMUS_EXECUTIONS }): FileVerdict {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return errorVerdict(file, `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const name = /^\s*C\s+(\S+)/m.exec(text)?.[1] ?? basename(file);
  const t0 = performance.now();
  try {
    const test = parseLitmus(text);
    const e = checkLkmm(test, { maxCandidates: limits.maxExecutions, deadline: t0 + limits.timeMs });
    const observation = e.some ? (e.all ? 'Always' : 'Sometimes') : 'Never';
    // a Result: line may add DATARACE: herd7 then flags a data race, and must not otherwise
    const expectedDataRace = /Result:\s*(Never|Sometimes|Always)\s+DATARACE/.test(text);
    const raceAgrees = expectedDataRace === e.flags.includes('data-race');
    const agrees = (test.expected === 'Never' ? !e.some : test.expected === 'Always' ? e.all : e.some) && raceAgrees;
    const status: LitmusStatus = !e.decided ? 'incomplete' : test.expected === null ? 'no Result: line' : agrees ? 'agrees' : 'DISAGREES';
    return {
      file,
      name: test.name,
      status,
      // an incomplete file has no observation: the executions not yet judged could change it;
      // a decided one whose count was cut says so (its counts and outcomes are lower bounds)
      ...(e.decided ? { observation } : {}),
      ...(e.complete ? {} : { stoppedBy: e.stoppedBy, steps: e.steps }),
      ...(e.decided && !e.complete ? { counted: false } : {}),
      expected: test.expected,
      expectedDataRace,
      quantifier: test.quantifier,
      executions: e.candidates,
      positive: e.positive,
      negative: e.negative,
      flags: e.flags,
      outcomes: e.outcomes,
      ms: performance.now() - t0,
    };
  } catch (err) {
    if (err instanceof Unsupported) return { file, name, status: 'unsupported', unsupported: err.message, ...(err.line === undefined ? {} : { line: err.line, at: `${file}:${err.line}` }) };
    if (err instanceof LitmusSyntax) return errorVerdict(file, `${file}:${err.line}: ${err.message}`, name, err.line);
    throw err;
  }
}

/** 2 bad input (a file that is not a litmus test), 1 a disagreement, 3 no verdict for some file, 0 otherwise. */
export function litmusExitCode(statuses: LitmusStatus[]): number {
  if (statuses.includes('error')) return 2;
  if (statuses.includes('DISAGREES')) return 1;
  if (statuses.includes('incomplete')) return 3;
  return 0;
}

export function litmusCommand(argv: string[]): CommandOutput {
  const a = parseCommand(LITMUS_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(LITMUS_SPEC), help: true };
  const time = str(a, 'time');
  const max = str(a, 'max-executions');
  const limits: LitmusLimits = {
    timeMs: time === undefined ? LITMUS_DEFAULT_TIME_MS : duration('time', time),
    maxExecutions: max === undefined ? MAX_LITMUS_EXECUTIONS : wholeNumber('max-executions', max, 1),
  };
  const json = has(a, 'json');
  const verdicts = expand(a.positional).map((f) => {
    const v = typeof f === 'string' ? litmusFile(f, limits) : f;
    // each bad file's one line, as it is met: stdout's table comes at the end
    if (v.status === 'error' && !json) note(`mmu-stress: ${v.error}`);
    return v;
  });
  const count = (s: LitmusStatus) => verdicts.filter((v) => v.status === s).length;
  const code = litmusExitCode(verdicts.map((v) => v.status));
  const counts = Object.fromEntries((['agrees', 'DISAGREES', 'unsupported', 'no Result: line', 'incomplete', 'error'] as const).map((s) => [s, count(s)]));
  if (json) return { code, stdout: JSON.stringify({ exitCode: code, counts, files: verdicts }, null, 2) };
  const timeText = time ?? `${LITMUS_DEFAULT_TIME_MS / 1000}s`;
  const width = Math.max(...verdicts.map((v) => v.name.length));
  const lines: string[] = [];
  for (const v of verdicts) {
    if (v.status === 'error') {
      lines.push(`${v.name.padEnd(width)}  error: ${v.error}`);
      continue;
    }
    if (v.status === 'unsupported') {
      lines.push(`${v.name.padEnd(width)}  unsupported: ${v.unsupported}${v.at ? ` (${v.at})` : ''}`);
      continue;
    }
    const said = v.expected ? `Result: ${v.expected}${v.expectedDataRace ? ' DATARACE' : ''}` : 'no Result: line';
    const shown = (v.outcomes ?? []).map((o) => `${o.satisfies ? '*' : ' '} ${o.state}`);
    if (v.status === 'incomplete') {
      const by = v.stoppedBy === 'time' ? `--time ${timeText}` : `--max-executions ${limits.maxExecutions}`;
      lines.push(`${v.name.padEnd(width)}  ${'?'.padEnd(9)}  ${said.padEnd(17)}  incomplete`);
      lines.push(
        `${' '.repeat(width)}  stopped by ${by} after ${v.executions} executions (${v.steps} steps): no verdict; ${v.outcomes?.length} outcomes so far (* satisfies the ${v.quantifier} clause):`,
      );
    } else {
      lines.push(`${v.name.padEnd(width)}  ${(v.observation ?? '').padEnd(9)}  ${said.padEnd(17)}  ${v.status}`);
      // herd7's own lines: the witnesses, the flags, the observation with its counts
      // an uncounted file's counts are lower bounds, but for the side the verdict says is empty
      const pos = `${v.counted === false && v.observation !== 'Never' ? '>=' : ''}${v.positive}`;
      const neg = `${v.counted === false && v.observation !== 'Always' ? '>=' : ''}${v.negative}`;
      lines.push(`${' '.repeat(width)}  Positive: ${pos} Negative: ${neg}`);
      for (const f of v.flags ?? []) lines.push(`${' '.repeat(width)}  Flag ${f}`);
      lines.push(`${' '.repeat(width)}  Observation ${v.name} ${v.observation} ${pos} ${neg}`);
      if (v.counted === false)
        lines.push(
          `${' '.repeat(width)}  counting stopped by --time ${timeText} after ${v.executions} executions; the verdict and flags are exact (one allowed execution found on each side of the condition, or none exists on one side); ${v.outcomes?.length} states found (* satisfies the ${v.quantifier} clause):`,
        );
      else lines.push(`${' '.repeat(width)}  ${v.outcomes?.length} states of ${v.executions} candidate executions (* satisfies the ${v.quantifier} clause):`);
    }
    for (const o of shown) lines.push(`${' '.repeat(width)}    ${o}`);
  }
  lines.push(
    '',
    `${verdicts.length} file${verdicts.length === 1 ? '' : 's'}: ${count('agrees')} agree, ${count('DISAGREES')} disagree, ${count('unsupported')} unsupported, ${count('no Result: line')} without a Result: line, ${count('incomplete')} incomplete, ${count('error')} error${count('error') === 1 ? '' : 's'}`,
  );
  return { code, stdout: lines.join('\n') };
}
