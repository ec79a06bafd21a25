/**
 * `mmu-stress litmus FILE...`: run the kernel's C litmus tests under the weak model and
 * say, per file, whether its `exists` clause is reachable and whether that agrees with
 * the verdict its `Result:` comment gives (herd7 under LKMM).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { explore } from '../litmus/explore.js';
import { LitmusSyntax, parseLitmus, Unsupported } from '../litmus/parse.js';
import { BadInput } from '../scenarios.js';
import { type CommandSpec, commandHelp, has, parseCommand } from './args.js';
import type { CommandOutput } from './command.js';

export const LITMUS_SPEC: CommandSpec = {
  name: 'litmus',
  summary:
    "Run C litmus tests in the Linux kernel's format (tools/memory-model/litmus-tests) under the weak memory model sim uses with --memory weak: every outcome, whether the exists clause is reachable (Sometimes / Never), and whether that agrees with the file's Result: line. A file using what the model does not express (dependencies LKMM respects, RCU, plain C accesses, ...) is reported as unsupported, never guessed. Exit 1 if a supported file disagrees.",
  positionals: [{ name: 'file', help: 'a .litmus file, or a directory: its *.litmus files' }],
  variadic: true,
  flags: {
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

type Status = 'agrees' | 'DISAGREES' | 'unsupported' | 'no Result: line';

interface FileVerdict {
  file: string;
  name: string;
  status: Status;
  unsupported?: string;
  /** Never / Sometimes / Always: how many outcomes satisfy the condition. */
  observation?: string;
  expected?: string | null;
  quantifier?: string;
  executions?: number;
  outcomes?: { state: string; satisfies: boolean }[];
  ms?: number;
}

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new BadInput(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => f.endsWith('.litmus'))
        .sort()
        .map((f) => join(p, f));
      if (files.length === 0) throw new BadInput(`${p}: no .litmus files in this directory`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

export function litmusFile(file: string): FileVerdict {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BadInput(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const t0 = performance.now();
  try {
    const test = parseLitmus(text);
    const e = explore(test);
    const observation = e.some ? (e.all ? 'Always' : 'Sometimes') : 'Never';
    const agrees = test.expected === 'Never' ? !e.some : test.expected === 'Always' ? e.all : e.some;
    return {
      file,
      name: test.name,
      status: test.expected === null ? 'no Result: line' : agrees ? 'agrees' : 'DISAGREES',
      observation,
      expected: test.expected,
      quantifier: test.quantifier,
      executions: e.executions,
      outcomes: e.outcomes,
      ms: performance.now() - t0,
    };
  } catch (err) {
    if (err instanceof Unsupported) return { file, name: /^\s*C\s+(\S+)/m.exec(text)?.[1] ?? basename(file), status: 'unsupported', unsupported: err.message };
    if (err instanceof LitmusSyntax) throw new BadInput(`${file}:${err.line}: ${err.message}`);
    throw err;
  }
}

export function litmusCommand(argv: string[]): CommandOutput {
  const a = parseCommand(LITMUS_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(LITMUS_SPEC), help: true };
  const verdicts = expand(a.positional).map(litmusFile);
  const count = (s: Status) => verdicts.filter((v) => v.status === s).length;
  const code = count('DISAGREES') > 0 ? 1 : 0;
  if (has(a, 'json')) return { code, stdout: JSON.stringify({ exitCode: code, files: verdicts }, null, 2) };
  const width = Math.max(...verdicts.map((v) => v.name.length));
  const lines: string[] = [];
  for (const v of verdicts) {
    if (v.status === 'unsupported') {
      lines.push(`${v.name.padEnd(width)}  unsupported: ${v.unsupported}`);
      continue;
    }
    const said = v.expected ? `Result: ${v.expected}` : 'no Result: line';
    lines.push(`${v.name.padEnd(width)}  ${(v.observation ?? '').padEnd(9)}  ${said.padEnd(17)}  ${v.status}`);
    const shown = (v.outcomes ?? []).map((o) => `${o.satisfies ? '*' : ' '} ${o.state}`);
    lines.push(`${' '.repeat(width)}  ${v.outcomes?.length} outcomes of ${v.executions} executions (* satisfies the ${v.quantifier} clause):`);
    for (const o of shown) lines.push(`${' '.repeat(width)}    ${o}`);
  }
  lines.push(
    '',
    `${verdicts.length} file${verdicts.length === 1 ? '' : 's'}: ${count('agrees')} agree, ${count('DISAGREES')} disagree, ${count('unsupported')} unsupported, ${count('no Result: line')} without a Result: line`,
  );
  return { code, stdout: lines.join('\n') };
}
