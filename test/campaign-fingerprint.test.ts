/**
 * A results row records a fingerprint of the code it ran (load/fingerprint.ts), so that
 * `--resume` never keeps a verdict on other code and `merge` never joins two versions of
 * one scenario: a campaign over a scenario file of a user's, then the file (or a file it
 * imports) edited, then `--resume`, runs the rows again and records the new code's verdict;
 * an unchanged file keeps its rows; shards of two versions do not merge. Rows without a
 * fingerprint (an older mmu-stress's) are kept and merged as before.
 *
 * Budgets: one variant (a sim row of 100 executions and a threads row of 200 ms); sim
 * verdicts only are asserted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RowRecord } from '../src/report/records.js';
import { cli, expectBadInput, ROOT, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());
const BUDGET = ['--threads-time', '200ms', '--jobs', '1', '--quiet'];
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RowRecord);
const rewrite = (f: string, change: (r: RowRecord) => RowRecord) => writeFileSync(f, lines(f).map((r) => `${JSON.stringify(change(r))}\n`).join(''));
/** The rows a results file holds now, the last line of a key winning (as readRecords has them). */
const rows = (f: string) => new Map(lines(f).map((r) => [r.key, r]));

/**
 * A project of its own: stress/counter.ts, two adders' read-modify-writes of one word, under
 * a mutex when stress/guard.ts says so (the `guarded` variant expects ok: unguarded, an
 * update is lost).
 */
function project(): string {
  const dir = temp.make();
  mkdirSync(join(dir, 'stress'));
  writeFileSync(join(dir, 'stress', 'guard.ts'), 'export const GUARDED = true;\n');
  writeFileSync(
    join(dir, 'stress', 'counter.ts'),
    `import { defineScenario, mainViolation, Mutex, mutexLock, mutexUnlock, readOnce, writeOnce, type Arena } from '${ROOT}/src/index.ts';
import { GUARDED } from './guard.ts';

class World {
  readonly lock: Mutex;
  readonly word: number;
  readonly i32: Int32Array;
  constructor(arena: Arena) {
    this.lock = new Mutex(arena, 'counter_lock');
    this.word = arena.region('counter', 1);
    this.i32 = arena.i32;
  }
}

export default defineScenario<World>({
  name: 'fp-counter',
  description: 'two adders increment one word',
  params: {},
  paramHelp: {},
  variants: { guarded: { expect: 'ok', source: 'test', summary: 'each increment under the mutex' } },
  setup: (arena) => new World(arena),
  roles: {
    adder: {
      count: () => 2,
      *run(w) {
        const locked = GUARDED; // LOCKED
        if (locked) yield* mutexLock(w.lock, 'add');
        const v = yield* readOnce(w.i32, w.word);
        yield* writeOnce(w.i32, w.word, v + 1);
        if (locked) yield* mutexUnlock(w.lock);
      },
    },
  },
  check: (w, _p, _v, step) => (w.i32[w.word] === 2 ? null : mainViolation('invariant', \`lost an update: counter is \${w.i32[w.word]}, not 2\`, [], step)),
});
`,
  );
  return dir;
}

const SIM = 'fp-counter / guarded / sim';
const campaign = (dir: string, ...more: string[]) => cli(['campaign', './stress/counter.ts', '--out', 'r.jsonl', ...BUDGET, ...more], { cwd: dir });

describe('--resume keeps only rows run on the code as it is now', () => {
  it('unchanged, --resume keeps its rows; a file the scenario imports, then the scenario file, edited: --resume runs its rows again, says so once, and the verdict is the new code\'s', () => {
    const dir = project();
    const first = campaign(dir);
    expect(first.code).toBe(0);
    const before = rows(join(dir, 'r.jsonl'));
    expect(before.size).toBe(2);
    const fp = before.get(SIM)?.fingerprint;
    expect(fp).toMatch(/^file:[0-9a-f]{16} mmu-stress:\d+\.\d+\.\d+\S*\+[0-9a-f]{16}$/);
    expect(before.get(`fp-counter / guarded / threads`)?.fingerprint).toBe(fp);

    // unchanged: --resume keeps every row and runs nothing again
    const text = readFileSync(join(dir, 'r.jsonl'), 'utf8');
    const kept = campaign(dir, '--resume');
    expect(kept.code).toBe(0);
    expect(kept.out).toContain('2 of the rows were kept from the results file (--resume), not run again');
    expect(kept.err).not.toContain('another version');
    expect(readFileSync(join(dir, 'r.jsonl'), 'utf8')).toBe(text);

    // a file the scenario imports edited (its mutex no longer taken): its rows run again, the new code's verdict
    writeFileSync(join(dir, 'stress', 'guard.ts'), 'export const GUARDED = false;\n');
    const imported = campaign(dir, '--resume');
    expect(imported.err).toContain('2 rows of r.jsonl were run on another version of ./stress/counter.ts: running them again');
    expect(rows(join(dir, 'r.jsonl')).get(SIM)?.observed).toBe('invariant');
    expect(imported.code).toBe(1);
    const byImport = rows(join(dir, 'r.jsonl')).get(SIM)?.fingerprint as string;
    expect(byImport).not.toBe(fp);

    // the trial's edit, in the file itself: the variant no longer reads the guard at all
    const file = join(dir, 'stress', 'counter.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('const locked = GUARDED;', 'const locked = false;'));
    const resumed = campaign(dir, '--resume');
    expect(resumed.err).toContain('2 rows of r.jsonl were run on another version of ./stress/counter.ts: running them again');
    expect(resumed.err.match(/another version/g)).toHaveLength(1);
    const after = rows(join(dir, 'r.jsonl'));
    expect(lines(join(dir, 'r.jsonl'))).toHaveLength(6); // both rows appended again, twice
    expect(after.get(SIM)?.observed).toBe('invariant');
    expect(after.get(SIM)?.status).toBe('mismatch');
    expect(resumed.code).toBe(1); // what a fresh campaign on the edited file gives
    const now = after.get(SIM)?.fingerprint as string;
    expect(now.split(' ')[0]).not.toBe(byImport.split(' ')[0]); // the file's part changed
    expect(now.split(' ')[1]).toBe((fp as string).split(' ')[1]); // mmu-stress's did not
    expect(cli(['campaign', './stress/counter.ts', '--out', 'fresh.jsonl', ...BUDGET], { cwd: dir }).code).toBe(1);
    expect(rows(join(dir, 'fresh.jsonl')).get(SIM)?.fingerprint).toBe(now);
  }, 120_000);

  it("rows of another mmu-stress run again, said as mmu-stress's change; rows with no fingerprint (an older file) are kept, as before", () => {
    const dir = project();
    const out = join(dir, 'r.jsonl');
    expect(campaign(dir).code).toBe(0);
    // the file's part as it is, the package's another version's
    rewrite(out, (r) => ({ ...r, fingerprint: `${(r.fingerprint as string).split(' ')[0]} mmu-stress:0.0.9+0123456789abcdef` }));
    const again = campaign(dir, '--resume');
    expect(again.err).toContain('2 rows of r.jsonl (./stress/counter.ts) were run on another version of mmu-stress: running them again');
    expect(lines(out)).toHaveLength(4);

    // an older mmu-stress's file: no fingerprint; the file edited since: kept all the same, and said
    const old = join(dir, 'old.jsonl');
    writeFileSync(old, [...rows(out).values()].map(({ fingerprint: _, ...r }) => `${JSON.stringify(r)}\n`).join(''));
    writeFileSync(join(dir, 'stress', 'guard.ts'), 'export const GUARDED = false;\n');
    const kept = cli(['campaign', './stress/counter.ts', '--out', 'old.jsonl', '--resume', ...BUDGET], { cwd: dir });
    expect(kept.err).toContain('2 rows of old.jsonl record no fingerprint of the code they ran (an older mmu-stress wrote them): kept, as before');
    expect(kept.code).toBe(0);
    expect(lines(old)).toHaveLength(2);
  }, 120_000);

  it("a built-in scenario's row records mmu-stress's fingerprint; one of another mmu-stress runs again", () => {
    const dir = temp.make();
    const out = join(dir, 'z.jsonl');
    // the first of zap-oldest's six rows: one sim row
    const args = ['campaign', 'zap-oldest', '--shard', '1/6', '--out', 'z.jsonl', ...BUDGET];
    expect(cli(args, { cwd: dir }).code).toBe(0);
    const [row] = lines(out);
    expect(row.fingerprint).toMatch(/^mmu-stress:\d+\.\d+\.\d+\S*\+[0-9a-f]{16}$/);
    rewrite(out, (r) => ({ ...r, fingerprint: 'mmu-stress:0.0.9+0123456789abcdef' }));
    const again = cli([...args, '--resume'], { cwd: dir });
    expect(again.err).toContain("1 row of z.jsonl was run on another version of mmu-stress's built-in scenarios: running it again");
    expect(again.code).toBe(0);
    expect(lines(out).map((r) => r.fingerprint)).toEqual(['mmu-stress:0.0.9+0123456789abcdef', row.fingerprint]);
  }, 120_000);
});

describe('merge refuses one scenario run on two versions of its code', () => {
  it('shards run before and after an edit: exit 2, one line naming the scenario and both files', () => {
    const dir = project();
    const shard = (n: number) => cli(['campaign', './stress/counter.ts', '--shard', `${n}/2`, '--out', `s${n}.jsonl`, ...BUDGET], { cwd: dir });
    expect(shard(1).code).toBe(0);
    writeFileSync(join(dir, 'stress', 'guard.ts'), 'export const GUARDED = 1 > 0; // the same behaviour, other code\n');
    expect(shard(2).code).not.toBe(2);
    const [a, b] = [lines(join(dir, 's1.jsonl'))[0].fingerprint, lines(join(dir, 's2.jsonl'))[0].fingerprint];
    expect(a).not.toBe(b);
    expectBadInput(
      cli(['merge', 's1.jsonl', 's2.jsonl'], { cwd: dir }),
      new RegExp(`^mmu-stress: scenario 'fp-counter' was run on two versions of its code: s1\\.jsonl on ${a?.replace('+', '\\+')}, s2\\.jsonl on ${b?.replace('+', '\\+')}: merge shards run on one version`),
    );

    // one file holding both versions (a --resume on the new code cut short)
    writeFileSync(join(dir, 'both.jsonl'), readFileSync(join(dir, 's1.jsonl'), 'utf8') + readFileSync(join(dir, 's2.jsonl'), 'utf8'));
    expectBadInput(cli(['merge', 'both.jsonl'], { cwd: dir }), /both\.jsonl holds rows of scenario 'fp-counter' run on two versions of its code .*: a campaign --resume on the new code was cut short/);

    // a shard without fingerprints (an older mmu-stress's) merges as before
    rewrite(join(dir, 's1.jsonl'), ({ fingerprint: _, ...r }) => r);
    const merged = cli(['merge', 's1.jsonl', 's2.jsonl'], { cwd: dir });
    expect(merged.err).toBe('');
    expect(merged.code).toBe(0);
  }, 120_000);
});
