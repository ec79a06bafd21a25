/**
 * The C litmus format as herd7 reads it under the kernel's model: the first line
 * `C <name>` (with diy's quoted description after it or on the next line), the diy
 * header's `key=value` lines and any other text before the initial state (herd7's
 * splitter skips it), the initial state `{ ... }`, the processes `P0(...) { ... }`
 * (./body.ts), and `locations`, `filter` and the final condition (./final.ts).
 * Comments of every kind herd7 reads are blanked first (./lex.ts).
 *
 * The parser takes every construct of the format into the AST (./ast.ts), whether or
 * not an engine can run it; what an engine cannot run it names itself (./support.ts
 * for the operational one). A file that is not a whole litmus test (no initial state,
 * no process, a '{' never closed, no final condition, a register or location the
 * condition names but the test does not have, a primitive linux-kernel.def does not
 * define) is a LitmusSyntax error with its line: a missing part is never read as a
 * default that would give a verdict. A test for another architecture (`PPC`, `X86`,
 * `AArch64`, `LISA` first lines: OTHER_ARCHS) is `OtherArch`: herd7's C front end does
 * not read it. Any other first word is a LitmusSyntax error.
 */
import type { LitmusTest, Thread } from './ast.js';
import { parseStmt, parseType, type Scope } from './body.js';
import { parseFinal } from './final.js';
import { IDENT, LitmusSyntax, NUMBER, stripComments, Tokens } from './lex.js';

export type { Cond, Expr, Fence, LitmusTest, Order, Param, Stmt, Thread } from './ast.js';
export { LitmusSyntax } from './lex.js';

/** A construct an engine does not run (never guessed at), and the line it is on. */
export class Unsupported extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A litmus test for an architecture herd7's C front end does not read (PPC, X86, AArch64, LISA, ...). */
export class OtherArch extends Unsupported {
  constructor(
    readonly arch: string,
    line: number,
  ) {
    super(`a ${arch} litmus test: only C tests are read (herd7 reads this one with its ${arch} front end, not under the kernel's C model)`, line);
  }
}

/**
 * The first words herd7 takes as a test's architecture, C aside (herdtools7's
 * architecture tags: herd/archs.ml, and the later X86_64, RISCV, CPP, JAVA, BPF, ASL front
 * ends). Any other first word is no litmus test at all (a typo'd `C` line, a file that is
 * not a test): an error, never a file skipped as another architecture's with exit 0.
 */
const OTHER_ARCHS = new Set(['X86', 'X86_64', 'PPC', 'ARM', 'AArch64', 'MIPS', 'RISCV', 'LISA', 'Bell', 'BELL', 'GPU_PTX', 'OpenCL', 'CPP', 'JAVA', 'BPF', 'ASL']);

const FIRST_LINE = /^\s*([A-Za-z0-9_]+)\s+([^\s"(]+)\s*(?:\([^)]*\)\s*)?(?:"([^"]*)")?/;
const HEADER_KEY = /^\s*([A-Za-z][\w/.-]*)\s*=\s*(.*?)\s*$/;
const HEADER_STOP = /^\s*(?:void\s+)?(P\d+)\s*\(|^\s*(~\s*exists|exists|forall|filter|locations)\b/;

export function parseLitmus(text: string): LitmusTest {
  const { code, comments } = stripComments(text);
  const result = /Result:\s*(Never|Sometimes|Always)/.exec(comments.join('\n'));
  const lines = code.split('\n');
  const head = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (head < 0) throw new LitmusSyntax(1, "the file is empty: a C litmus test starts with 'C <name>'");
  const m = FIRST_LINE.exec(lines[head]);
  if (!m) throw new LitmusSyntax(head + 1, "a C litmus test starts with 'C <name>'");
  if (m[1] !== 'C') {
    if (OTHER_ARCHS.has(m[1])) throw new OtherArch(m[1], head + 1);
    throw new LitmusSyntax(head + 1, `a C litmus test starts with 'C <name>', and '${m[1]}' is no architecture herd7 knows`);
  }
  const test: LitmusTest = {
    name: m[2],
    arch: 'C',
    doc: m[3] ?? null,
    info: [],
    expected: (result?.[1] as LitmusTest['expected']) ?? null,
    init: new Map(),
    types: new Map(),
    locks: new Set(),
    srcus: new Set(),
    pointers: new Map(),
    initRegs: [],
    threads: [],
    quantifier: 'exists',
    cond: { k: 'true' },
    condLine: 0,
    filter: null,
    locations: [],
  };
  // the header: a description on the next line, key=value lines, and free text herd7 skips, up to the first '{'
  let i = head + 1;
  if (test.doc === null) {
    const d = /^\s*"([^"]*)"/.exec(lines[i] ?? '');
    if (d) {
      test.doc = d[1];
      i++;
    }
  }
  let brace = -1;
  for (; i < lines.length; i++) {
    brace = lines[i].indexOf('{');
    const before = brace < 0 ? lines[i] : lines[i].slice(0, brace);
    const stop = HEADER_STOP.exec(before);
    if (stop) throw new LitmusSyntax(i + 1, `no initial state: expected '{ ... }' after the 'C ${test.name}' line (write '{}' for none), found '${stop[1] ?? stop[2]}'`);
    const kv = HEADER_KEY.exec(before);
    if (kv && brace < 0) test.info.push([kv[1], kv[2]]);
    if (brace >= 0) break;
  }
  if (brace < 0) throw new LitmusSyntax(lines.length, `no initial state: expected '{ ... }' after the 'C ${test.name}' line (write '{}' for none), found the end of the file`);
  const t = new Tokens([lines[i].slice(brace), ...lines.slice(i + 1)].join('\n'), i + 1);
  parseInit(t, test);
  while (/^P\d+$/.test(t.peek() ?? '') || (t.peek() === 'void' && /^P\d+$/.test(t.peek(1) ?? ''))) {
    t.eat('void');
    const line = t.line;
    const th = parseThread(t, test);
    if (th.id !== test.threads.length) throw new LitmusSyntax(line, `processes must be P0, P1, ... in order; found P${th.id} as process ${test.threads.length}`);
    test.threads.push(th);
  }
  if (test.threads.length === 0) throw new LitmusSyntax(t.line, `no process: expected 'P0(...) { ... }' after the initial state, found ${t.done() ? 'the end of the file' : `'${t.peek()}'`}`);
  for (const r of test.initRegs) {
    const th = test.threads[r.thread];
    if (!th) throw new LitmusSyntax(r.line, `'${r.thread}:${r.reg}' names P${r.thread}, but the test's processes are P0..P${test.threads.length - 1}`);
    if (!th.regs.includes(r.reg)) th.regs.push(r.reg);
  }
  parseFinal(t, test);
  return test;
}

/** The initial state: `x=1;`, `int x = 1;`, `int *p = &x;`, `y=x;`, `0:r1=x;`, `spinlock_t l;`, `atomic_t a = ATOMIC_INIT(1);`. */
function parseInit(t: Tokens, test: LitmusTest): void {
  const open = t.line;
  t.expect('{');
  for (;;) {
    if (t.done()) throw new LitmusSyntax(open, "the initial state's '{' is never closed");
    if (t.eat('}')) break;
    if (t.eat(';')) continue;
    const line = t.line;
    if (/^P\d+$/.test(t.peek() ?? '') && t.peek(1) === '(') throw new LitmusSyntax(open, `the initial state's '{' is not closed before ${t.peek()} (line ${line})`);
    const { type, stars } = parseType(t, 'the initial state');
    const typed = type ? `${type}${stars ? ` ${'*'.repeat(stars)}` : ''}` : '';
    const name = t.next();
    // a register: `0:r1=x`, `P0:r1=x`
    const reg = /^P?(\d+)$/.exec(name) && t.peek() === ':' ? Number(/\d+/.exec(name)?.[0]) : null;
    if (reg !== null) {
      t.next();
      const r = t.next();
      if (!IDENT.test(r)) throw new LitmusSyntax(line, `expected a register after '${name}:', found '${r}'`);
      const value = t.eat('=') ? initValue(t, test, line) : { k: 'num' as const, v: 0 };
      test.initRegs.push({ thread: reg, reg: r, value: typeof value === 'number' ? { k: 'num', v: value } : value, line });
      continue;
    }
    if (!IDENT.test(name)) throw new LitmusSyntax(line, `unexpected '${name}' in the initial state`);
    if (t.eat('[')) throw new LitmusSyntax(line, `'${name}[...]': arrays in the initial state are not read`);
    if (type === 'spinlock_t') {
      test.locks.add(name);
      if (t.eat('=')) initValue(t, test, line);
      continue;
    }
    if (type === 'struct srcu_struct') test.srcus.add(name);
    if (typed) test.types.set(name, typed);
    const value = t.eat('=') ? initValue(t, test, line) : 0;
    if (typeof value === 'number') {
      test.init.set(name, value);
      test.pointers.delete(name);
    } else {
      test.init.set(name, 0);
      test.pointers.set(name, { to: value.name, line });
    }
  }
}

/** A value in the initial state: a number, `ATOMIC_INIT(n)`, `NULL`, or a location (`x`, `&x`) meaning its address. */
function initValue(t: Tokens, test: LitmusTest, line: number): number | { k: 'loc'; name: string } {
  const neg = t.eat('-');
  const amp = !neg && t.eat('&');
  const v = t.done() ? 'the end of the file' : t.next();
  if (NUMBER.test(v) && !amp) return neg ? -Number(v) : Number(v);
  if (v === 'ATOMIC_INIT' && !neg && !amp) {
    t.expect('(');
    const n = initValue(t, test, line);
    t.expect(')');
    return n;
  }
  if (v === 'NULL' && !neg && !amp) return 0;
  if (IDENT.test(v) && !neg) {
    if (!test.init.has(v) && !test.locks.has(v)) test.init.set(v, 0);
    return { k: 'loc', name: v };
  }
  throw new LitmusSyntax(line, `expected a value in the initial state (a number or a location), found '${v}'`);
}

/** One parameter `type *name`. */
function parseParam(t: Tokens, thread: number): { type: string; stars: number; name: string; line: number } {
  const line = t.line;
  const w = t.peek() ?? '';
  // a parameter is type words and stars and a name: anything else means the list was never closed
  if (!/^(\*|[A-Za-z_]\w*)$/.test(w)) throw new LitmusSyntax(line, `P${thread}'s parameter list is not closed: '${w}' where ',' or ')' should be`);
  const { type, stars } = parseType(t, `P${thread}'s parameters`);
  const name = t.peek() ?? '';
  if (!IDENT.test(name)) throw new LitmusSyntax(t.line, `P${thread}'s parameter list is not closed: '${name}' where ',' or ')' should be`);
  t.next();
  if (t.peek() !== ',' && t.peek() !== ')') {
    const after = t.peek() ?? 'the end of the file';
    if (IDENT.test(after) && type === '') throw new LitmusSyntax(line, `P${thread}'s parameter '${name} ${after}': '${name}' is not a type herd7's C knows (int, long, char, intptr_t, atomic_t, spinlock_t, struct srcu_struct, ...)`);
    throw new LitmusSyntax(t.line, `P${thread}'s parameter list is not closed: '${after}' where ',' or ')' should be`);
  }
  if (type === '') throw new LitmusSyntax(line, `P${thread}'s parameter '${name}' has no type (write 'int *${name}')`);
  if (stars === 0) throw new LitmusSyntax(line, `P${thread}'s parameter '${type} ${name}' is not a pointer: herd7's processes take the address of each location ('${type} *${name}')`);
  return { type, stars, name, line };
}

function parseThread(t: Tokens, test: LitmusTest): Thread {
  const id = Number(t.next().slice(1));
  t.expect('(');
  const th: Thread = { id, body: [], regs: [], temps: [], params: [] };
  while (!t.eat(')')) {
    if (t.eat(',')) continue;
    if (t.done()) throw new LitmusSyntax(t.line, `P${id}'s parameter list is never closed`);
    const { type, stars, name } = parseParam(t, id);
    // the location's own type: the parameter is a pointer to it
    const own = `${type}${stars > 1 ? ` ${'*'.repeat(stars - 1)}` : ''}`;
    th.params.push({ name, type: own });
    if (type === 'spinlock_t' && stars === 1) test.locks.add(name);
    else {
      if (type === 'struct srcu_struct') test.srcus.add(name);
      if (!test.init.has(name)) test.init.set(name, 0);
      if (!test.types.has(name)) test.types.set(name, own);
    }
  }
  const open = t.line;
  const scope: Scope = { test, th, open, pre: [], conditional: null };
  t.expect('{');
  for (;;) {
    if (t.done()) throw new LitmusSyntax(open, `P${id}'s '{' is never closed`);
    if (t.eat('}')) break;
    th.body.push(...parseStmt(t, scope));
  }
  return th;
}
