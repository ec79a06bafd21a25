/**
 * A process's body: statements and C expressions, as herd7's C front end reads them
 * (lib/CParser.mly in herd/herdtools7), with the kernel's primitives from
 * linux-kernel.def (./primitives.ts).
 *
 * herd7's C takes the binary operators `* / + - & | ^ == != < > <= >=`, casts and
 * parentheses. The parser also takes C's `! ~ % << >> && || ?:` and unary minus (this
 * tool's tests used `!`, `&&`, `||` before): a file using them is not one herd7 reads.
 * A register needs no declaration: herd7 declares it by its first use.
 *
 * A memory access inside an expression becomes a statement of its own, run before the
 * statement that holds it, loading into a temporary register the expression reads (see
 * ast.ts): the dependencies stay register uses.
 */
import type { Expr, LitmusTest, Stmt, Thread } from './ast.js';
import { IDENT, LitmusSyntax, NUMBER, type Tokens } from './lex.js';
import { arity, hasValue, PRIMITIVES, type Primitive } from './primitives.js';

/** Type words herd7's C lexer knows (lib/CLexer.mll), and C's qualifiers it takes. */
export const TYPE_WORDS = new Set([
  'int',
  'long',
  'char',
  'void',
  'int8_t',
  'uint8_t',
  'int16_t',
  'uint16_t',
  'int32_t',
  'uint32_t',
  'int64_t',
  'uint64_t',
  '__int128_t',
  '__uint128_t',
  'intptr_t',
  'uintptr_t',
  'mtx_t',
  'spinlock_t',
  'atomic_t',
  'atomic_int',
  'volatile',
  '_Atomic',
  'struct',
]);

/** The only struct herd7's C knows. */
const STRUCTS = new Set(['srcu_struct']);

/** What the statements of one process are parsed against. */
export interface Scope {
  test: LitmusTest;
  th: Thread;
  /** The line of the process's '{' (where a missing '}' is reported). */
  open: number;
  /** Statements to run before the one being parsed: the accesses nested in its expressions. */
  pre: Stmt[];
  /** Inside `&&`, `||` or `?:`, whose operands C may not evaluate: no access may be nested there. */
  conditional: string | null;
}

/** `int`, `int *`, `struct srcu_struct`, `volatile int`: the words and stars of a type, read from the tokens. */
export function parseType(t: Tokens, where: string): { type: string; stars: number } {
  const line = t.line;
  const words: string[] = [];
  while (TYPE_WORDS.has(t.peek() ?? '')) {
    const w = t.next();
    if (w === 'struct') {
      const tag = t.next();
      if (!STRUCTS.has(tag)) throw new LitmusSyntax(line, `${where}: 'struct ${tag}' is not a type herd7's C knows (its only struct is 'struct srcu_struct')`);
      words.push(`struct ${tag}`);
    } else words.push(w);
  }
  let stars = 0;
  while (t.eat('*')) stars++;
  return { type: words.join(' '), stars };
}

export function isTypeStart(t: Tokens): boolean {
  return TYPE_WORDS.has(t.peek() ?? '');
}

function shared(test: LitmusTest, name: string): boolean {
  return test.init.has(name) || test.locks.has(name) || test.srcus.has(name);
}

/** A name in an expression: a register of the process (declared, or now by its first use), or a location's address. */
function nameExpr(s: Scope, name: string): Expr {
  if (s.th.regs.includes(name)) return { k: 'reg', name };
  if (s.th.params.some((p) => p.name === name) || shared(s.test, name)) return { k: 'loc', name };
  s.th.regs.push(name);
  return { k: 'reg', name };
}

function declare(s: Scope, reg: string): void {
  if (!s.th.regs.includes(reg)) s.th.regs.push(reg);
}

function temp(s: Scope): string {
  const name = `#${s.th.temps.length + 1}`;
  s.th.temps.push(name);
  return name;
}

/** Where an access goes: a named location, or an address computed at run time. */
function access(addr: Expr): { loc: string; addr?: Expr } {
  return addr.k === 'loc' ? { loc: addr.name } : { loc: '', addr };
}

/** The statements one statement of the file gives (its nested accesses first). */
export function parseStmt(t: Tokens, s: Scope): Stmt[] {
  const pre = s.pre;
  s.pre = [];
  try {
    const main = parseOne(t, s);
    return [...s.pre, ...main];
  } finally {
    s.pre = pre;
  }
}

function parseOne(t: Tokens, s: Scope): Stmt[] {
  const line = t.line;
  const w = t.peek();
  if (w === undefined) throw new LitmusSyntax(line, 'unexpected end of file');
  if (w === '{') {
    t.next();
    const out: Stmt[] = [];
    for (;;) {
      if (t.done()) throw new LitmusSyntax(line, `the '{' in P${s.th.id} is never closed`);
      if (t.eat('}')) break;
      out.push(...parseStmt(t, s));
    }
    return out;
  }
  if (t.eat(';')) return [];
  // what comes after a process, met inside one: a '}' is missing, not a strange statement
  if ((/^P\d+$/.test(w) && t.peek(1) === '(') || (w === 'void' && /^P\d+$/.test(t.peek(1) ?? '')) || FINAL_WORDS.has(w) || (w === '~' && t.peek(1) === 'exists')) {
    const what = /^P\d+$/.test(w) ? w : w === 'void' ? (t.peek(1) as string) : 'the final condition';
    throw new LitmusSyntax(s.open, `P${s.th.id}'s '{' is not closed before ${what} (line ${line})`);
  }
  if (isTypeStart(t)) return declaration(t, s);
  if (w === 'if') {
    t.next();
    t.expect('(');
    const cond = parseExpr(t, s);
    t.expect(')');
    const pre = s.pre;
    const then = parseStmt(t, s);
    const els = t.eat('else') ? parseStmt(t, s) : [];
    s.pre = pre;
    return [{ k: 'if', cond, then, else: els, line }];
  }
  if (w === 'while' || w === 'for' || w === 'do') throw new LitmusSyntax(line, `'${w}': herd7's C has no loops`);
  if (w === '*') {
    t.next();
    const addr = parseUnary(t, s);
    t.expect('=');
    const value = parseExpr(t, s);
    t.expect(';');
    return [{ k: 'store', ...access(addr), value, order: 'plain', line }];
  }
  if (IDENT.test(w) && t.peek(1) === '=' && t.peek(2) !== '=') {
    t.next();
    t.next();
    const out = assignment(t, s, w, line);
    t.expect(';');
    return out;
  }
  if (IDENT.test(w) && t.peek(1) === '(') {
    t.next();
    const out = call(t, s, w, line, false);
    t.expect(';');
    return out.stmts;
  }
  if (w === '(') {
    // an expression kept for its accesses, its value dropped: `(void)atomic_add_unless(v, 1, 0);`
    parseExpr(t, s);
    t.expect(';');
    return [];
  }
  throw new LitmusSyntax(line, `unexpected '${w}' in P${s.th.id}`);
}

/** The final condition's keywords: where the processes end. */
export const FINAL_WORDS = new Set(['exists', 'forall', 'locations', 'filter', 'final', 'cases', 'observed', 'Observed']);

/** `int r0;`, `int r0 = e;`, `intptr_t *r1, r2 = 0;` */
function declaration(t: Tokens, s: Scope): Stmt[] {
  const { type } = parseType(t, `P${s.th.id}`);
  const out: Stmt[] = [];
  for (;;) {
    while (t.eat('*'));
    const line = t.line;
    const reg = t.next();
    if (!IDENT.test(reg)) throw new LitmusSyntax(line, `expected a register name after '${type}', found '${reg}'`);
    declare(s, reg);
    if (t.eat('=')) out.push(...assignment(t, s, reg, line));
    if (t.eat(';')) return out;
    t.expect(',');
  }
}

/** `reg = e`: the access `e` is, loading straight into `reg`, or an assignment. */
function assignment(t: Tokens, s: Scope, reg: string, line: number): Stmt[] {
  declare(s, reg);
  const value = parseExpr(t, s);
  const last = s.pre[s.pre.length - 1];
  // `r0 = READ_ONCE(*x);` is one load into r0, not a load into a temporary and a copy
  if (value.k === 'reg' && last && 'reg' in last && last.reg === value.name && s.th.temps[s.th.temps.length - 1] === value.name) {
    s.th.temps.pop();
    last.reg = reg;
    return [];
  }
  return [{ k: 'assign', reg, value, line }];
}

/**
 * A call of a kernel primitive. As a statement (`want` false) its value, if any, goes to a
 * temporary nobody reads (or, for xchg/cmpxchg, nowhere: `reg` null, as before issue 20);
 * in an expression its statements go to `s.pre` and the value is the temporary.
 */
function call(t: Tokens, s: Scope, name: string, line: number, want: boolean): { stmts: Stmt[]; value: Expr | null } {
  const p = PRIMITIVES.get(name);
  if (!p) throw new LitmusSyntax(line, `'${name}' is not a primitive of the kernel's model (tools/memory-model/linux-kernel.def does not define it)`);
  if (want && !hasValue(p)) throw new LitmusSyntax(line, `${name}() gives no value: linux-kernel.def makes it a statement`);
  if (want && s.conditional) throw new LitmusSyntax(line, `${name}() inside '${s.conditional}', which may not evaluate it: herd7's C has no '${s.conditional}'; write it with an if`);
  t.expect('(');
  const n = arity(p);
  const locAt = p.kind === 'atomic' && p.amount === 'arg' ? 1 : 0;
  const args: Expr[] = [];
  let loc: { loc: string; addr?: Expr } = { loc: '' };
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      if (t.peek() === ')') throw new LitmusSyntax(line, `${name}() takes ${n} arguments, found ${i}`);
      t.expect(',');
    }
    if (i === locAt) loc = locationArg(t, s, name, p);
    else args.push(parseExpr(t, s));
  }
  if (t.peek() === ',') throw new LitmusSyntax(line, `${name}() takes ${n} argument${n === 1 ? '' : 's'}, found more`);
  t.expect(')');
  const stmts: Stmt[] = [];
  const reg = (): string => temp(s);
  let value: Expr | null = null;
  const fn = name;
  switch (p.kind) {
    case 'load': {
      const r = reg();
      stmts.push({ k: 'load', reg: r, ...loc, order: p.order, fn, line });
      value = { k: 'reg', name: r };
      break;
    }
    case 'store':
      stmts.push({ k: 'store', ...loc, value: args[0], order: p.order, fn, line });
      if (p.mb) stmts.push({ k: 'fence', f: 'mb', fn, line });
      break;
    case 'fence':
      stmts.push({ k: 'fence', f: p.f, fn, line });
      break;
    case 'lock':
    case 'unlock':
      stmts.push({ k: p.kind, ...loc, fn, line });
      break;
    case 'trylock':
    case 'islocked': {
      const r = reg();
      stmts.push({ k: p.kind, reg: r, ...loc, fn, line });
      value = { k: 'reg', name: r };
      break;
    }
    case 'xchg':
    case 'cmpxchg': {
      const r = want ? reg() : null;
      if (p.kind === 'xchg') stmts.push({ k: 'xchg', reg: r, ...loc, value: args[0], order: p.order, fn, line });
      else stmts.push({ k: 'cmpxchg', reg: r, ...loc, old: args[0], value: args[1], order: p.order, fn, line });
      value = r === null ? null : { k: 'reg', name: r };
      break;
    }
    case 'atomic': {
      const r = want ? reg() : null;
      const amount: Expr = p.amount === 'arg' ? args[0] : { k: 'num', v: p.amount };
      stmts.push({ k: 'atomic', reg: r, ...loc, op: p.op, value: amount, order: p.order, returns: p.returns, fn, line });
      if (r !== null) {
        const got: Expr = { k: 'reg', name: r };
        value = p.test === '== 0' ? { k: 'bin', op: '==', a: got, b: { k: 'num', v: 0 } } : p.test === '< 0' ? { k: 'bin', op: '<', a: got, b: { k: 'num', v: 0 } } : got;
      }
      break;
    }
    case 'add-unless': {
      const r = want ? reg() : null;
      stmts.push({ k: 'add-unless', reg: r, ...loc, value: args[0], unless: args[1], fn, line });
      value = r === null ? null : { k: 'reg', name: r };
      break;
    }
    case 'srcu': {
      const r = p.op === 'srcu-lock' && want ? reg() : null;
      stmts.push({ k: 'srcu', op: p.op, reg: r, ...loc, value: p.op === 'srcu-unlock' ? args[0] : null, fn, line });
      value = r === null ? null : { k: 'reg', name: r };
      break;
    }
  }
  if (want) s.pre.push(...stmts);
  return { stmts, value };
}

/** The location argument: `*x` for READ_ONCE-like primitives, `x` for the others (see primitives.ts). */
function locationArg(t: Tokens, s: Scope, name: string, p: Primitive): { loc: string; addr?: Expr } {
  const line = t.line;
  if ('ptr' in p && p.ptr === 'lvalue') {
    if (!t.eat('*')) throw new LitmusSyntax(line, `${name}() takes a memory location such as '*x', found '${t.peek() ?? 'the end of the file'}'`);
    return access(parseUnary(t, s));
  }
  const addr = parseExpr(t, s);
  if (addr.k === 'num') throw new LitmusSyntax(line, `${name}() takes a pointer such as 'x', found the number ${addr.v}`);
  return access(addr);
}

const BINARY: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

export function parseExpr(t: Tokens, s: Scope): Expr {
  const c = parseBinary(t, s, 0);
  if (!t.eat('?')) return c;
  const outer = s.conditional;
  s.conditional = '?:';
  const a = parseExpr(t, s);
  t.expect(':');
  const b = parseExpr(t, s);
  s.conditional = outer;
  return { k: 'cond', c, a, b };
}

function parseBinary(t: Tokens, s: Scope, level: number): Expr {
  if (level === BINARY.length) return parseUnary(t, s);
  let a = parseBinary(t, s, level + 1);
  while (BINARY[level].includes(t.peek() ?? '')) {
    const op = t.next();
    const outer = s.conditional;
    // the right operand of && and || runs only if the left one says so
    if (op === '&&' || op === '||') s.conditional = op;
    const b = parseBinary(t, s, level + 1);
    s.conditional = outer;
    a = { k: 'bin', op, a, b };
  }
  return a;
}

function parseUnary(t: Tokens, s: Scope): Expr {
  const line = t.line;
  if (t.done()) throw new LitmusSyntax(line, 'unexpected end of file in an expression');
  const w = t.next();
  if (w === '!') return { k: 'not', e: parseUnary(t, s) };
  if (w === '~') return { k: 'bnot', e: parseUnary(t, s) };
  if (w === '-') {
    if (NUMBER.test(t.peek() ?? '')) return { k: 'num', v: -Number(t.next()) };
    return { k: 'bin', op: '-', a: { k: 'num', v: 0 }, b: parseUnary(t, s) };
  }
  if (w === '*') {
    // a plain C load: `*x`, `*r1`, `*(int *)r1`
    if (s.conditional) throw new LitmusSyntax(line, `a load inside '${s.conditional}', which may not evaluate it: herd7's C has no '${s.conditional}'; write it with an if`);
    const addr = parseUnary(t, s);
    const r = temp(s);
    s.pre.push({ k: 'load', reg: r, ...access(addr), order: 'plain', line });
    return { k: 'reg', name: r };
  }
  if (w === '&') throw new LitmusSyntax(line, "unary '&': herd7's C has no address-of (a parameter 'x' is already the address of x)");
  if (w === '(') {
    if (isTypeStart(t)) {
      // a cast: herd7 reads the value as it is
      parseType(t, `P${s.th.id}`);
      t.expect(')');
      return parseUnary(t, s);
    }
    const e = parseExpr(t, s);
    t.expect(')');
    return e;
  }
  if (NUMBER.test(w)) return { k: 'num', v: Number(w) };
  if (IDENT.test(w)) {
    if (t.peek() === '(') {
      const { value } = call(t, s, w, line, true);
      return value as Expr;
    }
    return nameExpr(s, w);
  }
  throw new LitmusSyntax(line, `unexpected '${w}' in an expression`);
}
