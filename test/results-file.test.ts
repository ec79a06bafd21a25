/**
 * Nothing a campaign finished is lost: `--out` never truncates a file with rows (without
 * --resume it is refused), two campaigns never write one file (FILE.lock; the second is
 * told who holds it), a lock a killed campaign left is taken over, and report files are
 * never written over a file the command reads.
 */
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { campaignPlan } from '../src/cli/campaign.js';
import { ResultsLock, SAME_HOST_STALE_MS } from '../src/campaign/results-file.js';
import { dealOrder } from '../src/campaign/shard.js';
import type { RowRecord } from '../src/report/records.js';
import { BadInput } from '../src/rt/errors.js';
import { cli, expectBadInput, start, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());
const plan = await campaignPlan();

/** The plan index of a row of shard 31/31 (dealt 30th: --shard deals the sim rows, then the threads rows). */
const shard31 = plan.indexOf(dealOrder(plan)[30]);

/** The cheap campaign other tests use: the last shard of 31 (two rows), 300 ms a row. */
const CHEAP = ['campaign', '--shard', '31/31', '--time-per-variant', '300ms'];

/**
 * A campaign that runs until it is stopped: a one-row shard holding a clean threads row
 * (a clean row runs its whole budget) with a budget of an hour.
 */
function longCampaign(out: string) {
  const row = plan.find((p) => p.mode === 'threads' && p.sc.def.variants[p.variant].expect === 'ok');
  if (!row) throw new Error('the plan has no clean threads row');
  // this row's place in the order --shard deals the rows in
  return start(['campaign', '--shard', `${dealOrder(plan).indexOf(row) + 1}/${plan.length}`, '--time-per-variant', '1h', '--threads-time', '1h', '--out', out, '--quiet']);
}

/** Resolves once `file` exists. */
function appears(file: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      if (existsSync(file)) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`${file} never appeared`));
      else setTimeout(poll, 25);
    };
    poll();
  });
}

/** Results lines of the plan's rows `from`, `from + 1`, ... as a campaign writes them. */
function fakeRows(n: number, from = 0, over: Partial<RowRecord> = {}): string {
  const row = (p: (typeof plan)[number]): RowRecord => ({
    v: 2,
    key: p.key,
    scenario: p.sc.def.name,
    variant: p.variant,
    mode: p.mode,
    memory: 'sc',
    seed: 1,
    budgetMs: 300,
    budget: { executions: p.mode === 'sim' ? 5 : null, threadsMs: p.mode === 'threads' ? 300 : null },
    expect: p.sc.def.variants[p.variant].expect,
    observed: p.sc.def.variants[p.variant].expect,
    asExpected: true,
    status: 'as-expected',
    executions: 5,
    steps: 500,
    evidence: null,
    firstViolationMs: null,
    elapsedMs: 300,
    violation: null,
    harnessError: null,
    incomplete: null,
    lockdep: [],
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  });
  return plan.slice(from, from + n).map((p) => `${JSON.stringify(row(p))}\n`).join('');
}

describe('campaign --out keeps what a campaign finished', () => {
  it('a file with rows is refused without --resume (exit 2, naming --resume and how to start over) and stays as it was', () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const text = fakeRows(62);
    writeFileSync(out, text);
    expectBadInput(cli([...CHEAP, '--out', out]), /--out .*r\.jsonl already holds 62 rows of an earlier campaign: add --resume .* remove the file \(or give another --out\) to start over/);
    expect(readFileSync(out, 'utf8')).toBe(text);
    // a file that is not a results file is kept just the same
    writeFileSync(out, 'my notes\n');
    expectBadInput(cli([...CHEAP, '--out', out]), /already holds 9 bytes: add --resume/);
    expect(readFileSync(out, 'utf8')).toBe('my notes\n');
    // bad input after the lock was taken (a --resume of another campaign's rows) leaves no lock
    writeFileSync(out, fakeRows(1, shard31, { seed: 7 })); // a row of shard 31/31
    expectBadInput(cli([...CHEAP, '--out', out, '--resume']), /--resume: .* holds '.*' from a campaign with --seed 7/);
    expect(readdirSync(d)).toEqual(['r.jsonl']);
  }, 60_000);

  it('two campaigns on one file: the second exits 2 naming the first; SIGINT ends the first and frees the file', async () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const first = longCampaign(out);
    try {
      await appears(`${out}.lock`);
      const second = cli([...CHEAP, '--out', out]);
      expectBadInput(second, new RegExp(`--out .*r\\.jsonl is being written by another campaign: pid ${first.child.pid}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(mmu-stress campaign --shard `));
      first.child.kill('SIGINT');
      expect((await first.done).code).toBe(130);
      expect(existsSync(`${out}.lock`)).toBe(false);
    } finally {
      first.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a campaign killed by SIGKILL leaves its lock; the next campaign takes it over, says so, and releases it at its end', async () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const first = longCampaign(out);
    try {
      await appears(`${out}.lock`);
    } finally {
      first.child.kill('SIGKILL');
    }
    await first.done;
    expect(JSON.parse(readFileSync(`${out}.lock`, 'utf8')).pid).toBe(first.child.pid);
    // it finished no row: no file yet (the kill may land between the lock and the file) or an empty one, which a new campaign may use
    expect(existsSync(out) ? readFileSync(out, 'utf8') : '').toBe('');
    const next = cli([...CHEAP, '--out', out, '--jobs', '64', '--json']);
    expect(next.err).toMatch(new RegExp(`--out .*r\\.jsonl: took over the lock of pid ${first.child.pid}, started .*, which is no longer running`));
    expect(next.err).toMatch(/--jobs 64 capped to \d+: /);
    expect(next.code).not.toBe(2);
    const doc = JSON.parse(next.out);
    expect(readFileSync(out, 'utf8').split('\n').filter((l) => l !== '')).toHaveLength(doc.rows.length);
    expect(readdirSync(d)).toEqual(['r.jsonl']);
  }, 120_000);

  it('a lock from another host is taken over only once its heartbeat has stopped', async () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const lockPath = `${out}.lock`;
    const holder = { pid: 1, host: 'another-host.invalid', started: '2026-01-01T00:00:00.000Z', command: 'mmu-stress campaign --out r.jsonl', token: 'theirs' };
    writeFileSync(lockPath, JSON.stringify(holder));
    // alive: its heartbeat moves while we watch
    let beat = 0;
    const heart = setInterval(() => {
      beat += 1;
      const t = new Date(Date.UTC(2026, 0, 1, 0, 0, beat));
      utimesSync(lockPath, t, t);
    }, 20);
    try {
      await expect(ResultsLock.take('out', out, { probeMs: 400 })).rejects.toThrow(/is being written by another campaign: pid 1 on another-host\.invalid, started 2026-01-01T00:00:00\.000Z/);
      await expect(ResultsLock.take('out', out, { probeMs: 400 })).rejects.toBeInstanceOf(BadInput);
    } finally {
      clearInterval(heart);
    }
    // dead: nothing touches it, so it is taken over
    const lock = await ResultsLock.take('out', out, { probeMs: 400 });
    const mine = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect([mine.pid, mine.token === 'theirs']).toEqual([process.pid, false]);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  }, 30_000);

  it('on this host, a lock whose pid runs is held while its heartbeat moves, and stale once it has stood still a minute (a reused pid)', async () => {
    const d = temp.make();
    const out = join(d, 'r.jsonl');
    const lockPath = `${out}.lock`;
    // the pid of a process that surely runs: this test's parent
    writeFileSync(lockPath, JSON.stringify({ pid: process.ppid, host: hostname(), started: '2026-01-01T00:00:00.000Z', command: 'mmu-stress campaign', token: 'theirs' }));
    await expect(ResultsLock.take('out', out)).rejects.toThrow(new RegExp(`is being written by another campaign: pid ${process.ppid}, started 2026-01-01T00:00:00\\.000Z`));
    const old = new Date(Date.now() - SAME_HOST_STALE_MS - 10_000);
    utimesSync(lockPath, old, old);
    const lock = await ResultsLock.take('out', out);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(readdirSync(d)).toEqual([]);
  });

  it('report files never overwrite a file the command reads, and are written whole', () => {
    const d = temp.make();
    const rows = join(d, 'r.jsonl');
    const text = fakeRows(1);
    writeFileSync(rows, text);
    expectBadInput(cli(['merge', rows, '--html', rows]), /--html .*r\.jsonl is a results file merge reads: writing it would destroy it/);
    expectBadInput(cli(['report', rows, '-o', join(d, '.', 'r.jsonl')]), /--out .*r\.jsonl is a results file report reads/);
    expectBadInput(cli([...CHEAP, '--out', join(d, 'new.jsonl'), '--junit', join(d, 'new.jsonl')]), /--junit .*new\.jsonl is the results file \(--out\)/);
    expectBadInput(cli([...CHEAP, '--junit', join(d, 'a.xml'), '--html', join(d, 'a.xml')]), /--html and --junit name one file/);
    expect(readFileSync(rows, 'utf8')).toBe(text);
    // a report over an older one replaces it whole, and leaves no temporary file
    writeFileSync(join(d, 'r.html'), 'old');
    expect(cli(['report', rows, '-o', join(d, 'r.html')]).code).toBe(0);
    expect(readFileSync(join(d, 'r.html'), 'utf8')).toContain('id="mmu-stress-data"');
    expect(readdirSync(d).sort()).toEqual(['r.html', 'r.jsonl']);
  }, 60_000);

  it('an output file that cannot be written is bad input before anything runs, with or without a violation to come', async () => {
    const d = temp.make();
    const missing = join(d, 'no-such-folder', 'x.json');
    const cases: [string[], RegExp][] = [
      // a clean variant: once, the path was not looked at (nothing to write) and the run said ok
      [['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '5', '--trace-out', missing], /--trace-out .*x\.json: cannot write it \(ENOENT\)/],
      // a bug variant: once, its violation was found and then lost to the failed write
      [['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--executions', '50', '--trace-out', missing], /--trace-out .*x\.json: cannot write it \(ENOENT\)/],
      [['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '5', '--html', d], /--html .*: cannot write it \(EISDIR\)/],
      [[...CHEAP, '--junit', missing], /--junit .*x\.json: cannot write it \(ENOENT\)/],
      [['report', join(d, 'none.jsonl'), '-o', missing], /--out .*x\.json: cannot write it \(ENOENT\)/],
    ];
    const results = await Promise.all(cases.map(([args]) => start(args).done));
    for (const [k, [args, re]] of cases.entries()) {
      expectBadInput(results[k], re);
      // nothing ran: no report on stdout
      expect(results[k].out, args.join(' ')).toBe('');
    }
    // the check leaves nothing behind
    expect(readdirSync(d)).toEqual([]);
  }, 60_000);
});
