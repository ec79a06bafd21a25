/**
 * `merge` of the shards of a campaign over scenarios the user gave: the rows record the
 * scenarios, merge plans that campaign again (its files found from merge's working
 * directory), lists that differ are refused, and a file without a list is the built-in
 * campaign as before. --resume keeps one campaign per file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignPlan } from '../src/cli/campaign.js';
import type { RowRecord } from '../src/report/records.js';
import { cli, expectBadInput, ROOT, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());
const builtin = await campaignPlan();
const order = (key: string) => builtin.find((p) => p.key === key)?.index ?? -1;
const BUDGET = ['--threads-time', '300ms', '--jobs', '1', '--quiet'];
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RowRecord);
const rewrite = (from: string, to: string, change: (r: RowRecord) => RowRecord) => writeFileSync(to, lines(from).map((r) => `${JSON.stringify(change(r))}\n`).join(''));

/** A project's checkout in a directory of its own: scenarios/my.ts, the spin-abba fixture importing this package's sources. */
function checkout(): string {
  const dir = temp.make();
  mkdirSync(join(dir, 'scenarios'));
  const text = readFileSync(join(ROOT, 'test', 'fixtures', 'spin-abba.ts'), 'utf8').replaceAll("'../../src/", `'${ROOT}/src/`);
  writeFileSync(join(dir, 'scenarios', 'my.ts'), text);
  return dir;
}

interface Table {
  exitCode: number;
  rowsPlanned: number;
  rows: { scenario: string; variant: string; mode: string; expect: string; observed: string; executions: number; steps: number | null }[];
}
/** What no machine's speed decides: every row's place and expectation, and a sim row's whole verdict. */
const fixed = (t: Table) => t.rows.map((r) => (r.mode === 'sim' ? [r.scenario, r.variant, r.mode, r.expect, r.observed, r.executions, r.steps] : [r.scenario, r.variant, r.mode, r.expect]));

describe('merge of a campaign over the scenarios given', () => {
  // the same project checked out in three directories: two machines run a shard each, a third merges
  let a = '';
  let b = '';
  let c = '';
  let whole: ReturnType<typeof cli>;
  beforeAll(() => {
    [a, b, c] = [checkout(), checkout(), checkout()];
    whole = cli(['campaign', './scenarios/my.ts', ...BUDGET, '--json'], { cwd: a });
    // one shard given the path as typed, the other its absolute path: both record scenarios/my.ts
    expect(cli(['campaign', './scenarios/my.ts', '--shard', '1/2', '--out', join(a, 's1.jsonl'), ...BUDGET], { cwd: a }).code).toBe(whole.code);
    expect(cli(['campaign', join(b, 'scenarios', 'my.ts'), '--shard', '2/2', '--out', join(b, 's2.jsonl'), ...BUDGET], { cwd: b }).code).toBe(whole.code);
  }, 120_000);

  it("the shards of a user's scenario file, run in two checkouts, merge (from a third) to the unsharded campaign's table and exit code", () => {
    const u = JSON.parse(whole.out) as Table;
    expect(u.rowsPlanned).toBe(6); // three variants, sim and threads
    const merged = cli(['merge', join(a, 's1.jsonl'), join(b, 's2.jsonl'), '--json'], { cwd: c });
    expect(merged.err).toBe('');
    expect(merged.code).toBe(whole.code);
    const m = JSON.parse(merged.out) as Table;
    expect(fixed(m)).toEqual(fixed(u));
    expect(m.rowsPlanned).toBe(u.rowsPlanned);
    expect(m.exitCode).toBe(u.exitCode);
    // what the rows record: the path relative to each campaign's working directory
    expect(lines(join(a, 's1.jsonl'))[0].campaignScenarios).toEqual([{ given: './scenarios/my.ts', path: 'scenarios/my.ts', name: 'spin-abba' }]);
    expect(lines(join(b, 's2.jsonl'))[0].campaignScenarios).toEqual([{ given: join(b, 'scenarios', 'my.ts'), path: 'scenarios/my.ts', name: 'spin-abba' }]);
  }, 60_000);

  it('shards of campaigns over different scenarios do not merge', () => {
    rewrite(join(b, 's2.jsonl'), join(b, 'other.jsonl'), (r) => ({ ...r, campaignScenarios: [...(r.campaignScenarios ?? []), { given: 'zap-oldest', path: null, name: 'zap-oldest' }] }));
    expectBadInput(
      cli(['merge', join(a, 's1.jsonl'), join(b, 'other.jsonl')], { cwd: c }),
      /s1\.jsonl and .*other\.jsonl come from campaigns over different scenarios \(scenarios\/my\.ts; scenarios\/my\.ts zap-oldest\): merge the shards of one campaign/,
    );
    rewrite(join(b, 's2.jsonl'), join(b, 'builtin.jsonl'), (r) => ({ ...r, campaignScenarios: null }));
    expectBadInput(cli(['merge', join(a, 's1.jsonl'), join(b, 'builtin.jsonl')], { cwd: c }), /come from campaigns over different scenarios \(scenarios\/my\.ts; every built-in scenario\)/);
  }, 60_000);

  it("a scenario file merge cannot find from its working directory, or that is another scenario now, is bad input naming it", () => {
    const elsewhere = temp.make();
    expectBadInput(
      cli(['merge', join(a, 's1.jsonl'), join(b, 's2.jsonl')], { cwd: elsewhere }),
      new RegExp(`no scenario file at scenarios/my\\.ts \\(a scenario of the merged campaign, given to it as \\./scenarios/my\\.ts; merge finds its file from its working directory, ${elsewhere}\\)`),
    );
    mkdirSync(join(elsewhere, 'scenarios'));
    writeFileSync(join(elsewhere, 'scenarios', 'my.ts'), readFileSync(join(ROOT, 'test', 'fixtures', 'budget.ts'), 'utf8').replaceAll("'../../src/", `'${ROOT}/src/`));
    expectBadInput(cli(['merge', join(a, 's1.jsonl')], { cwd: elsewhere }), /scenarios\/my\.ts is scenario 'budget' now; the campaign ran scenario 'spin-abba' from it/);
  }, 60_000);

  it('--resume of a file with rows of other scenarios is refused before any row runs', () => {
    const before = readFileSync(join(a, 's1.jsonl'), 'utf8');
    expectBadInput(
      cli(['campaign', 'zap-oldest', '--out', join(a, 's1.jsonl'), '--resume', ...BUDGET], { cwd: a }),
      /--resume: .*s1\.jsonl holds rows of a campaign over scenarios\/my\.ts; this one is over zap-oldest: give the same scenarios, or another --out/,
    );
    expect(readFileSync(join(a, 's1.jsonl'), 'utf8')).toBe(before);
  }, 60_000);

  it('built-in scenarios given by name plan only their rows; a file without the list (an older one) is the built-in campaign, as before', () => {
    const d = temp.make();
    const out = join(d, 'z1.jsonl');
    // shard 1/2 of zap-oldest's six rows: three of them (two sim rows and a threads row, dealt sim rows first)
    expect(cli(['campaign', 'zap-oldest', '--shard', '1/2', '--out', out, ...BUDGET]).code).toBe(0);
    const given = cli(['merge', out, '--json']);
    expect(JSON.parse(given.out).rowsPlanned).toBe(6);
    expect(given.code).toBe(1); // the other shard's three rows are missing
    expect(lines(out).map((r) => r.campaignScenarios)).toEqual(Array(3).fill([{ given: 'zap-oldest', path: null, name: 'zap-oldest' }]));

    // the same rows as an older mmu-stress wrote them: no list, every built-in scenario planned
    const old = join(d, 'old.jsonl');
    rewrite(out, old, ({ campaignScenarios: _, ...r }) => r);
    expect(readFileSync(old, 'utf8')).not.toContain('campaignScenarios');
    const asBefore = cli(['merge', old, '--json']);
    const t = JSON.parse(asBefore.out) as Table;
    expect(t.rowsPlanned).toBe(builtin.length);
    expect(t.rows.map((r) => `${r.scenario} / ${r.variant} / ${r.mode}`)).toEqual(lines(out).map((r) => r.key).sort((x, y) => order(x) - order(y)));
    expect(asBefore.code).toBe(1);
  }, 120_000);
});
