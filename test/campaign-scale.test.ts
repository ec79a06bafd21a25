/**
 * Campaigns at scale: shards that split the plan exactly, results that survive a kill
 * (--out, --resume), merge of shards equal to the campaign they split, JUnit XML, the
 * Chrome trace export, and the progress line only on a terminal.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { campaignPlan } from '../src/cli/campaign.js';
import { shardRows } from '../src/campaign/shard.js';
import { junitXml } from '../src/report/junit.js';
import type { RowRecord } from '../src/report/records.js';
import { BIN, cli, expectBadInput, start, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());
const plan = await campaignPlan();
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RowRecord);
const keyed = (rows: { scenario: string; variant: string; mode: string; expect: string }[]) => rows.map((r) => `${r.scenario} / ${r.variant} / ${r.mode} expects ${r.expect}`);

describe('campaign at scale', () => {
  it('shards deal every planned row to exactly one shard', () => {
    for (const n of [1, 2, 3, 7, plan.length + 5]) {
      const shards = Array.from({ length: n }, (_, i) => shardRows(plan, { index: i + 1, count: n }));
      const owners = plan.map((p) => shards.filter((rows) => rows.includes(p)).length);
      expect(owners.every((o) => o === 1)).toBe(true);
      // each shard its share of both kinds: sim rows take seconds, threads rows their --threads-time each
      for (const mode of ['sim', 'threads']) {
        const counts = shards.map((rows) => rows.filter((p) => p.mode === mode).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }
    expectBadInput(cli(['campaign', '--shard', '0/2']), /--shard 0\/2: i must be 1\.\.2 \(shards are counted from 1\)/);
    expectBadInput(cli(['campaign', '--shard', 'two']), /--shard must be i\/n/);
    expectBadInput(cli(['campaign', '--resume']), /--resume goes with --out FILE/);
    // the scenarios to run are arguments: a file that is not there, a name that is no built-in
    expectBadInput(cli(['campaign', './no-such-scenario.ts', '--quiet']), /no scenario file at \.\/no-such-scenario\.ts/);
    expectBadInput(cli(['campaign', 'nope', '--quiet']), /unknown scenario 'nope'; known scenarios: /);
  });

  it('--resume after a kill mid-line: the cut line is dropped and the file stays one row per line', () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    // a sim row runs its executions (no cap short enough to leave it incomplete: --resume would run it again)
    const args = ['campaign', '--shard', '31/31', '--threads-time', '300ms', '--out', out, '--quiet'];
    cli(args, { timeoutMs: 120_000 });
    const rows = lines(out);
    // the last row half written, as a kill would leave it
    const text = readFileSync(out, 'utf8').trimEnd().split('\n');
    writeFileSync(out, `${text.slice(0, -1).join('\n')}\n${text[text.length - 1].slice(0, 40)}`);
    const r = cli([...args, '--resume', '--json'], { timeoutMs: 120_000 });
    expect(JSON.parse(r.out).resumed).toBe(rows.length - 1);
    expect(lines(out).map((x) => x.key)).toEqual(rows.map((x) => x.key));
  }, 240_000);

  it('a campaign killed halfway resumes without redoing the rows it finished', async () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const args = ['campaign', '--shard', '1/16', '--threads-time', '700ms', '--jobs', '1', '--out', out];
    const total = shardRows(plan, { index: 1, count: 16 }).length;
    const first = start(args);
    // stop it once the first row is on disk
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        let n = 0;
        try {
          n = lines(out).length;
        } catch {
          /* not there yet */
        }
        if (n >= 1) resolve();
        else if (Date.now() - t0 > 60_000) reject(new Error('no row was written'));
        else setTimeout(poll, 25);
      };
      poll();
    });
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code).toBe(130);
    expect(r1.out).toMatch(new RegExp(`INTERRUPTED by SIGINT after \\d+ of ${total} rows \\(shard 1/16\\)`));
    const before = lines(out);
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(total);
    const r2 = cli([...args, '--resume', '--json'], { timeoutMs: 120_000 });
    const doc = JSON.parse(r2.out);
    expect(doc.resumed).toBe(before.length);
    expect(doc.rows).toHaveLength(total);
    const after = lines(out);
    expect(after).toHaveLength(total);
    expect(new Set(after.map((r) => r.key)).size).toBe(total);
    expect(after.slice(0, before.length)).toEqual(before); // kept as they were: not run again
  }, 240_000);

  it('merge of two shards gives the table of the campaign they split, with JUnit XML and HTML', async () => {
    const d = temp.make();
    const budget = ['--threads-time', '500ms'];
    // rows k = 1 (mod 16) are rows k = 1 or 17 (mod 32): the two shards are shard 2/16 split in two
    const half = (k: number) => shardRows(plan, { index: k, count: 32 }).map((p) => p.key);
    expect([...half(2), ...half(18)].sort()).toEqual(shardRows(plan, { index: 2, count: 16 }).map((p) => p.key).sort());
    // the two shards at once, as two machines would run them
    const [ra, rb] = await Promise.all([start(['campaign', '--shard', '2/32', ...budget, '--out', join(d, 'a.jsonl'), '--json']).done, start(['campaign', '--shard', '18/32', ...budget, '--out', join(d, 'b.jsonl'), '--json']).done]);
    const a = JSON.parse(ra.out);
    const b = JSON.parse(rb.out);
    const merged = cli(['merge', join(d, 'a.jsonl'), join(d, 'b.jsonl'), '--json', '--junit', join(d, 'm.xml'), '--html', join(d, 'm.html')]);
    const m = JSON.parse(merged.out);
    // the rows the shards printed, in the plan's order: the table the campaign they split prints
    const order = new Map(plan.map((p) => [p.key, p.index]));
    const key = (r: { scenario: string; variant: string; mode: string }) => `${r.scenario} / ${r.variant} / ${r.mode}`;
    const union = [...a.rows, ...b.rows].sort((x, y) => (order.get(key(x)) as number) - (order.get(key(y)) as number));
    expect(m.rows).toEqual(union);
    expect(keyed(m.rows)).toEqual(keyed(shardRows(plan, { index: 2, count: 16 }).map((p) => ({ scenario: p.sc.def.name, variant: p.variant, mode: p.mode, expect: p.sc.def.variants[p.variant].expect }))));
    expect(m.rowsPlanned).toBe(plan.length);
    expect(merged.code).toBe(1); // the other shards' rows are missing
    expect(merged.code === 1 && /missing/.test(cli(['merge', join(d, 'a.jsonl'), join(d, 'b.jsonl')]).out)).toBe(true);
    const xml = readFileSync(join(d, 'm.xml'), 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(plan.length); // the rows of other shards are there as "not run" errors
    expect(xml.match(/not run: the campaign was interrupted, or its shard is missing/g)?.length).toBe(2 * (plan.length - m.rows.length));
    expect(readFileSync(join(d, 'm.html'), 'utf8')).toContain('id="mmu-stress-data"');
    const rep = cli(['report', join(d, 'a.jsonl'), join(d, 'b.jsonl'), '-o', join(d, 'r.html')]);
    expect(rep.code).toBe(0);
    expect(rep.out).toMatch(new RegExp(`r\\.html: ${m.rows.length} rows \\(\\d+ as expected\\), \\d+ violations? drawn as timelines`));
    expectBadInput(cli(['report', join(d, 'a.jsonl')]), /'report' needs -o FILE/);
    // a row in two files, and a line that is not a result, are bad input
    expectBadInput(cli(['merge', join(d, 'a.jsonl'), join(d, 'a.jsonl')]), /is in both .*a\.jsonl and .*a\.jsonl/);
    writeFileSync(join(d, 'bad.jsonl'), `${readFileSync(join(d, 'a.jsonl'), 'utf8')}{"v": 1}\n{"v": 1}\n`);
    expectBadInput(cli(['merge', join(d, 'bad.jsonl')]), /bad\.jsonl:\d+: results line without 'key'/);
    // a row this version does not plan (an old file) is refused rather than counted
    const one = lines(join(d, 'a.jsonl'))[0];
    writeFileSync(join(d, 'old.jsonl'), `${JSON.stringify({ ...one, key: 'gone / variant / sim' })}\n`);
    expectBadInput(cli(['merge', join(d, 'old.jsonl')]), /row 'gone \/ variant \/ sim' is not a row of this mmu-stress's campaign/);
    // a last line cut short by a kill is a row in flight: dropped
    writeFileSync(join(d, 'cut.jsonl'), `${readFileSync(join(d, 'a.jsonl'), 'utf8')}{"v": 1, "key": "zap-o`);
    expect(JSON.parse(cli(['merge', join(d, 'cut.jsonl'), '--json']).out).rows).toHaveLength(lines(join(d, 'a.jsonl')).length);
  }, 120_000);

  it('JUnit XML: a mismatch is a failure with the violation and its replay, a threads row not reproduced is skipped, an incomplete row an error; text is escaped', () => {
    const base = { v: 2 as const, memory: 'sc' as const, seed: 1, budgetMs: 30_000, executions: 3, steps: 300, evidence: null, firstViolationMs: 5, elapsedMs: 1500, harnessError: null, incomplete: null, lockdep: [], finishedAt: '' };
    const sim = { executions: 10, threadsMs: null };
    const violation = { kind: 'deadlock' as const, message: 'a <b> & "c"', details: ["it's <here>"], task: 'vcpu0', role: 'vcpu', step: 9, locksHeld: [], seed: 3, replay: 'npx mmu-stress run x --seed 3' };
    const rows: RowRecord[] = [
      { ...base, key: 's / ok / sim', scenario: 's', variant: 'ok', mode: 'sim', budget: sim, expect: 'ok', observed: 'deadlock', asExpected: false, status: 'mismatch', violation },
      { ...base, key: 's / bug / sim', scenario: 's', variant: 'bug', mode: 'sim', budget: sim, expect: 'deadlock', observed: 'deadlock', asExpected: true, status: 'as-expected', violation },
      { ...base, key: 's / miss / sim', scenario: 's', variant: 'miss', mode: 'sim', budget: sim, expect: 'deadlock', observed: 'ok', asExpected: false, status: 'mismatch', violation: null },
      { ...base, key: 's / miss / threads', scenario: 's', variant: 'miss', mode: 'threads', budget: { executions: null, threadsMs: 2000 }, expect: 'deadlock', observed: 'ok', asExpected: false, status: 'not-reproduced', violation: null },
      {
        ...base, key: 's / slow / sim', scenario: 's', variant: 'slow', mode: 'sim', budget: sim, expect: 'ok', observed: 'incomplete', asExpected: false, status: 'incomplete', violation: null,
        incomplete: { seed: 4, limit: 'time', note: 'the time budget ended between executions, after 3 of the 10 asked for' },
      },
    ];
    const xml = junitXml(rows);
    expect(xml).toMatch(/<testsuites name="mmu-stress campaign" tests="5" failures="2" errors="1" skipped="1"/);
    expect(xml).toContain('<failure message="deadlock: a &lt;b&gt; &amp; &quot;c&quot;" type="deadlock">');
    expect(xml).toContain('replay: npx mmu-stress run x --seed 3');
    expect(xml).toContain('it&apos;s &lt;here&gt;');
    expect(xml).toContain('<failure message="expected deadlock, observed ok" type="missed">');
    expect(xml.match(/<failure /g)).toHaveLength(2); // the expected violation passes
    expect(xml).toContain('<skipped message="not reproduced within 2 s: 3 executions on real threads, none found deadlock"/>');
    expect(xml).toContain('<error message="incomplete: the time budget ended between executions, after 3 of the 10 asked for" type="incomplete">');
    expect(xml).not.toMatch(/<b>|"c"/);
  });

  it('--trace-out writes the violation as Chrome trace events: a track per task, lock slices, the violating op', () => {
    const d = temp.make();
    const f = join(d, 't.json');
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--seed', '1', '--trace-out', f, '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).violations[0];
    const t = JSON.parse(readFileSync(f, 'utf8'));
    const names = t.traceEvents.filter((e: { name: string }) => e.name === 'thread_name').map((e: { args: { name: string } }) => e.args.name);
    expect(new Set(names)).toEqual(new Set(v.trace.map((x: { task: string }) => x.task)));
    const holds = t.traceEvents.filter((e: { ph: string; cat: string }) => e.cat === 'lock');
    expect(holds.some((e: { ph: string }) => e.ph === 'b')).toBe(true);
    expect(holds.filter((e: { ph: string }) => e.ph === 'b').length).toBe(holds.filter((e: { ph: string }) => e.ph === 'e').length);
    const hit = t.traceEvents.filter((e: { cat: string }) => e.cat === 'violation');
    expect(hit).toHaveLength(1);
    expect(hit[0].ts).toBe(v.step);
    expect(t.otherData.replay).toBe(v.replay);
  });

  it('the progress line shows on a terminal only: not without one, not with --quiet or under CI', () => {
    const cmd = (extra: string, env: string) => spawnSync('script', ['-qfec', `${env} ${process.execPath} ${BIN} run lazy-rmaps --executions 300 --jobs 1 ${extra}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, CI: '' } });
    const tty = cmd('', 'env -u CI');
    expect(tty.stdout).toContain('\r\x1b[Krun lazy-rmaps / merged, sim: ');
    expect(tty.stdout).toMatch(/merged, sim: \d+ executions \(\d+\/s\)/);
    expect(cmd('--quiet', 'env -u CI').stdout).not.toContain('\x1b[K');
    expect(cmd('', 'env CI=true').stdout).not.toContain('\x1b[K');
    expect(cli(['run', 'lazy-rmaps', '--executions', '100']).err).not.toContain('\x1b[K');
  }, 60_000);
});
