/**
 * A generator called without `yield*` never starts: `kvmMmuEmptyMemoryCache(mc);` where
 * `yield* kvmMmuEmptyMemoryCache(mc);` was meant does nothing, makes no op, and leaves the
 * execution running another program than the one written (a buggy variant may pass). The
 * lock and READ_ONCE/WRITE_ONCE ops are caught at run time (rt/op.ts counts the ops a role
 * made and ran); a generator that never started leaves no trace there, so the scenario
 * file's source is read for it instead: every call of one of the package's exported
 * generator functions, or of a `function*` the file declares, that stands as a statement
 * of its own (its value thrown away) is named with its line. It is a reading of the text,
 * not of the program, so it is a note before the run, never a verdict; a generator kept
 * in a variable and never run (`const g = f();`) is not seen.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { codeOnly, lineCol, matchingBracket, withoutComments } from './source-text.js';

const IDENT = '[A-Za-z_$][\\w$]*';

/** An import of the package's sources or compiled form by path (relative or absolute), as the scenarios of a checkout import it. */
const byPath = (spec: string) => /^(\.|\/|file:)/.test(spec) && /(^|\/)(src|dist\/src)\//.test(spec);

/** An import of the package: by its name (a subpath too) or by path. */
const fromPackage = (spec: string) => spec === 'mmu-stress' || spec.startsWith('mmu-stress/') || byPath(spec);

/** The file's local names for the generator functions it imports from the package (`packageGenerators`), and its namespace imports of the package. */
function importedGenerators(code: string, packageGenerators: ReadonlySet<string>): { names: Map<string, string>; namespaces: Set<string> } {
  const names = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const m of code.matchAll(/\bimport\s+(?!type\b)([^'";]*?)\s+from\s*['"]([^'"]+)['"]/g)) {
    if (!fromPackage(m[2])) continue;
    const clause = m[1];
    const ns = new RegExp(`\\*\\s*as\\s+(${IDENT})`).exec(clause);
    if (ns) namespaces.add(ns[1]);
    const braces = /\{([^}]*)\}/.exec(clause);
    for (const part of braces?.[1].split(',') ?? []) {
      const [original, local] = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      if (original && packageGenerators.has(original)) names.set(local ?? original, original);
    }
  }
  return { names, namespaces };
}

/**
 * Whether a call at `at` (its `(` at `paren`) is a statement of its own, its value thrown
 * away: what stands before it ends a statement or opens a block (`;`, `{`, `}`, `else`, the
 * head of an `if`/`for`/`while`), and no block follows it (a method being defined). A
 * generator made so never runs; one whose value is used (`yield* f()`, `return f()`,
 * `g(f())`, `for (const x of f())`, `const it = f()`) is left alone, run or not.
 */
function discarded(code: string, at: number, paren: number): boolean {
  const close = matchingBracket(code, paren, 1);
  if (close < 0 || /^\s*\{/.test(code.slice(close + 1, close + 40))) return false;
  const before = code.slice(0, at).trimEnd();
  if (before === '' || /[;{}]$/.test(before) || /\belse$/.test(before)) return true;
  if (!before.endsWith(')')) return false;
  const open = matchingBracket(code, before.length - 1, -1);
  return open >= 0 && /\b(?:if|for|while)\s*$/.test(code.slice(0, open));
}

/**
 * Notes, one line each, on the calls of generator functions in `source` (the file `shown`)
 * that are not run under `yield*`: the package's (`packageGenerators`, by exported name)
 * and the file's own `function*` declarations. At most `limit` lines, then how many more.
 */
export function unrunGeneratorCalls(source: string, shown: string, packageGenerators: ReadonlySet<string>, limit = 5): string[] {
  // the imports are read with their strings (the specifiers); the calls with strings blanked, so a string is never a call
  const { names, namespaces } = importedGenerators(withoutComments(source), packageGenerators);
  const code = codeOnly(source);
  for (const m of code.matchAll(new RegExp(`\\bfunction\\s*\\*\\s*(${IDENT})`, 'g'))) names.set(m[1], m[1]);
  if (names.size === 0 && namespaces.size === 0) return [];
  const found: { at: number; name: string }[] = [];
  // a name (or namespace.name) not itself a property of something else, then its call's `(`
  const call = new RegExp(`(?<![\\w$.])(?:(${IDENT})\\s*\\.\\s*)?(${IDENT})\\s*\\(`, 'g');
  for (const m of code.matchAll(call)) {
    const [text, ns, name] = m;
    const at = m.index ?? 0;
    if (ns !== undefined ? !namespaces.has(ns) || !packageGenerators.has(name) : !names.has(name)) continue;
    if (discarded(code, at, at + text.length - 1)) found.push({ at, name: ns !== undefined ? `${ns}.${name}` : name });
  }
  const lines = found.slice(0, limit).map(({ at, name }) => {
    return `${shown}:${lineCol(source, at)}: ${name}() is a generator called without yield*: it does nothing unless run as yield* ${name}(...)`;
  });
  if (found.length > limit) lines.push(`(and ${found.length - limit} more such calls in ${shown})`);
  return lines;
}

/** The package's public modules by the name a user's file imports them under. */
const PUBLIC: Record<string, string> = {
  'mmu-stress': '../index.js',
  'mmu-stress/kvm': '../exports/kvm.js',
  'mmu-stress/kvm/x86': '../exports/x86.js',
  'mmu-stress/kvm/x86/lazy-rmaps': '../exports/x86-lazy-rmaps.js',
  'mmu-stress/kvm/arm64': '../exports/arm64.js',
  'mmu-stress/kernel': '../exports/kernel.js',
};

/**
 * The notes of unrunGeneratorCalls for the scenario file `file` (shown as `shown`), once
 * it has loaded: the generator functions are told by their values in the package modules
 * the file imports (the same modules the file itself got, already loaded). Nothing is
 * noted where the file cannot be read again or a module not imported.
 */
export async function unrunGeneratorNotes(file: string, shown: string): Promise<string[]> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const generators = new Set<string>();
  for (const m of withoutComments(source).matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    const url = PUBLIC[spec] ? new URL(PUBLIC[spec], import.meta.url).href : byPath(spec) ? new URL(spec, pathToFileURL(file)).href : null;
    if (url === null) continue;
    try {
      for (const [name, value] of Object.entries(await import(url))) if (typeof value === 'function' && value.constructor?.name === 'GeneratorFunction') generators.add(name);
    } catch {
      // a module this reading cannot import: the file's own import worked, and the run says what it must
    }
  }
  return unrunGeneratorCalls(source, shown, generators);
}
