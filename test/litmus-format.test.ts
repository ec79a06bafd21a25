/**
 * The whole C litmus format (issue 20): every file kept under test/litmus/ (the kernel's
 * tests, a sample of paulmckrcu/litmus, the project's own) parses; a bad file is named
 * with its file:line and the folder run goes on; and each piece of the format the parser
 * once refused (diy headers, C comments, undeclared registers, `^` and `|`, casts,
 * filter, locations, pointers in the initial state and the condition) is read into the
 * AST. Parsing only, and one small CLI run: no clock, no worker threads.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { litmusFilesUnder } from '../src/cli/litmus.js';
import { LitmusSyntax, OtherArch, parseLitmus, type Stmt } from '../src/litmus/parse.js';
import { cli, ROOT } from './cli-helpers.js';

const CORPUS = join(ROOT, 'test', 'litmus');
const dir = mkdtempSync(join(tmpdir(), 'litmus-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parseError(text: string): LitmusSyntax {
  try {
    parseLitmus(text);
  } catch (e) {
    if (e instanceof LitmusSyntax) return e;
    throw e;
  }
  throw new Error('parsed');
}

/** The statements of a body, `if`s opened. */
function flat(body: Stmt[]): Stmt[] {
  return body.flatMap((s) => (s.k === 'if' ? [s, ...flat(s.then), ...flat(s.else)] : [s]));
}

describe('the litmus format', () => {
  it('parses every file under test/litmus/ (the kernel, paulmckrcu/litmus, the project)', () => {
    const files = litmusFilesUnder(CORPUS);
    const failures: string[] = [];
    for (const f of files) {
      try {
        parseLitmus(readFileSync(f, 'utf8'));
      } catch (e) {
        failures.push(`${relative(CORPUS, f)}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    // the corpora are all there: the kernel's 47, the sample's 284 (with the 118 disagreeing shapes), the project's 21
    const under = (sub: string) => files.filter((f) => relative(CORPUS, f).startsWith(sub)).length;
    expect([under('kernel'), under('paulmckrcu'), under('project')]).toEqual([47, 284, 21]);
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'paulmckrcu', 'manifest.json'), 'utf8')) as { chosenFor: string }[];
    expect(manifest.filter((m) => m.chosenFor.startsWith('disagreeing shape')).length).toBe(118);
  });

  it('reads a diy header: the quoted description, key=value lines, (* *) comments before the initial state', () => {
    const t = parseLitmus(`C C-WWC+poonceonce+Release
"RfeOnceOnce PodRWOnceOnce WseOnceRelease"
Cycle=RfeOnceOnce PodRWOnceOnce WseOnceRelease
Relax=WseOnceRelease
Prefetch=0:x=F,1:x=T
Com=Rf Ws
Orig=RfeOnceOnce PodRWOnceOnce
(* Result: Sometimes *)
{
}

P0(int *x)
{
	WRITE_ONCE(*x, 2);
}

P1(int *x, int *y)
{
	r0 = READ_ONCE(*x);
	WRITE_ONCE(*y, 1);
}

exists
(x=2 /\\ 1:r0=2)
`);
    expect(t.doc).toBe('RfeOnceOnce PodRWOnceOnce WseOnceRelease');
    expect(t.info.map(([k]) => k)).toEqual(['Cycle', 'Relax', 'Prefetch', 'Com', 'Orig']);
    expect(t.info[2]).toEqual(['Prefetch', '0:x=F,1:x=T']);
    expect(t.expected).toBe('Sometimes');
    // r0 was never declared: herd7 declares a register by its first use
    expect(t.threads[1].regs).toEqual(['r0']);
    expect(t.threads[1].body[0]).toMatchObject({ k: 'load', reg: 'r0', loc: 'x', order: 'once', line: 19 });
  });

  it("reads C comments, herd's bitwise operators, casts and an undeclared register's later uses", () => {
    const t = parseLitmus(`C ops
/* a C comment before the initial state */
{ x=1; }

P0(intptr_t *x, intptr_t *y) // the writer
{
	/* the value
	   is computed */
	intptr_t r1 = (intptr_t)READ_ONCE(*x);
	r2 = r1 ^ 3 | 4 & r1;
	WRITE_ONCE(*(intptr_t *)y, r2);
}

exists (0:r2=6 /\\ y=6)
`);
    const [load, assign, store] = t.threads[0].body;
    expect(load).toMatchObject({ k: 'load', reg: 'r1', loc: 'x', line: 9 });
    // C precedence: & binds tighter than ^, which binds tighter than |
    expect(assign).toMatchObject({ k: 'assign', reg: 'r2', value: { k: 'bin', op: '|', a: { k: 'bin', op: '^' }, b: { k: 'bin', op: '&' } } });
    expect(store).toMatchObject({ k: 'store', loc: 'y', value: { k: 'reg', name: 'r2' } });
    expect(t.threads[0].regs).toEqual(['r1', 'r2']);
  });

  it('reads filter, locations, pointers in the initial state and in the condition, and register equality', () => {
    const t = parseLitmus(`C ptrs
{
	int *p = &x;
	y=z;
	0:r3=x;
}

P0(int *x, int **p, int *u)
{
	int *r0;
	r0 = rcu_dereference(*p);
	r1 = READ_ONCE(*r0);
	r2 = READ_ONCE(*u) + READ_ONCE(*u);
}

locations [x; 0:r0]
filter (0:r1=0)
exists (0:r0=x /\\ ~0:r1=1 \\/ 0:r1=0:r2 -> p=x)
`);
    expect(t.pointers).toEqual(new Map([['p', { to: 'x', line: 3 }], ['y', { to: 'z', line: 4 }]]));
    expect(t.initRegs).toEqual([{ thread: 0, reg: 'r3', value: { k: 'loc', name: 'x' }, line: 5 }]);
    expect(t.locations).toEqual([{ thread: null, name: 'x' }, { thread: 0, name: 'r0' }]);
    expect(t.filter).toEqual({ cond: { k: 'atom', thread: 0, name: 'r1', value: 0 }, line: 17 });
    // a -> b is ~a \/ b; /\ binds tighter than \/
    expect(t.cond).toEqual({
      k: 'or',
      a: { k: 'not', c: { k: 'or', a: { k: 'and', a: { k: 'ptr', thread: 0, name: 'r0', loc: 'x' }, b: { k: 'not', c: { k: 'atom', thread: 0, name: 'r1', value: 1 } } }, b: { k: 'same', a: { thread: 0, name: 'r1' }, b: { thread: 0, name: 'r2' } } } },
      b: { k: 'ptr', thread: null, name: 'p', loc: 'x' },
    });
    const body = t.threads[0].body;
    // an address dependency: the second load's address is the register the first one set
    expect(body[1]).toMatchObject({ k: 'load', reg: 'r1', loc: '', addr: { k: 'reg', name: 'r0' } });
    // two loads nested in an expression become loads into temporaries, in order, then the sum
    expect(body.slice(2)).toMatchObject([
      { k: 'load', reg: '#1', loc: 'u' },
      { k: 'load', reg: '#2', loc: 'u' },
      { k: 'assign', reg: 'r2', value: { k: 'bin', op: '+', a: { k: 'reg', name: '#1' }, b: { k: 'reg', name: '#2' } } },
    ]);
  });

  it("reads every primitive of linux-kernel.def into the AST: RCU, SRCU, locks, atomics, the smp_mb__* fences", () => {
    const t = parseLitmus(`C prims
{ atomic_t a = ATOMIC_INIT(1); }
P0(int *x, atomic_t *a, spinlock_t *l, struct srcu_struct *s)
{
	rcu_read_lock();
	r0 = srcu_read_lock(s);
	srcu_read_unlock(s, r0);
	synchronize_srcu(s);
	if (spin_trylock(l)) {
		r1 = spin_is_locked(l);
		spin_unlock(l);
	} else
		smp_mb__after_unlock_lock();
	r2 = atomic_fetch_add_release(2, a);
	atomic_inc(a);
	smp_mb__before_atomic();
	r3 = atomic_dec_and_test(a);
	r4 = atomic_cmpxchg_acquire(a, 1, 2);
	r5 = xchg_relaxed(x, 3);
	barrier();
	rcu_read_unlock();
	synchronize_rcu();
}
exists (a=1)
`);
    expect(t.types.get('a')).toBe('atomic_t');
    expect(t.srcus).toEqual(new Set(['s']));
    expect(t.init.get('a')).toBe(1);
    const kinds = flat(t.threads[0].body).map((s) => (s.k === 'fence' ? `fence ${s.f}` : 'fn' in s && s.fn ? `${s.k} ${s.fn}` : s.k));
    expect(kinds).toEqual([
      'fence rcu-lock',
      'srcu srcu_read_lock',
      'srcu srcu_read_unlock',
      'srcu synchronize_srcu',
      'trylock spin_trylock',
      'if',
      'islocked spin_is_locked',
      'unlock spin_unlock',
      'fence after-unlock-lock',
      'atomic atomic_fetch_add_release',
      'atomic atomic_inc',
      'fence before-atomic',
      'atomic atomic_dec_and_test',
      'assign',
      'cmpxchg atomic_cmpxchg_acquire',
      'xchg xchg_relaxed',
      'fence barrier',
      'fence rcu-unlock',
      'fence sync-rcu',
    ]);
    const body = flat(t.threads[0].body);
    expect(body[9]).toMatchObject({ k: 'atomic', reg: 'r2', loc: 'a', op: '+', value: { k: 'num', v: 2 }, order: 'release', returns: 'old' });
    expect(body[13]).toMatchObject({ k: 'assign', reg: 'r3', value: { k: 'bin', op: '==', b: { k: 'num', v: 0 } } });
  });

  it('names a real error with its line: a primitive the kernel does not define, a type herd7 does not know, a loop', () => {
    const test = (params: string, body: string) => `C t\n{}\nP0(${params})\n{\n${body}\n}\nexists (x=1)\n`;
    const cases: [string, string, number, RegExp][] = [
      ['int *x', '\tsmp_memb();', 5, /^'smp_memb' is not a primitive of the kernel's model \(tools\/memory-model\/linux-kernel\.def does not define it\)$/],
      ['struct foo *x', '', 3, /^P0's parameters: 'struct foo' is not a type herd7's C knows/],
      ['int x', '', 3, /^P0's parameter 'int x' is not a pointer/],
      ['int *x', '\twhile (1)\n\t\tWRITE_ONCE(*x, 1);', 5, /^'while': herd7's C has no loops$/],
      ['int *x', '\tWRITE_ONCE(*x, smp_mb());', 5, /^smp_mb\(\) gives no value/],
    ];
    for (const [params, body, line, re] of cases) {
      const e = parseError(test(params, body));
      expect(e.message, body || params).toMatch(re);
      expect(e.line, body || params).toBe(line);
    }
  });

  it('calls a test for another architecture unsupported, by name, not a parse error', () => {
    let err: unknown;
    try {
      parseLitmus('PPC MP+lwsync+addr\n"Fre PodWW"\n{\n0:r2=x;\n}\n P0           ;\n li r1,1      ;\nexists (1:r1=1)\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OtherArch);
    expect((err as OtherArch).message).toMatch(/^a PPC litmus test: only C tests are read/);
  });

  it('a first word that is no architecture, or an empty file, is an error at line 1, not a test of another architecture', () => {
    // a typo'd C line or a file that is not a litmus test used to be "unsupported" (exit 0)
    const mp = '{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\nexists (x=1)\n';
    for (const [text, re] of [
      [`c my-mp\n${mp}`, /^a C litmus test starts with 'C <name>', and 'c' is no architecture herd7 knows$/],
      ['import { defineScenario } from "mmu-stress";\n', /and 'import' is no architecture herd7 knows$/],
      ['', /^the file is empty/],
      ['# only a comment\n', /^the file is empty/],
    ] as const) {
      const e = parseError(text);
      expect(e.message, text).toMatch(re);
      expect(e.line, text).toBe(1);
    }
    expect(() => parseLitmus(`X86_64 t\n${mp}`)).toThrow(OtherArch);
    expect(() => parseLitmus(`C my-mp\n${mp}`)).not.toThrow();
  });

  it('a folder run walks subfolders, reports every file (a bad one as file:line), decides SRCU and names what it cannot decide with file:line', () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const good = 'C good\n(* Result: Sometimes *)\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\nP1(int *x)\n{\n\tr0 = READ_ONCE(*x);\n}\nexists (1:r0=1)\n';
    writeFileSync(join(dir, 'a', 'good.litmus'), good);
    writeFileSync(join(dir, 'a', 'b', 'bad.litmus'), good.replace('C good', 'C bad').replace('WRITE_ONCE(*x, 1);', 'kfree(x);'));
    writeFileSync(join(dir, 'a', 'b', 'srcu.litmus'), 'C srcu\n{}\nP0(struct srcu_struct *s, int *x)\n{\n\tr0 = srcu_read_lock(s);\n\tsrcu_read_unlock(s, r0);\n}\nexists (x=0)\n');
    // issue 20 (the LKMM checker): SRCU is decided now; a load through a pointer that can be NULL in an allowed execution is not
    writeFileSync(join(dir, 'a', 'b', 'null.litmus'), 'C null\n{}\nP0(int **p, int *x)\n{\n\tr0 = READ_ONCE(*p);\n\tr1 = READ_ONCE(*r0);\n}\nexists (0:r1=0)\n');
    const r = cli(['litmus', join(dir, 'a')]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/good\s+Sometimes\s+Result: Sometimes\s+agrees/);
    expect(r.out).toMatch(/bad\s+error: \S*a\/b\/bad\.litmus:6: 'kfree' is not a primitive of the kernel's model/);
    expect(r.out).toMatch(/srcu\s+Always\s+no Result: line\s+no Result: line/);
    // what it cannot decide, and where it is
    expect(r.out).toMatch(/null\s+unsupported: an allowed execution in which P0 dereferences 0, which is not the address of a location \(\S*a\/b\/null\.litmus:6\)/);
    expect(r.out).toMatch(/4 files: 1 agree, 0 disagree, 1 unsupported, 1 without a Result: line, 0 incomplete, 1 error/);
  });
});
