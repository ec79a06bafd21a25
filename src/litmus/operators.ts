/** What a litmus test's expressions compute and which locations its final condition shows: one reading for the LKMM checker and the weak-model explorer. */
import type { Cond, LitmusTest } from './ast.js';
import { Unsupported } from './parse.js';

/** C's arithmetic on the int registers of a test (herd7 evaluates on machine integers). */
export function binop(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return (a + b) | 0;
    case '-':
      return (a - b) | 0;
    case '*':
      return Math.imul(a, b);
    case '/':
      return b === 0 ? 0 : (a / b) | 0;
    case '%':
      return b === 0 ? 0 : a % b | 0;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&~':
      return a & ~b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
    case '<':
      return +(a < b);
    case '>':
      return +(a > b);
    case '<=':
      return +(a <= b);
    case '>=':
      return +(a >= b);
    case '&&':
      return +(a !== 0 && b !== 0);
    case '||':
      return +(a !== 0 || b !== 0);
    default:
      throw new Unsupported(`the operator '${op}'`);
  }
}

/** The locations and registers a test's final condition and `locations` show, each once, in the order they appear. */
export function locationsShown(test: LitmusTest): { thread: number | null; name: string }[] {
  const out: { thread: number | null; name: string }[] = [];
  const add = (l: { thread: number | null; name: string }) => {
    if (!out.some((o) => o.thread === l.thread && o.name === l.name)) out.push(l);
  };
  const walk = (c: Cond) => {
    if (c.k === 'atom' || c.k === 'ptr') add({ thread: c.thread, name: c.name });
    else if (c.k === 'same') {
      add(c.a);
      add(c.b);
    } else if (c.k === 'not') walk(c.c);
    else if (c.k === 'and' || c.k === 'or') {
      walk(c.a);
      walk(c.b);
    }
  };
  walk(test.cond);
  test.locations.forEach(add);
  return out;
}
