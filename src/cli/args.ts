/**
 * Strict command-line parsing (node:util parseArgs): unknown flags, a single-valued
 * flag given twice, a missing value and unexpected arguments are all BadInput (exit 2).
 * Each command declares its flags once; `--help` is generated from the same table.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { BadInput } from '../rt/errors.js';

// the values flags take: parsed where the run's and the campaign's options are validated
export { duration, fraction, wholeNumber } from '../exec/values.js';

export interface FlagSpec {
  /** A flag that takes a value names it here ("N", "10s"); a switch has none. */
  value?: string;
  /** May be given several times (each value is kept). */
  multiple?: boolean;
  /** A one-letter alias (`-o`). */
  short?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, all required. */
  positionals: { name: string; help: string }[];
  /** The last positional takes one or more values. */
  variadic?: boolean;
  /** After the required positionals, any number of these (none too): `[<name>...]`. */
  optional?: { name: string; help: string };
  flags: Record<string, FlagSpec>;
}

export interface ParsedArgs {
  positional: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

/** The command's flag a mistyped one most likely meant: at most two edits away (a letter left out, doubled, swapped or wrong), else none. */
function nearestFlag(spec: CommandSpec, typed: string): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const name of Object.keys(spec.flags)) {
    const d = editDistance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent swaps counted as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function listFlags(spec: CommandSpec): string {
  return Object.keys(spec.flags)
    .map((f) => `--${f}`)
    .join(' ');
}

export function parseCommand(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, f] of Object.entries(spec.flags)) options[name] = { type: f.value ? 'string' : 'boolean', multiple: f.multiple === true, ...(f.short ? { short: f.short } : {}) };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: negativeValuesJoined(spec, argv), options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new BadInput(parseError(spec, e as Error & { code?: string }));
  }
  const seen = new Map<string, number>();
  // parseArgs keeps the last of a repeated flag silently; a repeated single-valued flag is a mistake.
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    if (!spec.flags[t.name].multiple && (seen.get(t.name) ?? 0) > 1) throw new BadInput(`--${t.name} is given twice; give it once`);
  }
  if (parsed.values.help) return { positional: parsed.positionals, values: parsed.values };
  const want = spec.positionals.length;
  const got = parsed.positionals;
  if (got.length > want && !spec.variadic && !spec.optional) {
    throw new BadInput(`unexpected argument '${got[want]}' for '${spec.name}'${want ? `, which takes ${spec.positionals.map((p) => `<${p.name}>`).join(' ')}` : ', which takes none'}`);
  }
  if (got.length < want) throw new BadInput(`'${spec.name}' needs <${spec.positionals[got.length].name}> (mmu-stress ${spec.name} --help)`);
  return { positional: got, values: parsed.values };
}

/**
 * `--executions -1`: parseArgs takes a value starting with '-' for a flag and asks for
 * `--executions=-1`. A negative number is no flag, so it goes with its flag here as
 * `--flag=VALUE`, and the flag's own range check refuses it by name ("must be a whole
 * number from 1 to ...") instead of a parsing error that hides what was wrong.
 */
function negativeValuesJoined(spec: CommandSpec, argv: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--') return [...out, ...argv.slice(k)];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name !== undefined && spec.flags[name]?.value && k + 1 < argv.length && /^-\d/.test(argv[k + 1])) {
      out.push(`${a}=${argv[++k]}`);
      continue;
    }
    out.push(a);
  }
  return out;
}

/** node:util's errors, reworded as one line that names the command and what is valid. */
function parseError(spec: CommandSpec, e: Error & { code?: string }): string {
  const flag = /'(-{1,2}[^\s']+)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const near = flag?.startsWith('--') ? nearestFlag(spec, flag.slice(2).split('=')[0]) : null;
      return `unknown flag ${flag ?? ''} for '${spec.name}'${near ? ` (did you mean --${near}?)` : ''}; valid: ${listFlags(spec)}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // a missing value, a value that looks like a flag, or a value given to a switch
      const name = flag?.replace(/^-+/, '') ?? '';
      const f = spec.flags[name];
      return f?.value ? `--${name} needs a value (${f.value}); a value starting with '-' goes as --${name}=VALUE` : `--${name} takes no value`;
    }
    default:
      return e.message.split('\n')[0];
  }
}

export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(a: ParsedArgs, name: string): string[] {
  const v = a.values[name];
  return Array.isArray(v) ? v.map(String) : [];
}

export function has(a: ParsedArgs, name: string): boolean {
  return a.values[name] === true;
}

/** `mmu-stress <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const args = [spec.positionals.map((p) => `<${p.name}>`).join(' ') + (spec.variadic ? '...' : ''), spec.optional ? `[<${spec.optional.name}>...]` : ''].filter((x) => x !== '').join(' ');
  const out = [`usage: mmu-stress ${spec.name}${args ? ` ${args}` : ''} [flags]`, '', spec.summary, ''];
  for (const p of [...spec.positionals, ...(spec.optional ? [spec.optional] : [])]) out.push(`  <${p.name}>`.padEnd(28) + p.help);
  if (spec.positionals.length || spec.optional) out.push('');
  out.push('flags:');
  for (const [name, f] of Object.entries(spec.flags)) {
    const left = `  ${f.short ? `-${f.short}, ` : ''}--${name}${f.value ? ` ${f.value}` : ''}`;
    out.push(left.length < 28 ? left.padEnd(28) + f.help : `${left}\n${' '.repeat(28)}${f.help}`);
  }
  return out.join('\n');
}
