/**
 * The litmus runner: the project's own tests (test/litmus/, written for the shapes the
 * weak model claims) agree with their Result: lines, a wrong Result: line is caught,
 * what the model does not express is named, and broken files are bad input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../src/litmus/explore.js';
import { parseLitmus } from '../src/litmus/parse.js';
import { cli, expectBadInput, ROOT } from './cli-helpers.js';

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
    const r = cli(['litmus', join(ROOT, 'test', 'litmus'), '--json'], { timeoutMs: 60_000 });
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

  it('refuses, by name, the shapes a review showed it would otherwise get wrong', () => {
    const r = cli(['litmus', join(ROOT, 'test', 'fixtures', 'litmus-refused'), '--json']);
    expect(r.code).toBe(0);
    const got = Object.fromEntries(JSON.parse(r.out).files.map((f: { file: string; unsupported?: string }) => [f.file.split('/').pop(), f.unsupported]));
    expect(got).toEqual({
      'MP-guard-reeval.litmus': 'an if whose body assigns a register its condition reads',
      'data-direct.litmus': 'a data dependency (a stored value computed from a load)',
      'data-via-branch.litmus': 'a data dependency (a stored value computed from a load)',
    });
  });

  it('a file whose Result: line the model contradicts exits 1 and says DISAGREES', () => {
    const wrong = file('wrong.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'));
    const r = cli(['litmus', wrong]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/MP-variant\s+Sometimes\s+Result: Never\s+DISAGREES/);
  });

  it('names what the model does not express instead of guessing', () => {
    const cases: [string, string, RegExp][] = [
      ['rcu.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\trcu_assign_pointer(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'), /unsupported: rcu_assign_pointer/],
      ['ctrl.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tif (r0)\n\t\tWRITE_ONCE(*x, 2);\n\tr1 = READ_ONCE(*x);'), /unsupported: a control dependency/],
      ['data.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tWRITE_ONCE(*x, r0);\n\tr1 = READ_ONCE(*x);'), /unsupported: a data dependency/],
      ['plain.litmus', MP('Never', '\t*x = 1;\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'), /unsupported: a plain C access/],
      ['after-spinlock.litmus', MP('Never', '\tWRITE_ONCE(*x, 1);\n\tsmp_mb__after_spinlock();\n\tWRITE_ONCE(*y, 1);', '\tr0 = READ_ONCE(*y);\n\tr1 = READ_ONCE(*x);'), /unsupported: smp_mb__after_spinlock/],
    ];
    for (const [name, text, re] of cases) {
      const r = cli(['litmus', file(name, text)]);
      expect(r.code, name).toBe(0);
      expect(r.out, name).toMatch(re);
    }
  });

  it('a file that is not litmus is bad input with its line; so is a missing one', () => {
    expectBadInput(cli(['litmus', file('broken.litmus', 'C broken\n\n{}\n\nP0(int *x)\n{\n\tWRITE_ONCE(*x 1);\n}\n')]), /broken\.litmus:7: expected '\)', found '1'/);
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
});
