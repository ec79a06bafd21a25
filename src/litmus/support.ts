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
  if (e.k === 'loc') fail(`a pointer value ('${e.name}' used as a value)`, line);
  if (e.k === 'not' || e.k === 'bnot') checkExpr(e.e, line);
  if (e.k === 'bin') {
    checkExpr(e.a, line);
    checkExpr(e.b, line);
  }
  if (e.k === 'cond') {
    checkExpr(e.c, line);
    checkExpr(e.a, line);
    checkExpr(e.b, line);
  }
}

/** Primitives the weak model has no events for: named as the file writes them. */
const NOT_MODELLED = new Set(['trylock', 'islocked', 'atomic', 'add-unless', 'srcu']);

function checkStmt(s: Stmt): void {
  const line = s.line;
  if (s.k === 'if') {
    checkExpr(s.cond, line);
    s.then.forEach(checkStmt);
    s.else.forEach(checkStmt);
    return;
  }
  if (s.k === 'assign') checkExpr(s.value, line);
  if (s.k === 'fence' && !FENCES.has(s.f)) fail(s.fn ?? s.f, line);
  if (NOT_MODELLED.has(s.k)) fail(('fn' in s && s.fn) || s.k, line);
  // an access: a named location, and (for loads and stores) a marked one
  if ((s.k === 'load' || s.k === 'store') && s.order === 'plain') fail('a plain C access', line);
  if ('addr' in s && s.addr) fail(`an access through a pointer held in a register (${s.fn ? `${s.fn}() of ` : ''}an address computed at run time)`, line);
  if (s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg') checkExpr(s.value, line);
  if (s.k === 'cmpxchg') checkExpr(s.old, line);
  // LKMM orders a cmpxchg only when it succeeds; the model orders it either way (cmpxchg-fail-unordered-1)
  if (s.k === 'cmpxchg' && s.order !== 'relaxed') fail(`${s.fn ?? 'cmpxchg'}() with ordering (LKMM gives a failed one none; the model would order it anyway)`, line);
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
