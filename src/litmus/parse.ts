/**
 * The kernel's C litmus format (tools/memory-model/litmus-tests/*.litmus), for the
 * statements the weak model expresses: READ_ONCE, WRITE_ONCE, smp_load_acquire,
 * smp_store_release, smp_mb/wmb/rmb, spin_lock/spin_unlock, xchg/cmpxchg and their
 * _relaxed/_acquire/_release forms, int registers, `if` on registers, and the
 * exists / ~exists / forall clause.
 *
 * A construct outside that subset is not guessed at: parsing throws `Unsupported`
 * naming it. A file that is not a whole litmus test (no initial state, no process, a
 * '{' never closed, no final condition, a register or location the condition names
 * but the test does not have) is a LitmusSyntax error with its line: a missing part is
 * never read as a default that would give a verdict.
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

/** The kernel's fences (tools/memory-model/linux-kernel.def): smp_mb() is 'mb', rcu_read_lock() 'rcu-lock', ... */
export type Fence =
  | 'mb'
  | 'wmb'
  | 'rmb'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock'
  | 'after-srcu-read-unlock';

export type Stmt =
  | { k: 'load'; reg: string; loc: string; order: 'once' | 'acquire' | 'plain' }
  | { k: 'store'; loc: string; value: Expr; order: 'once' | 'release' | 'plain' }
  | { k: 'fence'; f: Fence }
  | { k: 'lock'; loc: string }
  | { k: 'unlock'; loc: string }
  /** spin_trylock (1 when it took the lock) and spin_is_locked (1 when the lock is held). */
  | { k: 'trylock' | 'islocked'; reg: string | null; loc: string }
  /** srcu_read_lock (a read of the srcu_struct), srcu_read_unlock (a write of the lock's value), synchronize_srcu. */
  | { k: 'srcu'; op: 'lock' | 'unlock' | 'sync'; reg: string | null; loc: string; value: Expr | null }
  /**
   * atomic_t read-modify-writes: atomic_inc() and friends (ret 'none'), atomic_*_return (the new
   * value), atomic_fetch_* (the old one); `test` for atomic_*_and_test / atomic_add_negative.
   */
  | { k: 'atomic'; reg: string | null; loc: string; op: '+' | '-' | '&' | '|' | '^' | '&~'; value: Expr; ret: 'none' | 'new' | 'old'; order: Order; test: 'zero' | 'negative' | null }
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
    const re = /\s+|(\/\\|\\\/|==|!=|<=|>=|&&|\|\||<<|>>|[A-Za-z_][A-Za-z0-9_]*|\d+|[{}()[\];,=*&!~<>+\-:.|^%/?])/gy;
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

  /** The line of the file's last token (where a missing ending is reported). */
  get lastLine(): number {
    return this.toks[this.toks.length - 1]?.line ?? 0;
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
  if (t.peek() !== '{') {
    const found = t.peek() === undefined ? 'the end of the file' : `'${t.peek()}'`;
    throw new LitmusSyntax(t.line, `no initial state: expected '{ ... }' after the 'C ${m[1]}' line (write '{}' for none), found ${found}`);
  }
  parseInit(t, test);
  while (/^P\d+$/.test(t.peek() ?? '')) {
    const line = t.line;
    const th = parseThread(t, test);
    if (th.id !== test.threads.length) throw new LitmusSyntax(line, `processes must be P0, P1, ... in order; found P${th.id} as process ${test.threads.length}`);
    test.threads.push(th);
  }
  if (test.threads.length === 0) throw new LitmusSyntax(t.line, `no process: expected 'P0(...) { ... }' after the initial state, found ${t.done() ? 'the end of the file' : `'${t.peek()}'`}`);
  parseFinal(t, test);
  return test;
}

function parseInit(t: Tokens, test: LitmusTest): void {
  const open = t.line;
  t.expect('{');
  for (;;) {
    if (t.done()) throw new LitmusSyntax(open, "the initial state's '{' is never closed");
    if (t.eat('}')) break;
    if (t.eat(';')) continue;
    const line = t.line;
    let name = t.next();
    if (/^P\d+$/.test(name) && t.peek() === '(') throw new LitmusSyntax(open, `the initial state's '{' is not closed before ${name} (line ${line})`);
    // an atomic_t is an int location to the model (linux-kernel.def's atomic_read is READ_ONCE)
    if (name === 'atomic_t') name = 'int';
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

/** One parameter `type *name`: its type words (`struct foo`, `int`), its stars and its name. */
function parseParam(t: Tokens, thread: number): { type: string; stars: number; name: string } {
  const words: string[] = [];
  let stars = 0;
  while (t.peek() !== ',' && t.peek() !== ')' && !t.done()) {
    // a parameter is words and stars: anything else means the list was never closed
    if (!/^(\*|[A-Za-z_]\w*)$/.test(t.peek() ?? '')) throw new LitmusSyntax(t.line, `P${thread}'s parameter list is not closed: '${t.peek()}' where ',' or ')' should be`);
    const w = t.next();
    if (w === '*') stars++;
    else words.push(w);
  }
  const name = words.pop() ?? '';
  // a volatile location is a location to herd7 (its C front end ignores the qualifier)
  return { type: words.filter((w) => w !== 'volatile').join(' '), stars, name };
}

function parseThread(t: Tokens, test: LitmusTest): Thread {
  const id = Number(t.next().slice(1));
  t.expect('(');
  while (!t.eat(')')) {
    if (t.eat(',')) continue;
    const line = t.line;
    const { type, stars, name } = parseParam(t, id);
    if (!/^[A-Za-z_]\w*$/.test(name) || type === '') throw new LitmusSyntax(line, `P${id}'s parameter '${[type, '*'.repeat(stars), name].filter(Boolean).join(' ')}' is not 'type *name'`);
    if (type === 'spinlock_t' && stars === 1) test.locks.add(name);
    else if (type === 'int' && stars === 1) {
      if (!test.init.has(name)) test.init.set(name, 0);
    } else if ((type === 'atomic_t' || type === 'struct srcu_struct') && stars === 1) {
      // an atomic_t and an srcu_struct are locations the kernel's primitives access (linux-kernel.def)
      if (!test.init.has(name)) test.init.set(name, 0);
    }
    else throw new Unsupported(`a parameter of type '${type}${stars ? ` ${'*'.repeat(stars)}` : ''}' (${name}; only 'int *' and 'spinlock_t *')`);
  }
  const th: Thread = { id, body: [], regs: [] };
  const open = t.line;
  scope = { test, th, open };
  t.expect('{');
  for (;;) {
    if (t.done()) throw new LitmusSyntax(open, `P${id}'s '{' is never closed`);
    if (t.eat('}')) break;
    th.body.push(...parseStmt(t, test, th));
  }
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
    for (;;) {
      if (t.done()) throw new LitmusSyntax(line, `the '{' in P${th.id} is never closed`);
      if (t.eat('}')) break;
      out.push(...parseStmt(t, test, th));
    }
    return out;
  }
  if (w === ';') return [];
  // what comes after a process, met inside one: a '}' is missing, not an unsupported call
  if ((/^P\d+$/.test(w) && t.peek() === '(') || w === 'exists' || w === 'forall' || w === 'locations' || (w === '~' && t.peek() === 'exists')) {
    const what = /^P\d+$/.test(w) ? w : 'the final condition';
    throw new LitmusSyntax(scope?.open ?? line, `P${th.id}'s '{' is not closed before ${what} (line ${line})`);
  }
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
  if (w === '*') {
    // a plain C store, `*x = value;`
    const loc = parseLoc(t, test, false);
    t.expect('=');
    const value = parseExpr(t);
    t.expect(';');
    return [{ k: 'store', loc, value, order: 'plain' }];
  }
  const kernel = parseKernelCall(t, test, null, w, line);
  if (kernel) {
    t.expect(';');
    return kernel;
  }
  if (w === 'WRITE_ONCE' || w === 'smp_store_release') {
    const { loc, args } = parseCall(t, test, w);
    if (args.length !== 1) throw new LitmusSyntax(line, `${w} takes a location and a value`);
    t.expect(';');
    return [{ k: 'store', loc, value: args[0], order: w === 'WRITE_ONCE' ? 'once' : 'release' }];
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
  if ((w === 'READ_ONCE' || w === 'smp_load_acquire') && t.peek() === '(') throw new Unsupported(`${w}() whose value no register takes (only 'r = ${w}(...);')`);
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
    if (t.peek() !== ';') throw new Unsupported(inExpression(w));
    return { k: 'load', reg, loc, order: w === 'READ_ONCE' ? 'once' : 'acquire' };
  }
  const rmw = /^(xchg|cmpxchg)(|_relaxed|_acquire|_release)$/.exec(w);
  if (rmw) {
    t.next();
    const s = parseRmw(t, test, reg, rmw[1], ORDERS[rmw[2]], line);
    if (t.peek() !== ';') throw new Unsupported(inExpression(w));
    return s;
  }
  if (w === '*') {
    // a plain C load, `r = *x;`
    t.next();
    const loc = parseLoc(t, test, false);
    if (t.peek() !== ';') throw new Unsupported('a plain C access inside an expression');
    return { k: 'load', reg, loc, order: 'plain' };
  }
  if (/^[A-Za-z_]\w*$/.test(w) && t.peek(1) === '(') {
    t.next();
    const kernel = parseKernelCall(t, test, reg, w, line);
    if (!kernel || kernel.length !== 1) throw new Unsupported(w);
    if (t.peek() !== ';') throw new Unsupported(inExpression(w));
    return kernel[0];
  }
  if (test.init.has(w)) throw new Unsupported('a plain C access');
  return { k: 'assign', reg, value: parseExpr(t) };
}

/** linux-kernel.def's fences by the name a test calls them. */
const FENCES: Record<string, Fence> = {
  smp_mb: 'mb',
  smp_wmb: 'wmb',
  smp_rmb: 'rmb',
  barrier: 'barrier',
  smp_mb__before_atomic: 'before-atomic',
  smp_mb__after_atomic: 'after-atomic',
  smp_mb__after_spinlock: 'after-spinlock',
  smp_mb__after_unlock_lock: 'after-unlock-lock',
  smp_mb__after_srcu_read_unlock: 'after-srcu-read-unlock',
  rcu_read_lock: 'rcu-lock',
  rcu_read_unlock: 'rcu-unlock',
  synchronize_rcu: 'sync-rcu',
  synchronize_rcu_expedited: 'sync-rcu',
};

const ATOMIC_OPS: Record<string, '+' | '-' | '&' | '|' | '^' | '&~'> = { add: '+', sub: '-', inc: '+', dec: '-', and: '&', or: '|', xor: '^', andnot: '&~' };

/**
 * The kernel's primitives beyond READ_ONCE/WRITE_ONCE/acquire/release/xchg/cmpxchg/locks, as
 * linux-kernel.def defines them: fences, RCU, SRCU, spin_trylock / spin_is_locked, atomic_t,
 * rcu_dereference / rcu_assign_pointer / smp_store_mb. `fn` is already read; null when it
 * is none of them. `reg` takes the value of those that return one.
 */
function parseKernelCall(t: Tokens, test: LitmusTest, reg: string | null, fn: string, line: number): Stmt[] | null {
  const args = (n: number, derefFirst: boolean, locAt = 0): { loc: string; rest: Expr[] } => {
    t.expect('(');
    let loc = '';
    const rest: Expr[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) t.expect(',');
      if (i === locAt) loc = parseLoc(t, test, derefFirst);
      else rest.push(parseExpr(t));
    }
    t.expect(')');
    return { loc, rest };
  };
  if (Object.hasOwn(FENCES, fn)) {
    t.expect('(');
    t.expect(')');
    return [{ k: 'fence', f: FENCES[fn] }];
  }
  if (fn === 'rcu_dereference') return [{ k: 'load', reg: reg ?? '', loc: args(1, true).loc, order: 'once' }];
  if (fn === 'rcu_assign_pointer' || fn === 'smp_store_mb') {
    const { loc, rest } = args(2, true);
    if (fn === 'rcu_assign_pointer') return [{ k: 'store', loc, value: rest[0], order: 'release' }];
    return [{ k: 'store', loc, value: rest[0], order: 'once' }, { k: 'fence', f: 'mb' }];
  }
  if (fn === 'spin_trylock' || fn === 'spin_is_locked') {
    const { loc } = args(1, false);
    if (!test.locks.has(loc)) throw new LitmusSyntax(line, `${fn} of '${loc}', which is not a spinlock_t`);
    return [{ k: fn === 'spin_trylock' ? 'trylock' : 'islocked', reg, loc }];
  }
  if (fn === 'srcu_read_lock' || fn === 'srcu_down_read') return [{ k: 'srcu', op: 'lock', reg, loc: args(1, false).loc, value: null }];
  if (fn === 'srcu_read_unlock' || fn === 'srcu_up_read') {
    const { loc, rest } = args(2, false);
    return [{ k: 'srcu', op: 'unlock', reg: null, loc, value: rest[0] }];
  }
  if (fn === 'synchronize_srcu' || fn === 'synchronize_srcu_expedited') return [{ k: 'srcu', op: 'sync', reg: null, loc: args(1, false).loc, value: null }];
  if (fn === 'atomic_read' || fn === 'atomic_read_acquire') return [{ k: 'load', reg: reg ?? '', loc: args(1, false).loc, order: fn === 'atomic_read' ? 'once' : 'acquire' }];
  if (fn === 'atomic_set' || fn === 'atomic_set_release') {
    const { loc, rest } = args(2, false);
    return [{ k: 'store', loc, value: rest[0], order: fn === 'atomic_set' ? 'once' : 'release' }];
  }
  const xchg = /^atomic_(xchg|cmpxchg)(|_relaxed|_acquire|_release)$/.exec(fn);
  if (xchg) {
    const { loc, rest } = args(xchg[1] === 'xchg' ? 2 : 3, false);
    const order = ORDERS[xchg[2]];
    if (xchg[1] === 'xchg') return [{ k: 'xchg', reg, loc, value: rest[0], order }];
    return [{ k: 'cmpxchg', reg, loc, old: rest[0], value: rest[1], order }];
  }
  // atomic_add(V, X), atomic_inc(X), atomic_add_return(V, X), atomic_fetch_add(V, X), atomic_dec_and_test(X), ...
  const op = /^atomic_(fetch_)?(add|sub|inc|dec|and|or|xor|andnot)(_return)?(_and_test|_negative)?(|_relaxed|_acquire|_release)$/.exec(fn === 'atomic_add_negative' ? 'atomic_add_negative' : fn);
  const neg = /^atomic_add_negative(|_relaxed|_acquire|_release)$/.exec(fn);
  if (op || neg) {
    const name = neg ? 'add' : (op as RegExpExecArray)[2];
    const unary = name === 'inc' || name === 'dec';
    const { loc, rest } = args(unary ? 1 : 2, false, unary ? 0 : 1);
    const value: Expr = unary ? { k: 'num', v: 1 } : rest[0];
    const fetch = !neg && (op as RegExpExecArray)[1] !== undefined;
    const test_ = neg ? 'negative' : (op as RegExpExecArray)[4] === '_and_test' ? 'zero' : null;
    const returns = fetch || test_ !== null || (op as RegExpExecArray)[3] !== undefined;
    const order = ORDERS[neg ? neg[1] : (op as RegExpExecArray)[5]];
    if (test_ === 'zero' && !/^(sub|dec|inc)$/.test(name)) return null;
    return [{ k: 'atomic', reg: returns ? reg : null, loc, op: ATOMIC_OPS[name], value, ret: fetch ? 'old' : returns ? 'new' : 'none', order, test: test_ }];
  }
  return null;
}

const BINARY: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-']];

/** C operators the model does not evaluate: named as unsupported, not read as a syntax error. */
const UNSUPPORTED_OPERATORS = new Set(['&', '|', '^', '*', '/', '%', '<<', '>>', '?', '~']);

/** The primitives the model reads only as a statement of their own (`r = READ_ONCE(*x);`). */
const STATEMENT_PRIMITIVE = /^(READ_ONCE|WRITE_ONCE|smp_load_acquire|smp_store_release|smp_[rw]?mb|spin_(un)?lock|(cmp)?xchg(_relaxed|_acquire|_release)?)$/;

/** `READ_ONCE(*x) + 1`, `if (READ_ONCE(*x))`, `WRITE_ONCE(*y, READ_ONCE(*x))`: what to call it. */
function inExpression(fn: string): string {
  return `${fn}() inside an expression (the model reads it only as a statement of its own, such as 'r = ${fn}(...);')`;
}

/** The process being parsed: a name in an expression must be one of its registers, declared before. */
let scope: { test: LitmusTest; th: Thread; open: number } | null = null;

function parseExpr(t: Tokens, level = 0): Expr {
  if (level === BINARY.length) return parseUnary(t);
  let a = parseExpr(t, level + 1);
  while (BINARY[level].includes(t.peek() ?? '')) {
    const op = t.next();
    a = { k: 'bin', op, a, b: parseExpr(t, level + 1) };
  }
  if (level === 0 && UNSUPPORTED_OPERATORS.has(t.peek() ?? '')) throw new Unsupported(`the operator '${t.peek()}'`);
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
  if (w === '~') throw new Unsupported("the operator '~'");
  if (/^[A-Za-z_]\w*$/.test(w)) {
    if (t.peek() === '(') throw new Unsupported(STATEMENT_PRIMITIVE.test(w) ? inExpression(w) : w);
    if (scope && !scope.th.regs.includes(w)) {
      if (scope.test.init.has(w) || scope.test.locks.has(w)) throw new Unsupported('a plain C access');
      throw new LitmusSyntax(line, `'${w}' is not a declared register of P${scope.th.id}`);
    }
    return { k: 'reg', name: w };
  }
  throw new LitmusSyntax(line, `unexpected '${w}' in an expression`);
}

function parseFinal(t: Tokens, test: LitmusTest): void {
  let condLine = 0;
  while (!t.done()) {
    const line = t.line;
    const w = t.next();
    if (w === 'locations') {
      t.expect('[');
      while (!t.eat(']')) {
        if (t.done()) throw new LitmusSyntax(line, "the 'locations [' is never closed");
        if (t.eat(';')) continue;
        test.locations.push(parseLocation(t, test));
      }
    } else if (w === 'exists' || w === 'forall' || (w === '~' && t.peek() === 'exists')) {
      if (condLine) throw new LitmusSyntax(line, `a second final condition (the first is at line ${condLine}); a test has one`);
      condLine = line;
      if (w === '~') t.next();
      test.quantifier = w === '~' ? '~exists' : (w as 'exists' | 'forall');
      if (t.done()) throw new LitmusSyntax(line, `'${test.quantifier}' needs a condition, such as '(1:r0=1 /\\ x=0)'`);
      test.cond = parseCond(t, test);
    } else if (w === 'filter') {
      throw new Unsupported('filter');
    } else if (w === '}') {
      throw new LitmusSyntax(line, "a '}' that closes nothing (one too many after the processes)");
    } else {
      throw new LitmusSyntax(line, `unexpected '${w}' after the processes (expected exists, ~exists, forall or locations)`);
    }
  }
  // without one, every outcome would "satisfy" an empty condition: never a verdict to give
  if (!condLine) throw new LitmusSyntax(t.lastLine, "no final condition: a test ends with 'exists (...)', '~exists (...)' or 'forall (...)'");
}

/** `x` or `1:r0`, which must be a location of the test or a register the process declares. */
function parseLocation(t: Tokens, test: LitmusTest): { thread: number | null; name: string } {
  const line = t.line;
  const a = t.next();
  if (/^\d+$/.test(a) && t.eat(':')) {
    const thread = Number(a);
    const name = t.next();
    const th = test.threads[thread];
    if (!th) throw new LitmusSyntax(line, `'${thread}:${name}' names P${thread}, but the test's processes are P0..P${test.threads.length - 1}`);
    if (!th.regs.includes(name)) {
      const regs = th.regs.length ? `its registers: ${th.regs.join(', ')}` : 'it declares none';
      throw new LitmusSyntax(line, `'${thread}:${name}' is not a register of P${thread} (${regs})`);
    }
    return { thread, name };
  }
  if (!/^[A-Za-z_]\w*$/.test(a)) throw new LitmusSyntax(line, `expected a location or 'N:register', found '${a}'`);
  if (!test.init.has(a) && !test.locks.has(a)) throw new LitmusSyntax(line, `'${a}' is not a shared location of this test`);
  return { thread: null, name: a };
}

function parseCond(t: Tokens, test: LitmusTest): Cond {
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
  if (t.eat('~')) return { k: 'not', c: parseCondAtom(t, test) };
  if (t.eat('true')) return { k: 'true' };
  const loc = parseLocation(t, test);
  t.expect('=');
  const neg = t.eat('-');
  const v = t.next();
  if (!/^\d+$/.test(v)) {
    if (/^[A-Za-z_]\w*$/.test(v)) throw new Unsupported('a pointer value in the final condition');
    throw new LitmusSyntax(line, `expected a number after '=', found '${v}'`);
  }
  return { k: 'atom', thread: loc.thread, name: loc.name, value: neg ? -Number(v) : Number(v) };
}
