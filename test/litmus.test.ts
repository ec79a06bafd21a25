/**
 * The litmus runner: the project's own tests (test/litmus/project/, written for the shapes the
 * weak model claims) agree with their Result: lines, a wrong Result: line is caught,
 * what the model does not express is named, and broken files are bad input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../src/litmus/explore.js';
import { LitmusSyntax, parseLitmus, Unsupported } from '../src/litmus/parse.js';
import { cli, expectBadInput, ROOT } from './cli-helpers.js';

const MIXED = join(ROOT, 'test', 'fixtures', 'litmus-mixed');
const dir = mkdtempSync(join(tmpdir(), 'litmus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const MP = (result: string, writer: string, reader: string) => `C MP-variant

(*
 * Result: ${result}
 *)

{}

P0(int *x, int *y)
{
${writer}
}

P1(int *x, int *y)
{
	int r0;
	int r1;

${reader}
}

exists (1:r0=1 /\\ 1:r1=0)
`;

describe('litmus', () => {
  it("the project's message-passing, store-buffering and load-buffering tests all agree", () => {
    const r = cli(['litmus', join(ROOT, 'test', 'litmus', 'project'), '--json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    const names = doc.files.map((f: { name: string }) => f.name);
    for (const family of ['MP+', 'SB+', 'LB+']) expect(names.filter((n: string) => n.startsWith(family)).length).toBeGreaterThanOrEqual(3);
    for (const f of doc.files) expect(f.status, f.name).toBe('agrees');
    // the outcomes themselves: plain message passing can see the flag and old data, release/acquire cannot
    const mp = doc.files.find((f: { name: string }) => f.name === 'MP+once+once');
    expect(mp.outcomes).toContainEqual({ state: '1:r0=1; 1:r1=0;', satisfies: true });
    const ra = doc.files.find((f: { name: string }) => f.name === 'MP+release+acquire');
    expect(ra.outcomes.map((o: { state: string }) => o.state)).toEqual(['1:r0=0; 1:r1=0;', '1:r0=0; 1:r1=1;', '1:r0=1; 1:r1=1;']);
  });

  it('decides, with LKMM, the shapes the operational model had to refuse (dependencies, a guard read once)', () => {
    // issue 20: the exact checker follows dependencies as LKMM does; these were 'unsupported' before
    const r = cli(['litmus', join(ROOT, 'test', 'fixtures', 'litmus-refused'), '--json']);
    expect(r.code).toBe(0);
    const got = Object.fromEntries(JSON.parse(r.out).files.map((f: { file: string; status: string; observation: string }) => [f.file.split('/').pop(), `${f.status} ${f.observation}`]));
    expect(got).toEqual({ 'MP-guard-reeval.litmus': 'agrees Never', 'data-direct.litmus': 'agrees Never', 'data-via-branch.litmus': 'agrees Never' });
  });

  it('a file whose Result: line the model contradicts exits 1 and says DISAGREES', () => {
    const wrong = file('wrong.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'));
    const r = cli(['litmus', wrong]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/MP-variant\s+Sometimes\s+Result: Never\s+DISAGREES/);
  });

  it("gives LKMM verdicts to RCU, dependencies, plain accesses and the smp_mb__* fences; a call the kernel's model does not define is an error", () => {
    // issue 20: these constructs were 'unsupported' under the operational model; LKMM decides them now
    const decided: [string, string, string, RegExp][] = [
      ['rcu.litmus', '\tWRITE_ONCE(*x, 1);\n\trcu_assign_pointer(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);', /Sometimes\s+Result: Never\s+DISAGREES/],
      ['ctrl.litmus', '\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tif (r0)\n\t\tWRITE_ONCE(*x, 2);\n\tr1 = READ_ONCE(*x);', /Never\s+Result: Never\s+agrees/],
      ['data.litmus', '\tWRITE_ONCE(*x, 1);\n\tsmp_wmb();\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tWRITE_ONCE(*x, r0);\n\tr1 = READ_ONCE(*x);', /Never\s+Result: Never\s+agrees/],
      ['plain.litmus', '\t*x = 1;\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);', /Sometimes\s+Result: Never\s+DISAGREES\n.*\n\s+Flag data-race/],
      ['after-spinlock.litmus', '\tWRITE_ONCE(*x, 1);\n\tsmp_mb__before_atomic();\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);', /Sometimes\s+Result: Never\s+DISAGREES/],
    ];
    for (const [name, writer, reader, re] of decided) {
      const r = cli(['litmus', file(name, MP('Never', writer, reader))]);
      expect(r.out, name).toMatch(re);
    }
    // a call linux-kernel.def does not define is not a test herd7 reads: an error at its line (exit 2)
    const refused: [string, string, RegExp][] = [
      ['unlock-wait.litmus', '\tWRITE_ONCE(*x, 1);\n\tsmp_cond_load_acquire(y, 1);', /unlock-wait\.litmus:12: 'smp_cond_load_acquire' is not a primitive of the kernel's model/],
      ['call-rcu.litmus', '\tWRITE_ONCE(*x, 1);\n\tcall_rcu(y, 1);', /call-rcu\.litmus:12: 'call_rcu' is not a primitive of the kernel's model/],
    ];
    for (const [name, writer, re] of refused) expectBadInput(cli(['litmus', file(name, MP('Never', writer, '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'))]), re);
  });

  it('a file that is not litmus is bad input with its line; so is a missing one', () => {
    expectBadInput(cli(['litmus', file('broken.litmus', 'C broken\n\n{}\n\nP0(int *x)\n{\n\tWRITE_ONCE(*x 1);\n}\n')]), /broken\.litmus:7: expected ',', found '1'/);
    expectBadInput(cli(['litmus', file('nohead.litmus', 'P0(int *x) {}\n')]), /nohead\.litmus:1: a C litmus test starts with 'C <name>'/);
    expectBadInput(cli(['litmus', join(dir, 'missing.litmus')]), /missing\.litmus: no such file or directory/);
    expectBadInput(cli(['litmus']), /'litmus' needs <file>/);
  });

  it('explores both orders of two unordered stores of one CPU (coherence still holds)', () => {
    const t = parseLitmus(`C co\n{}\nP0(int *x, int *y)\n{\n\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*x, 2);\n}\nP1(int *x)\n{\n\tint r0;\n\tint r1;\n\tr0 = READ_ONCE(*x);\n\tr1 = READ_ONCE(*x);\n}\nexists (1:r0=2 /\\ 1:r1=1)\n`);
    const e = explore(t);
    expect(e.some).toBe(false); // CoRR: never newer then older
    expect(e.outcomes.length).toBeGreaterThan(3);
  });

  it('a folder with a good, a malformed, an exists-less and a too-big file reports every one, then exits 2', () => {
    const r = cli(['litmus', MIXED, '--max-executions', '5000', '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out);
    expect(doc.exitCode).toBe(2);
    const by = Object.fromEntries(doc.files.map((f: { file: string }) => [f.file.split('/').pop(), f]));
    expect(Object.keys(by).sort()).toEqual(['MP+once+once.litmus', 'big-5x6.litmus', 'malformed.litmus', 'no-exists.litmus']);
    expect(by['MP+once+once.litmus'].status).toBe('agrees');
    expect(by['big-5x6.litmus']).toMatchObject({ status: 'incomplete', stoppedBy: 'executions', executions: 5000 });
    expect(by['big-5x6.litmus'].observation).toBeUndefined(); // no verdict from a part of the executions
    expect(by['malformed.litmus']).toMatchObject({ status: 'error', line: 13 });
    expect(by['malformed.litmus'].error).toMatch(/litmus-mixed\/malformed\.litmus:13: expected ',', found '1'$/);
    expect(by['no-exists.litmus']).toMatchObject({ status: 'error', line: 25 });
    expect(by['no-exists.litmus'].error).toMatch(/no-exists\.litmus:25: no final condition/);
    expect(doc.counts).toEqual({ agrees: 1, DISAGREES: 0, unsupported: 0, 'no Result: line': 0, incomplete: 1, error: 2 });
    // the same run as text: a line per file on stdout, and one line per bad file on stderr
    const t = cli(['litmus', MIXED, '--max-executions', '5000']);
    expect(t.code).toBe(2);
    expect(t.out).toMatch(/MP\+once\+once\s+Sometimes\s+Result: Sometimes\s+agrees/);
    expect(t.out).toMatch(/big-5x6\s+\?\s+Result: Sometimes\s+incomplete\n\s+stopped by --max-executions 5000 after 5000 executions \(\d+ steps\): no verdict; \d+ outcomes so far/);
    expect(t.out).toMatch(/malformed\s+error: \S*malformed\.litmus:13: expected/);
    expect(t.out).toMatch(/no-exists\s+error: \S*no-exists\.litmus:25: no final condition/);
    expect(t.out).toMatch(/4 files: 1 agree, 0 disagree, 0 unsupported, 0 without a Result: line, 1 incomplete, 2 errors/);
    expect(t.err.trim().split('\n')).toEqual([expect.stringMatching(/^mmu-stress: \S*malformed\.litmus:13: /), expect.stringMatching(/^mmu-stress: \S*no-exists\.litmus:25: /)]);
  });

  it('a test past its execution budget is incomplete (exit 3) and the others still get their verdicts', () => {
    const r = cli(['litmus', join(MIXED, 'big-5x6.litmus'), join(MIXED, 'MP+once+once.litmus'), join(ROOT, 'test', 'litmus', 'project', 'SB+mb+mb.litmus'), '--max-executions', '300', '--json']);
    expect(r.code).toBe(3);
    const files = JSON.parse(r.out).files;
    expect(files.map((f: { status: string }) => f.status)).toEqual(['incomplete', 'agrees', 'agrees']);
    expect(files[0].executions).toBeLessThanOrEqual(300);
    expect(files[0].outcomes.length).toBeGreaterThan(0);
    expectBadInput(cli(['litmus', MIXED, '--max-executions', '0']), /--max-executions must be a whole number from 1/);
    expectBadInput(cli(['litmus', MIXED, '--time', '10']), /--time must be a duration with a unit.*did you mean 10s/);
  });

  it('stops at its execution budget, or at its deadline looked at every 1024 steps, and says which', () => {
    const big = parseLitmus(readFileSync(join(MIXED, 'big-5x6.litmus'), 'utf8'));
    const byBudget = explore(big, { maxExecutions: 100 });
    expect(byBudget).toMatchObject({ complete: false, stoppedBy: 'executions' });
    expect(byBudget.executions + byBudget.blocked).toBe(100);
    // a clock that advances one tick per look: the deadline is met at the third look, after 3 x 1024 steps
    let ticks = 0;
    const byClock = explore(big, { deadline: 3, now: () => ++ticks });
    expect(byClock).toMatchObject({ complete: false, stoppedBy: 'time', steps: 3 * 1024 });
    expect(ticks).toBe(3);
    // a budget the test fits in exactly is not a cut: the exploration is complete
    const mp = parseLitmus(readFileSync(join(MIXED, 'MP+once+once.litmus'), 'utf8'));
    const all = explore(mp);
    expect(all.complete).toBe(true);
    const exact = explore(mp, { maxExecutions: all.executions + all.blocked });
    expect(exact).toMatchObject({ complete: true, executions: all.executions, outcomes: all.outcomes });
    expect(explore(mp, { maxExecutions: all.executions - 1 }).complete).toBe(false);
  });

  it('a missing or malformed part is a parse error with its line, never a default that gives a verdict', () => {
    const P0 = 'P0(int *x, int *y)\n{\n\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);\n}\n';
    const P1 = 'P1(int *x, int *y)\n{\n\tint r0;\n\tint r1;\n\n\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);\n}\n';
    const EXISTS = 'exists (1:r0=1 /\\ 1:r1=0)\n';
    // line numbers: 1 'C t', 2 '{}', 3-7 P0, 8-15 P1, 16 exists
    const cases: [string, string, number, RegExp][] = [
      ['no exists', `C t\n{}\n${P0}${P1}`, 15, /^no final condition: a test ends with 'exists \(\.\.\.\)', '~exists \(\.\.\.\)' or 'forall \(\.\.\.\)'$/],
      ['no process', `C t\n{}\n${EXISTS}`, 3, /^no process: expected 'P0\(\.\.\.\) \{ \.\.\. \}' after the initial state, found 'exists'$/],
      ['no initial state', `C t\n${P0}${P1}${EXISTS}`, 2, /^no initial state: expected '\{ \.\.\. \}' after the 'C t' line \(write '\{\}' for none\), found 'P0'$/],
      ['initial state not closed', `C t\n{ x=1;\n${P0}${P1}${EXISTS}`, 2, /^the initial state's '\{' is not closed before P0 \(line 3\)$/],
      ["P0's '}' missing", `C t\n{}\n${P0.replace(/\}\n$/, '')}${P1}${EXISTS}`, 4, /^P0's '\{' is not closed before P1 \(line 7\)$/],
      ["the last '}' missing", `C t\n{}\n${P0}${P1.replace(/\}\n$/, '')}${EXISTS}`, 9, /^P1's '\{' is not closed before the final condition \(line 15\)$/],
      ["a '{' never closed", `C t\n{}\n${P0}${P1.replace(/\}\n$/, '')}`, 9, /^P1's '\{' is never closed$/],
      ["one '}' too many", `C t\n{}\n${P0}}\n${P1}${EXISTS}`, 8, /^a '\}' that closes nothing/],
      ['an unknown register', `C t\n{}\n${P0}${P1}exists (1:r0=1 /\\ 1:r5=0)\n`, 16, /^'1:r5' is not a register of P1 \(its registers: r0, r1\)$/],
      ['a register of no process', `C t\n{}\n${P0}${P1}exists (2:r0=1)\n`, 16, /^'2:r0' names P2, but the test's processes are P0\.\.P1$/],
      ['a register P0 does not declare', `C t\n{}\n${P0}${P1}exists (0:r0=1)\n`, 16, /^'0:r0' is not a register of P0 \(it declares none\)$/],
      ['an unknown location', `C t\n{}\n${P0}${P1}exists (z=1)\n`, 16, /^'z' is not a shared location of this test$/],
      ['an unknown location to show', `C t\n{}\n${P0}${P1}locations [w]\n${EXISTS}`, 16, /^'w' is not a shared location of this test$/],
      ['two conditions', `C t\n{}\n${P0}${P1}${EXISTS}forall (x=1)\n`, 17, /^a second final condition \(the first is at line 16\); a test has one$/],
      ['processes out of order', `C t\n{}\n${P1}${P0}${EXISTS}`, 3, /^processes must be P0, P1, \.\.\. in order; found P1 as process 0$/],
      ["a parameter list never closed", `C t\n{}\n${P0.replace('int *y)', 'int *y')}${P1}${EXISTS}`, 4, /^P0's parameter list is not closed: '\{' where ',' or '\)' should be$/],
    ];
    for (const [what, text, line, re] of cases) {
      let err: unknown;
      try {
        parseLitmus(text);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(LitmusSyntax);
      expect((err as LitmusSyntax).message, what).toMatch(re);
      expect((err as LitmusSyntax).line, what).toBe(line);
    }
  });

  it('names an unsupported construct for what it is, with its line: the parser reads it, the engine refuses it', () => {
    // issue 20: the parser no longer refuses these; the operational engine names what it cannot run, at its line
    const test = (params: string, body: string) => `C t\n{}\nP0(${params})\n{\n\tint r0;\n\tint r1;\n${body}\n}\nexists (0:r0=1)\n`;
    const cases: [string, string, string, number][] = [
      ['int *x, int *y', '\tr0 = READ_ONCE(*x);\n\tWRITE_ONCE(*y, r0 ^ 1);', 'a data dependency (a stored value computed from a load)', 8],
      ['int *x, int *y', '\tif (READ_ONCE(*x))\n\t\tWRITE_ONCE(*y, 1);', 'a control dependency (a store under an if on a loaded value)', 8],
      ['int *x, int *y', '\tr0 = *x;', 'a plain C access', 7],
      ['int *x, struct srcu_struct *s', '\tr0 = srcu_read_lock(s);\n\tsrcu_read_unlock(s, r0);', 'srcu_read_lock', 7],
      ['int *x, int **p', '\tr0 = READ_ONCE(*p);\n\tr1 = READ_ONCE(*r0);', 'an access through a pointer held in a register (READ_ONCE() of an address computed at run time)', 8],
      ['int *x, atomic_t *a', '\tatomic_inc(a);', 'atomic_inc', 7],
      ['int *x, spinlock_t *l', '\tr0 = spin_trylock(l);', 'spin_trylock', 7],
      ['int *x', '\tsynchronize_rcu();', 'synchronize_rcu', 7],
    ];
    for (const [params, body, message, line] of cases) {
      const t = parseLitmus(test(params, body));
      let err: unknown;
      try {
        explore(t);
      } catch (e) {
        err = e;
      }
      expect(err, body).toBeInstanceOf(Unsupported);
      expect((err as Unsupported).message, body).toBe(message);
      expect((err as Unsupported).line, body).toBe(line);
    }
    // the engine runs what the parser now lifts out of an expression, when no dependency is at stake
    const nested = explore(parseLitmus(test('int *x, int *y', '\tr0 = READ_ONCE(*x) + 1;\n\tr1 = r0 ^ 3;')));
    expect(nested.outcomes.map((o) => o.state)).toEqual(['0:r0=1;']);
  });

});

