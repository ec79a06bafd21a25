/**
 * Where in the scenario file a callback is written, read from its text: for a callback that
 * returned a value the harness cannot use, nothing threw, so no stack says where it is. A
 * role's count() is the first `count` member after the role's key; check() is the file's
 * one `check` member. It is a reading of the text, so it answers only when the reading is
 * unambiguous (the role's key written once, one `check` member), and null otherwise.
 */
import { readFileSync } from 'node:fs';

/**
 * The source with its comments and the insides of its strings blanked (same length,
 * newlines kept), so positions still count lines and a description that says "check()"
 * is not taken for the member.
 */
function codeOnly(source: string): string {
  const blank = (c: string) => c.replace(/[^\n]/g, ' ');
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (c) =>
    c.startsWith('/') ? blank(c) : `${c[0]}${blank(c.slice(1, -1))}${c.at(-1)}`,
  );
}

/** The index of the bracket that closes the one at `at`, or -1. */
function closing(code: string, at: number): number {
  let depth = 0;
  for (let k = at; k < code.length; k++) {
    if (code[k] === '(') depth++;
    else if (code[k] === ')' && --depth === 0) return k;
  }
  return -1;
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Members named `name` from `from` on (`name: ...`, `name = ...`, a method `name(...) {`),
 * not a read (`x.name`) or a call (`name(x);`); the index of each one's first letter.
 */
function members(code: string, name: string, from = 0): number[] {
  const re = new RegExp(`(^|[\\s{,;])${escaped(name)}\\s*(\\(|:|=(?![=>]))`, 'g');
  // a method's parameters are followed by its body or its return type; a call's by anything else
  const method = (open: number) => {
    const close = closing(code, open);
    return close >= 0 && /^\s*[{:]/.test(code.slice(close + 1, close + 200));
  };
  return [...code.matchAll(re)]
    .filter((m) => (m.index ?? 0) >= from && (m[2] !== '(' || method((m.index ?? 0) + m[0].length - 1)))
    .map((m) => (m.index ?? 0) + m[1].length);
}

function position(code: string, at: number): string {
  const before = code.slice(0, at).split('\n');
  return `${before.length}:${(before.at(-1) ?? '').length + 1}`;
}

/** "line:column" in `file` of the callback (`count` of `role`, or `check`), or null when the text does not say it plainly. */
export function callbackSite(file: string, callback: string, role?: string): string | null {
  let code: string;
  try {
    code = codeOnly(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  let from = 0;
  if (role !== undefined) {
    // the role's key, bare or quoted: written once, or the reading is not sure which one
    const keys = [...code.matchAll(new RegExp(`(^|[\\s{,])(['"]?)${escaped(role)}\\2\\s*:`, 'g'))];
    if (keys.length !== 1) return null;
    from = keys[0].index ?? 0;
    const at = members(code, callback, from)[0];
    return at === undefined ? null : position(code, at);
  }
  const found = members(code, callback);
  return found.length === 1 ? position(code, found[0]) : null;
}
