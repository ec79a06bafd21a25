/**
 * Where in the scenario file a callback is written, read from its text: for a callback that
 * returned a value the harness cannot use, nothing threw, so no stack says where it is. A
 * role's count() is the first `count` member after the role's key; check() is the file's
 * one `check` member. It is a reading of the text, so it answers only when the reading is
 * unambiguous (the role's key written once, one `check` member), and null otherwise.
 */
import { readFileSync } from 'node:fs';
import { codeOnly, escapeRegExp, lineCol, matchingBracket } from './source-text.js';

/**
 * Members named `name` from `from` on (`name: ...`, `name = ...`, a method `name(...) {`),
 * not a read (`x.name`) or a call (`name(x);`); the index of each one's first letter.
 */
function members(code: string, name: string, from = 0): number[] {
  const re = new RegExp(`(^|[\\s{,;])${escapeRegExp(name)}\\s*(\\(|:|=(?![=>]))`, 'g');
  // a method's parameters are followed by its body or its return type; a call's by anything else
  const method = (open: number) => {
    const close = matchingBracket(code, open, 1);
    return close >= 0 && /^\s*[{:]/.test(code.slice(close + 1, close + 200));
  };
  return [...code.matchAll(re)]
    .filter((m) => (m.index ?? 0) >= from && (m[2] !== '(' || method((m.index ?? 0) + m[0].length - 1)))
    .map((m) => (m.index ?? 0) + m[1].length);
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
    const keys = [...code.matchAll(new RegExp(`(^|[\\s{,])(['"]?)${escapeRegExp(role)}\\2\\s*:`, 'g'))];
    if (keys.length !== 1) return null;
    from = keys[0].index ?? 0;
    const at = members(code, callback, from)[0];
    return at === undefined ? null : lineCol(code, at);
  }
  const found = members(code, callback);
  return found.length === 1 ? lineCol(code, found[0]) : null;
}
