/**
 * A campaign over a user's file in which one variant's count() throws (the command calls it
 * to lay out the row, before any execution): that row is the scenario's error, named with
 * the file and line of the throw, and the campaign goes on with the other rows, whose
 * verdicts it records. The results file holds every row, --resume keeps the error row as
 * it keeps a verdict, merge reads it, and the exit code is 3 (a row without a verdict).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../src/api.js';
import type { RowRecord } from '../src/report/records.js';
import { cli, tempDirs } from './cli-helpers.js';

const FILE = join(import.meta.dirname, 'fixtures', 'count-throws.ts');
const SHOWN = 'test/fixtures/count-throws.ts';
const LINE = readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.endsWith('// THROWS count')) + 1;
const ERROR_LINE = new RegExp(`^scenario error: role 'dev' count\\(\\) threw at ${SHOWN.replace(/\./g, '\\.')}:${LINE}:\\d+: RangeError: no devices configured$`);
/** A frame of the harness (its executors, runtime, loader, campaign, command) or of the promises it waits on. */
const HARNESS_FRAME = /src\/(exec|rt|load|campaign|cli)\/|workers\/[\w-]+\.mjs|node_modules|Promise\.all/;

const temp = tempDirs();
afterAll(() => temp.cleanup());
const rows = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RowRecord);
const byKey = (rs: { key: string; status: string }[]) => Object.fromEntries(rs.map((r) => [r.key, r.status]));
const SIM_STATUSES = { 'count-throws / clean / sim': 'as-expected', 'count-throws / twice / sim': 'as-expected', 'count-throws / miscounted / sim': 'scenario-error' };

describe("a campaign row whose scenario's count() throws", () => {
  it('is recorded as the scenario error with its file and line; the other rows keep their verdicts; exit 3', async () => {
    const out = join(temp.make(), 'r.jsonl');
    const c = await runCampaign({ scenarios: [FILE], modes: ['sim'], jobs: 1, out });
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(c.exitCode).toBe(3);
    expect(byKey(c.records)).toEqual(SIM_STATUSES);
    expect(c.records.find((r) => r.variant === 'twice')?.observed).toBe('lock-not-held');
    const err = c.records.find((r) => r.variant === 'miscounted') as RowRecord;
    expect(err.executions).toBe(0);
    const lines = (err.scenarioError ?? '').split('\n');
    expect(lines[0]).toMatch(ERROR_LINE);
    // the throw's own stack, in the scenario's frames only
    expect(lines.some((l) => new RegExp(`^\\s+at .*count-throws\\.ts:${LINE}:\\d+\\)?$`).test(l)), lines.join('\n')).toBe(true);
    expect(lines.filter((l) => HARNESS_FRAME.test(l))).toEqual([]);
    // every row is in the results file, the error row as the campaign returned it
    expect(byKey(rows(out))).toEqual(SIM_STATUSES);
    expect(rows(out).find((r) => r.variant === 'miscounted')?.scenarioError).toBe(err.scenarioError);
  }, 120_000);

  it('--resume keeps the rows with a verdict and runs the error row again (the scenario may be mended since)', async () => {
    const out = join(temp.make(), 'r.jsonl');
    const first = await runCampaign({ scenarios: [FILE], modes: ['sim'], jobs: 1, out });
    if (first.error) throw new Error(`the campaign stopped: ${first.error.message}`);
    const was = rows(out);
    const again = await runCampaign({ scenarios: [FILE], modes: ['sim'], jobs: 1, out, resume: true });
    if (again.error) throw new Error(`the resumed campaign stopped: ${again.error.message}`);
    expect(again.resumed).toBe(2);
    expect(byKey(again.records)).toEqual(SIM_STATUSES);
    const after = readFileSync(out, 'utf8').split('\n').filter((l) => l.trim() !== '');
    // one line appended (the error row's new one); the rows with a verdict are the first campaign's, untouched
    expect(after).toHaveLength(4);
    expect((JSON.parse(after[3]) as RowRecord).variant).toBe('miscounted');
    for (const v of ['clean', 'twice']) expect(rows(out).find((r) => r.variant === v)).toEqual(was.find((r) => r.variant === v));
    expect(again.exitCode).toBe(3);
  }, 120_000);

  it('the command: the row is printed, every row runs (threads too), merge of the shards reads it; exit 3', () => {
    const dir = temp.make();
    const shard = (i: number) => cli(['campaign', SHOWN, '--shard', `${i}/2`, '--out', join(dir, `s${i}.jsonl`), '--threads-time', '200ms', '--jobs', '1'], { timeoutMs: 120_000 });
    const [one, two] = [shard(1), shard(2)];
    // the plan alternates sim and threads: each shard holds one of miscounted's rows
    for (const s of [one, two]) {
      expect(s.code, s.err).toBe(3);
      expect(s.err).toMatch(/SCENARIO ERROR\s+count-throws \/ miscounted \/ (sim|threads): scenario-error after 0/);
      expect(s.out.split('\n').filter((l) => ERROR_LINE.test(l))).toHaveLength(1);
      expect(s.out.trimEnd()).toMatch(/; 1 scenario error \(no verdict\) -- campaign has NO VERDICT \(exit 3\)$/);
      expect(s.out).not.toContain('internal error');
    }
    const m = cli(['merge', join(dir, 's1.jsonl'), join(dir, 's2.jsonl'), '--json']);
    expect(m.code, m.err).toBe(3);
    const doc = JSON.parse(m.out) as { exitCode: number; rowsPlanned: number; rows: { variant: string; mode: string; status: string }[] };
    expect([doc.exitCode, doc.rowsPlanned, doc.rows.length]).toEqual([3, 6, 6]);
    expect(doc.rows.filter((r) => r.status === 'scenario-error').map((r) => `${r.variant}/${r.mode}`).sort()).toEqual(['miscounted/sim', 'miscounted/threads']);
    expect(doc.rows.filter((r) => r.variant === 'twice' && r.mode === 'sim').map((r) => r.status)).toEqual(['as-expected']);
  }, 240_000);
});
