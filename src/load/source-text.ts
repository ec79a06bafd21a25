/**
 * Readings of a scenario file's text (load/unrun-calls.ts, load/callback-site.ts): the
 * text with what is not code blanked, brackets matched, positions as editors count them.
 * They read text, not a program: a bracket inside a string is a bracket unless the string
 * was blanked first.
 */

/** Every character but newlines as a space: same length, so positions still count lines. */
const blank = (c: string) => c.replace(/[^\n]/g, ' ');

/** The source with its comments blanked. */
export function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, blank);
}

/** The source with its comments and the insides of its strings blanked (the quotes kept), so a string that says "check()" or "f();" is not read as code. */
export function codeOnly(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (c) =>
    c.startsWith('/') ? blank(c) : `${c[0]}${blank(c.slice(1, -1))}${c.at(-1)}`,
  );
}

/** The index of the bracket that closes (step 1) or opens (step -1) the round bracket at `at`, or -1. */
export function matchingBracket(code: string, at: number, step: 1 | -1): number {
  const [open, close] = step === 1 ? ['(', ')'] : [')', '('];
  let depth = 0;
  for (let k = at; k >= 0 && k < code.length; k += step) {
    if (code[k] === open) depth++;
    else if (code[k] === close && --depth === 0) return k;
  }
  return -1;
}

/** "line:column" of index `at`, both from 1. */
export function lineCol(code: string, at: number): string {
  const before = code.slice(0, at).split('\n');
  return `${before.length}:${(before.at(-1) ?? '').length + 1}`;
}

/** `s` as a regular expression that matches it literally. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
