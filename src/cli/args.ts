/** Strict parsing of command-line values: anything malformed is a BadInput (exit 2). */
import { BadInput } from '../scenarios.js';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

/** `spec` maps each allowed flag to whether it takes a value. */
export function parseArgs(argv: string[], spec: Record<string, boolean>, command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!(name in spec)) {
      throw new BadInput(`unknown flag --${name} for '${command}'; valid: ${Object.keys(spec).map((f) => `--${f}`).join(' ')}`);
    }
    let value = 'true';
    if (spec[name]) {
      if (eq > 0) value = a.slice(eq + 1);
      else if (k + 1 < argv.length) value = argv[++k];
      else throw new BadInput(`--${name} needs a value`);
    } else if (eq > 0) {
      throw new BadInput(`--${name} takes no value`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

/** The value of a flag given once (the last one wins if repeated). */
export function flag(a: ParsedArgs, name: string): string | undefined {
  return a.flags.get(name)?.at(-1);
}

export function wholeNumber(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new BadInput(`--${name} must be a whole number >= ${min}, not '${v}'`);
  }
  return Number(v);
}

/** "30s", "1.5s", "500ms", "2m", or a bare number of seconds. */
export function duration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw new BadInput(`--${name} must be a duration such as 500ms, 10s or 2m, not '${v}'`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function fraction(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new BadInput(`--${name} must be a number from 0 to 1, not '${v}'`);
  return n;
}
