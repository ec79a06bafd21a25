/**
 * What the operational engine (./explore.ts, the weak model of src/memory/weak.ts) runs
 * correctly, and the name and line of the first thing in a test it does not: the parser
 * reads the whole format, this says where the engine stops. Each refusal is the
 * construct as the file writes it (`rcu_read_lock`, `a plain C access`, `filter`), with
 * its line, never a guess at a verdict.
 */
import type { Cond, Expr, LitmusTest, Stmt } from './ast.js';
import { Unsupported } from './parse.js';

/** The fences the weak model has (src/memory/weak.ts). */
const FENCES = new Set(['mb', 'wmb', 'rmb']);

function fail(what: string, line: number | undefined): never {
  throw new Unsupported(what, line);
}

/** A pointer value (`x` as a value, `&x`): the engine's values are numbers. */
function checkExpr(e: Expr, line: number | undefined): void {
  switch (e.k) {
    case 'loc':
      return fail(`a pointer value ('${e.name}' used as a value)`, line);
    case 'not':
    case 'bnot':
      return checkExpr(e.e, line);
    case 'bin':
      checkExpr(e.a, line);
      return checkExpr(e.b, line);
    case 'cond':
      checkExpr(e.c, line);
      checkExpr(e.a, line);
      return checkExpr(e.b, line);
    default:
      return;
  }
}

function checkStmt(s: Stmt): void {
  const line = s.line;
  switch (s.k) {
    case 'if':
      checkExpr(s.cond, line);
      s.then.forEach(checkStmt);
      s.else.forEach(checkStmt);
      return;
    case 'assign':
      return checkExpr(s.value, line);
    case 'fence':
      if (!FENCES.has(s.f)) fail(s.fn ?? s.f, line);
      return;
    case 'trylock':
    case 'islocked':
    case 'atomic':
    case 'add-unless':
    case 'srcu':
      return fail(s.fn ?? s.k, line);
    default:
      break;
  }
  // an access: a named location, and (for loads and stores) a marked one
  if ((s.k === 'load' || s.k === 'store') && s.order === 'plain') fail('a plain C access', line);
  if (s.addr) fail(`an access through a pointer held in a register (${s.fn ? `${s.fn}() of ` : ''}an address computed at run time)`, line);
  if (s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg') checkExpr(s.value, line);
  if (s.k === 'cmpxchg') checkExpr(s.old, line);
}

function hasPtr(c: Cond): boolean {
  if (c.k === 'ptr') return true;
  if (c.k === 'not') return hasPtr(c.c);
  if (c.k === 'and' || c.k === 'or') return hasPtr(c.a) || hasPtr(c.b);
  return false;
}

/** Throws Unsupported, with the construct and its line, for the first thing the engine would not run right. */
export function checkSupported(test: LitmusTest): void {
  for (const [name, p] of test.pointers) fail(`a pointer in the initial state ('${name}' holds the address of '${p.to}')`, p.line);
  for (const r of test.initRegs) fail(`a register set in the initial state ('${r.thread}:${r.reg}')`, r.line);
  for (const th of test.threads) th.body.forEach(checkStmt);
  if (test.filter) fail('filter', test.filter.line);
  if (hasPtr(test.cond)) fail('a pointer value in the final condition', test.condLine);
}
