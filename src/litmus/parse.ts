/**
 * The kernel's C litmus format (tools/memory-model/litmus-tests/*.litmus), for the
 * statements the weak model expresses: READ_ONCE, WRITE_ONCE, smp_load_acquire,
 * smp_store_release, smp_mb/wmb/rmb, spin_lock/spin_unlock, xchg/cmpxchg and their
 * _relaxed/_acquire/_release forms, int registers, `if` on registers, and the
 * exists / ~exists / forall clause.
 *
 * A construct outside that subset is not guessed at: the file parses to
 * `{ unsupported: "<construct>" }`. Text that is not litmus at all is a LitmusSyntax
 * error with its line.
 */

export class LitmusSyntax extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A construct of the file the model does not express (never guessed at). */
export class Unsupported extends Error {}

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'reg'; name: string }
  | { k: 'not'; e: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr };

export type Order = 'once' | 'relaxed' | 'acquire' | 'release' | 'mb';

export type Stmt =
  | { k: 'load'; reg: string; loc: string; order: 'once' | 'acquire' }
  | { k: 'store'; loc: string; value: Expr; order: 'once' | 'release' }
  | { k: 'fence'; f: 'mb' | 'wmb' | 'rmb' }
  | { k: 'lock'; loc: string }
  | { k: 'unlock'; loc: string }
  | { k: 'xchg'; reg: string | null; loc: string; value: Expr; order: Order }
  | { k: 'cmpxchg'; reg: string | null; loc: string; old: Expr; value: Expr; order: Order }
  | { k: 'assign'; reg: string; value: Expr }
  | { k: 'if'; cond: Expr; then: Stmt[]; else: Stmt[] };

export interface Thread {
  id: number;
  body: Stmt[];
  /** Registers declared in the body, in order. */
  regs: string[];
}

export type Cond =
  | { k: 'true' }
  | { k: 'atom'; thread: number | null; name: string; value: number }
  | { k: 'not'; c: Cond }
  | { k: 'and' | 'or'; a: Cond; b: Cond };

export interface LitmusTest {
  name: string;
  /** The verdict the file's comment states ("Result: Never"), if any. */
  expected: 'Never' | 'Sometimes' | 'Always' | null;
  init: Map<string, number>;
  locks: Set<string>;
  threads: Thread[];
  quantifier: 'exists' | '~exists' | 'forall';
  cond: Cond;
  /** Extra locations to show (`locations [...]`). */
  locations: { thread: number | null; name: string }[];
}

const ORDERS: Record<string, Order> = { '': 'mb', _relaxed: 'relaxed', _acquire: 'acquire', _release: 'release' };

/** Strip (* ... *) and // comments, keeping line numbers; returns the text and the comments. */
function stripComments(text: string): { code: string; comments: string[] } {
  const comments: string[] = [];
  let code = '';
  let i = 0;
  while (i < text.length) {
    // `(*x` in C code is a dereference, not a comment: a comment's `(*` is followed by a blank
    if (text.startsWith('(*', i) && /[\s*]/.test(text[i + 2] ?? ' ')) {
      const end = text.indexOf('*)', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      const c = text.slice(i, stop);
      comments.push(c);
      code += c.replace(/[^\n]/g, ' ');
      i = stop;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      code += ' '.repeat(stop - i);
      i = stop;
    } else {
      code += text[i++];
    }
  }
  return { code, comments };
}

/** A cursor over C-ish tokens with line numbers. */
class Tokens {
  private readonly toks: { t: string; line: number }[] = [];
  pos = 0;

  constructor(code: string, firstLine: number) {
    const re = /\s+|(\/\\|\\\/|==|!=|<=|>=|&&|\|\||[A-Za-z_][A-Za-z0-9_]*|\d+|[{}()[\];,=*&!~<>+\-:.])/gy;
    let line = firstLine;
    let m: RegExpExecArray | null;
    re.lastIndex = 0;
    while (re.lastIndex < code.length) {
      const at = re.lastIndex;
      m = re.exec(code);
      if (!m) throw new LitmusSyntax(line, `unexpected character '${code[at]}'`);
      if (m[1]) this.toks.push({ t: m[1], line });
      line += (m[0].match(/\n/g) ?? []).length;
    }
  }

  get line(): number {
    return (this.toks[this.pos] ?? this.toks[this.toks.length - 1])?.line ?? 0;
  }

  peek(k = 0): string | undefined {
    return this.toks[this.pos + k]?.t;
  }

  next(): string {
    const t = this.toks[this.pos++];
    if (!t) throw new LitmusSyntax(this.line, 'unexpected end of file');
    return t.t;
  }

  expect(t: string): void {
    const line = this.line;
    const got = this.next();
    if (got !== t) throw new LitmusSyntax(line, `expected '${t}', found '${got}'`);
  }

  eat(t: string): boolean {
    if (this.peek() !== t) return false;
    this.pos++;
    return true;
  }

  done(): boolean {
    return this.pos >= this.toks.length;
  }
}

export function parseLitmus(text: string): LitmusTest {
  const { code, comments } = stripComments(text);
  const lines = code.split('\n');
  const head = lines.findIndex((l) => l.trim() !== '');
  const m = /^\s*C\s+(\S+)\s*$/.exec(lines[head] ?? '');
  if (!m) throw new LitmusSyntax(head + 1, "a C litmus test starts with 'C <name>'");
  const result = /Result:\s*(Never|Sometimes|Always)/.exec(comments.join('\n'));
  const t = new Tokens(lines.slice(head + 1).join('\n'), head + 2);
  const test: LitmusTest = {
    name: m[1],
    expected: (result?.[1] as LitmusTest['expected']) ?? null,
    init: new Map(),
    locks: new Set(),
    threads: [],
    quantifier: 'exists',
    cond: { k: 'true' },
    locations: [],
  };
  parseInit(t, test);
  while (/^P\d+$/.test(t.peek() ?? '')) test.threads.push(parseThread(t, test));
  if (test.threads.length === 0) throw new LitmusSyntax(t.line, "expected a process 'P0(...) { ... }'");
  test.threads.forEach((th, k) => {
    if (th.id !== k) throw new LitmusSyntax(t.line, `processes must be P0, P1, ... in order; found P${th.id} as process ${k}`);
  });
  parseFinal(t, test);
  return test;
}

function parseInit(t: Tokens, test: LitmusTest): void {
  t.expect('{');
  while (!t.eat('}')) {
    if (t.eat(';')) continue;
    const line = t.line;
    let name = t.next();
    if (name === 'spinlock_t') {
      test.locks.add(t.next());
      continue;
    }
    if (name === 'int') {
      if (t.peek() === '*') throw new Unsupported('pointer variables in the initial state');
      name = t.next();
    } else if (/^P?\d+$/.test(name) && t.peek() === ':') {
      throw new Unsupported('registers set in the initial state');
    } else if (!/^[A-Za-z_]\w*$/.test(name)) {
      throw new LitmusSyntax(line, `unexpected '${name}' in the initial state`);
    }
    if (t.peek() === '*' || t.peek() === '&') throw new Unsupported('pointer variables in the initial state');
    let v = 0;
    if (t.eat('=')) {
      const neg = t.eat('-');
      const tok = t.next();
      if (!/^\d+$/.test(tok)) throw new Unsupported(`a location initialised to '${tok}' (pointers)`);
      v = neg ? -Number(tok) : Number(tok);
    }
    test.init.set(name, v);
  }
}

function parseThread(t: Tokens, test: LitmusTest): Thread {
  const id = Number(t.next().slice(1));
  t.expect('(');
  while (!t.eat(')')) {
    const type = t.next();
    if (type === ',') continue;
    const stars: string[] = [];
    while (t.peek() === '*') stars.push(t.next());
    const name = t.next();
    if (type === 'spinlock_t' && stars.length === 1) test.locks.add(name);
    else if (type === 'int' && stars.length === 1) {
      if (!test.init.has(name)) test.init.set(name, 0);
    } else if (type === 'atomic_t') throw new Unsupported('atomic_t');
    else throw new Unsupported(`a parameter of type ${type} ${stars.join('')}`);
  }
  const th: Thread = { id, body: [], regs: [] };
  scope = { test, th };
  t.expect('{');
  while (!t.eat('}')) th.body.push(...parseStmt(t, test, th));
  scope = null;
  return th;
}

/** The location of `x` / `*x` / `&x` arguments. */
function parseLoc(t: Tokens, test: LitmusTest, deref: boolean): string {
  const line = t.line;
  if (deref) t.expect('*');
  else if (t.peek() === '*') throw new Unsupported('a dereferenced pointer argument');
  const name = t.next();
  if (!test.init.has(name) && !test.locks.has(name)) throw new LitmusSyntax(line, `'${name}' is not a shared location of this test`);
  return name;
}

function parseCall(t: Tokens, test: LitmusTest, fn: string): { loc: string; args: Expr[] } {
  t.expect('(');
  const loc = parseLoc(t, test, fn === 'READ_ONCE' || fn === 'WRITE_ONCE');
  const args: Expr[] = [];
  while (t.eat(',')) args.push(parseExpr(t));
  t.expect(')');
  return { loc, args };
}

const UNSUPPORTED_CALL = /^(rcu_|srcu_|synchronize_|smp_mb__|spin_trylock|spin_is_locked|atomic_|READ_ONCE_|smp_cond_load|xchg_|cmpxchg_|call_rcu|lock_|raw_)/;

function parseStmt(t: Tokens, test: LitmusTest, th: Thread): Stmt[] {
  const line = t.line;
  const w = t.next();
  if (w === '{') {
    const out: Stmt[] = [];
    while (!t.eat('}')) out.push(...parseStmt(t, test, th));
    return out;
  }
  if (w === ';') return [];
  if (w === 'int') {
    if (t.peek() === '*') throw new Unsupported('pointer registers');
    const reg = t.next();
    th.regs.push(reg);
    if (t.eat(';')) return [];
    t.expect('=');
    const s = parseRhs(t, test, reg);
    t.expect(';');
    return [s];
  }
  if (w === 'if') {
    t.expect('(');
    const cond = parseExpr(t);
    t.expect(')');
    const then = parseStmt(t, test, th);
    const els = t.eat('else') ? parseStmt(t, test, th) : [];
    return [{ k: 'if', cond, then, else: els }];
  }
  if (w === '*') throw new Unsupported('a plain C access');
  if (w === 'WRITE_ONCE' || w === 'smp_store_release') {
    const { loc, args } = parseCall(t, test, w);
    if (args.length !== 1) throw new LitmusSyntax(line, `${w} takes a location and a value`);
    t.expect(';');
    return [{ k: 'store', loc, value: args[0], order: w === 'WRITE_ONCE' ? 'once' : 'release' }];
  }
  if (w === 'smp_mb' || w === 'smp_wmb' || w === 'smp_rmb') {
    t.expect('(');
    t.expect(')');
    t.expect(';');
    return [{ k: 'fence', f: w.slice(4) as 'mb' | 'wmb' | 'rmb' }];
  }
  if (w === 'spin_lock' || w === 'spin_unlock') {
    t.expect('(');
    const loc = parseLoc(t, test, false);
    if (!test.locks.has(loc)) throw new LitmusSyntax(line, `${w} of '${loc}', which is not a spinlock_t`);
    t.expect(')');
    t.expect(';');
    return [{ k: w === 'spin_lock' ? 'lock' : 'unlock', loc }];
  }
  const rmw = /^(xchg|cmpxchg)(|_relaxed|_acquire|_release)$/.exec(w);
  if (rmw) {
    const s = parseRmw(t, test, null, rmw[1], ORDERS[rmw[2]], line);
    t.expect(';');
    return [s];
  }
  if (/^[A-Za-z_]\w*$/.test(w) && t.peek() === '=') {
    if (!th.regs.includes(w)) {
      if (test.init.has(w)) throw new Unsupported('a plain C access');
      throw new LitmusSyntax(line, `'${w}' is not a declared register`);
    }
    t.next();
    const s = parseRhs(t, test, w);
    t.expect(';');
    return [s];
  }
  if (UNSUPPORTED_CALL.test(w) || t.peek() === '(') throw new Unsupported(w);
  throw new LitmusSyntax(line, `unexpected '${w}'`);
}

function parseRmw(t: Tokens, test: LitmusTest, reg: string | null, fn: string, order: Order, line: number): Stmt {
  const { loc, args } = parseCall(t, test, fn);
  if (fn === 'xchg') {
    if (args.length !== 1) throw new LitmusSyntax(line, 'xchg takes a location and a value');
    return { k: 'xchg', reg, loc, value: args[0], order };
  }
  if (args.length !== 2) throw new LitmusSyntax(line, 'cmpxchg takes a location, the old value and the new one');
  return { k: 'cmpxchg', reg, loc, old: args[0], value: args[1], order };
}

/** What follows `reg =`: a load, an atomic, or an expression over registers. */
function parseRhs(t: Tokens, test: LitmusTest, reg: string): Stmt {
  const line = t.line;
  const w = t.peek() ?? '';
  if (w === 'READ_ONCE' || w === 'smp_load_acquire') {
    t.next();
    const { loc, args } = parseCall(t, test, w);
    if (args.length) throw new LitmusSyntax(line, `${w} takes one location`);
    return { k: 'load', reg, loc, order: w === 'READ_ONCE' ? 'once' : 'acquire' };
  }
  const rmw = /^(xchg|cmpxchg)(|_relaxed|_acquire|_release)$/.exec(w);
  if (rmw) {
    t.next();
    return parseRmw(t, test, reg, rmw[1], ORDERS[rmw[2]], line);
  }
  if (w === '*') throw new Unsupported('a plain C access');
  if (/^[A-Za-z_]\w*$/.test(w) && t.peek(1) === '(') throw new Unsupported(w);
  if (test.init.has(w)) throw new Unsupported('a plain C access');
  return { k: 'assign', reg, value: parseExpr(t) };
}

const BINARY: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-']];

/** The process being parsed: a name in an expression must be one of its registers, declared before. */
let scope: { test: LitmusTest; th: Thread } | null = null;

function parseExpr(t: Tokens, level = 0): Expr {
  if (level === BINARY.length) return parseUnary(t);
  let a = parseExpr(t, level + 1);
  while (BINARY[level].includes(t.peek() ?? '')) {
    const op = t.next();
    a = { k: 'bin', op, a, b: parseExpr(t, level + 1) };
  }
  return a;
}

function parseUnary(t: Tokens): Expr {
  const line = t.line;
  const w = t.next();
  if (w === '!') return { k: 'not', e: parseUnary(t) };
  if (w === '-') return { k: 'bin', op: '-', a: { k: 'num', v: 0 }, b: parseUnary(t) };
  if (w === '(') {
    const e = parseExpr(t);
    t.expect(')');
    return e;
  }
  if (/^\d+$/.test(w)) return { k: 'num', v: Number(w) };
  if (w === '*' || w === '&') throw new Unsupported('a plain C access');
  if (/^[A-Za-z_]\w*$/.test(w)) {
    if (t.peek() === '(') throw new Unsupported(w);
    if (scope && !scope.th.regs.includes(w)) {
      if (scope.test.init.has(w) || scope.test.locks.has(w)) throw new Unsupported('a plain C access');
      throw new LitmusSyntax(line, `'${w}' is not a declared register of P${scope.th.id}`);
    }
    return { k: 'reg', name: w };
  }
  throw new LitmusSyntax(line, `unexpected '${w}' in an expression`);
}

function parseFinal(t: Tokens, test: LitmusTest): void {
  while (!t.done()) {
    const line = t.line;
    const w = t.next();
    if (w === 'locations') {
      t.expect('[');
      while (!t.eat(']')) {
        if (t.eat(';')) continue;
        test.locations.push(parseLocation(t));
      }
    } else if (w === 'exists' || w === 'forall' || (w === '~' && t.peek() === 'exists')) {
      if (w === '~') t.next();
      test.quantifier = w === '~' ? '~exists' : (w as 'exists' | 'forall');
      test.cond = parseCond(t);
    } else if (w === 'filter') {
      throw new Unsupported('filter');
    } else {
      throw new LitmusSyntax(line, `unexpected '${w}' after the processes (expected exists, ~exists, forall or locations)`);
    }
  }
}

function parseLocation(t: Tokens): { thread: number | null; name: string } {
  const a = t.next();
  if (/^\d+$/.test(a) && t.eat(':')) return { thread: Number(a), name: t.next() };
  return { thread: null, name: a };
}

function parseCond(t: Tokens): Cond {
  let a = parseCondAnd(t);
  while (t.eat('\\/')) a = { k: 'or', a, b: parseCondAnd(t) };
  return a;
}

function parseCondAnd(t: Tokens): Cond {
  let a = parseCondAtom(t);
  while (t.eat('/\\')) a = { k: 'and', a, b: parseCondAtom(t) };
  return a;
}

function parseCondAtom(t: Tokens): Cond {
  const line = t.line;
  if (t.eat('(')) {
    const c = parseCond(t);
    t.expect(')');
    return c;
  }
  if (t.eat('~')) return { k: 'not', c: parseCondAtom(t) };
  if (t.eat('true')) return { k: 'true' };
  const loc = parseLocation(t);
  t.expect('=');
  const neg = t.eat('-');
  const v = t.next();
  if (!/^\d+$/.test(v)) {
    if (/^[A-Za-z_]\w*$/.test(v)) throw new Unsupported('a pointer value in the final condition');
    throw new LitmusSyntax(line, `expected a number after '=', found '${v}'`);
  }
  return { k: 'atom', thread: loc.thread, name: loc.name, value: neg ? -Number(v) : Number(v) };
}
