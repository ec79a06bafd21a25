/**
 * What follows the processes: `locations [...]`, `filter (...)` and the final condition
 * (`exists`, `~exists`, `forall`), with `/\`, `\/`, `~`, `->` (also herd's `=>`),
 * `true`, `false`, and atoms `0:r0=1`, `x=1`, `0:r1=x` (a pointer value).
 */
import type { Cond, LitmusTest } from './ast.js';
import { IDENT, LitmusSyntax, NUMBER, type Tokens } from './lex.js';

export function parseFinal(t: Tokens, test: LitmusTest): void {
  let condLine = 0;
  while (!t.done()) {
    const line = t.line;
    const w = t.next();
    if (w === 'locations') {
      t.expect('[');
      while (!t.eat(']')) {
        if (t.done()) throw new LitmusSyntax(line, "the 'locations [' is never closed");
        if (t.eat(';')) continue;
        test.locations.push(parseLocation(t, test, true));
      }
    } else if (w === 'exists' || w === 'forall' || (w === '~' && t.peek() === 'exists')) {
      if (condLine) throw new LitmusSyntax(line, `a second final condition (the first is at line ${condLine}); a test has one`);
      condLine = line;
      if (w === '~') t.next();
      test.quantifier = w === '~' ? '~exists' : (w as 'exists' | 'forall');
      if (t.done()) throw new LitmusSyntax(line, `'${test.quantifier}' needs a condition, such as '(1:r0=1 /\\ x=0)'`);
      test.cond = parseCond(t, test);
      test.condLine = line;
      t.eat(';');
    } else if (w === 'filter') {
      if (test.filter) throw new LitmusSyntax(line, `a second filter (the first is at line ${test.filter.line})`);
      test.filter = { cond: parseCond(t, test), line };
      t.eat(';');
    } else if (w === '}') {
      throw new LitmusSyntax(line, "a '}' that closes nothing (one too many after the processes)");
    } else {
      throw new LitmusSyntax(line, `unexpected '${w}' after the processes (expected exists, ~exists, forall, filter or locations)`);
    }
  }
  // without one, every outcome would "satisfy" an empty condition: never a verdict to give
  if (!condLine) throw new LitmusSyntax(t.lastLine, "no final condition: a test ends with 'exists (...)', '~exists (...)' or 'forall (...)'");
}

/**
 * `x` or `1:r0`, which must be a location of the test or a register of the process. A
 * register `locations [...]` shows but the process never uses is declared by that
 * mention (herd7 shows it, at 0); in a condition it is an error, most likely a typo.
 */
function parseLocation(t: Tokens, test: LitmusTest, shown = false): { thread: number | null; name: string } {
  const line = t.line;
  const a = t.next();
  const p = /^P(\d+)$/.exec(a);
  if ((NUMBER.test(a) || p) && t.eat(':')) {
    const thread = Number(p ? p[1] : a);
    const name = t.next();
    const th = test.threads[thread];
    if (!th) throw new LitmusSyntax(line, `'${thread}:${name}' names P${thread}, but the test's processes are P0..P${test.threads.length - 1}`);
    if (!th.regs.includes(name) && shown && IDENT.test(name)) th.regs.push(name);
    if (!th.regs.includes(name)) {
      const regs = th.regs.length ? `its registers: ${th.regs.join(', ')}` : 'it declares none';
      throw new LitmusSyntax(line, `'${thread}:${name}' is not a register of P${thread} (${regs})`);
    }
    return { thread, name };
  }
  if (!IDENT.test(a)) throw new LitmusSyntax(line, `expected a location or 'N:register', found '${a}'`);
  if (!shared(test, a)) throw new LitmusSyntax(line, `'${a}' is not a shared location of this test`);
  return { thread: null, name: a };
}

function shared(test: LitmusTest, name: string): boolean {
  return test.init.has(name) || test.locks.has(name) || test.srcus.has(name);
}

function parseCond(t: Tokens, test: LitmusTest): Cond {
  const a = parseCondOr(t, test);
  // implication, the loosest and right-associative: a -> b is ~a \/ b
  if (t.eat('->') || (t.peek() === '=' && t.peek(1) === '>' && t.eat('=') && t.eat('>'))) return { k: 'or', a: { k: 'not', c: a }, b: parseCond(t, test) };
  return a;
}

function parseCondOr(t: Tokens, test: LitmusTest): Cond {
  let a = parseCondAnd(t, test);
  while (t.eat('\\/')) a = { k: 'or', a, b: parseCondAnd(t, test) };
  return a;
}

function parseCondAnd(t: Tokens, test: LitmusTest): Cond {
  let a = parseCondAtom(t, test);
  while (t.eat('/\\')) a = { k: 'and', a, b: parseCondAtom(t, test) };
  return a;
}

function parseCondAtom(t: Tokens, test: LitmusTest): Cond {
  const line = t.line;
  if (t.eat('(')) {
    const c = parseCond(t, test);
    t.expect(')');
    return c;
  }
  if (t.eat('~') || t.eat('not')) return { k: 'not', c: parseCondAtom(t, test) };
  if (t.eat('true')) return { k: 'true' };
  if (t.eat('false')) return { k: 'not', c: { k: 'true' } };
  if (t.done()) throw new LitmusSyntax(line, 'the condition ends too early');
  const loc = parseLocation(t, test);
  let negate = false;
  if (t.eat('!=')) negate = true;
  else if (!t.eat('==')) t.expect('=');
  const atom = parseValue(t, test, loc, line);
  return negate ? { k: 'not', c: atom } : atom;
}

function parseValue(t: Tokens, test: LitmusTest, loc: { thread: number | null; name: string }, line: number): Cond {
  const neg = t.eat('-');
  const amp = !neg && t.eat('&');
  const v = t.done() ? 'the end of the file' : t.next();
  if (!neg && !amp && (NUMBER.test(v) || /^P\d+$/.test(v)) && t.peek() === ':') {
    t.pos--;
    return { k: 'same', a: loc, b: parseLocation(t, test) };
  }
  if (NUMBER.test(v) && !amp) return { k: 'atom', thread: loc.thread, name: loc.name, value: neg ? -Number(v) : Number(v) };
  if (IDENT.test(v) && !neg) {
    if (!shared(test, v)) throw new LitmusSyntax(line, `'${v}' is not a shared location of this test (a value after '=' is a number or a location, whose address it means)`);
    return { k: 'ptr', thread: loc.thread, name: loc.name, loc: v };
  }
  throw new LitmusSyntax(line, `expected a number after '=', found '${v}'`);
}
