/**
 * The harness's limits, through the command as a user meets them: the time budget
 * bounds the whole run, a limit that stops a progressing execution is no verdict
 * (exit 3, naming the limit to raise), a role that never yields is named, and a signal
 * prints what finished. Bounds here are generous multiples of the limits (a stopped
 * run must not go on), never a measure of speed.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, campaignRows, cli, firstCampaignRow, start, startProcess } from './cli-helpers.js';

const ROWS = await campaignRows();
const FIRST = await firstCampaignRow();

const ABBA = join(import.meta.dirname, 'fixtures', 'abba.ts');

describe('the time budget bounds the whole run', () => {
  it('sim: --time 2s on a huge execution returns within a few seconds, as incomplete', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--param', 'faults=5000000', '--time', '2s', '--json']);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'incomplete', executions: 0, violations: [] });
    expect(doc.incomplete).toMatchObject({ seed: 1, limit: 'time', raise: '--time' });
    expect(doc.incomplete.note).toMatch(/scheduling steps and \d+ progress marks in/);
  });

  it('threads: the same bound holds', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--mode', 'threads', '--param', 'faults=5000000', '--time', '2s']);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    expect(r.out).toContain('INCOMPLETE (exit 3): no execution finished, so there is no verdict about the model.');
    expect(r.out).toMatch(/stopped by the time budget \(--time 2s\) before it ended: still making progress/);
    expect(r.out).toContain('raise --time');
  });

  it('a budget shorter than the start-up still says which limit to raise, in both modes', () => {
    for (const [mode, vcpus] of [['sim', '2'], ['threads', '24']]) {
      const r = cli(['run', 'shrinker-vs-fault', '--mode', mode, '--vcpus', vcpus, '--param', 'faults=5000000', '--time', '1ms', '--json']);
      expect(r.ms).toBeLessThan(15_000);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.out);
      expect(doc).toMatchObject({ observed: 'incomplete', executions: 0 });
      expect(doc.incomplete).toMatchObject({ seed: 1, limit: 'time', raise: '--time' });
    }
  });

  it('finished executions keep their verdict when the budget cuts the last one short', () => {
    // Executions of about 0.3 s: when the budget ends one is nearly always in flight, but
    // it may have just passed its last stop check (it then finishes and counts). Every run
    // must keep its finished verdicts; one of three tries must show a cut execution.
    const tries: { code: number | null; doc: { observed: string; executions: number; incomplete: unknown }; out: string }[] = [];
    for (let k = 0; k < 3 && !tries.some((t) => t.doc.incomplete); k++) {
      const r = cli(['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--param', 'faults=8000', '--time', '2s', '--json']);
      tries.push({ code: r.code, doc: JSON.parse(r.out), out: r.out });
    }
    for (const t of tries) {
      expect(t.code).toBe(0);
      expect(t.doc.observed).toBe('ok');
      expect(t.doc.executions).toBeGreaterThan(0);
    }
    expect(tries.find((t) => t.doc.incomplete)?.doc.incomplete).toMatchObject({ limit: 'time', raise: '--time' });
    let text = '';
    for (let k = 0; k < 3 && !text.includes('it has no verdict'); k++) text = cli(['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--param', 'faults=8000', '--time', '2s']).out;
    expect(text).toMatch(/\(execution seed \d+ was stopped by the time budget \(--time 2s\) before it ended: .*; it has no verdict and is not counted\)/);
  });
});

describe('a harness limit is no verdict', () => {
  it('threads: a long healthy execution past --execution-limit is incomplete (exit 3), not a livelock (exit 1)', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--mode', 'threads', '--param', 'faults=10000000', '--executions', '1', '--execution-limit', '1s', '--json']);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'incomplete', violations: [] });
    expect(doc.incomplete).toMatchObject({ limit: 'execution-limit', raise: '--execution-limit' });
    expect(doc.incomplete.note).toMatch(/^still making progress: \d+ progress marks \(a fault or MMU load that returns/);
  });

  it('sim: the same, the limit in wall-clock time', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--param', 'faults=10000000', '--executions', '1', '--execution-limit', '1s']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/stopped by the execution limit \(--execution-limit 1s\)/);
    expect(r.out).toContain('raise --execution-limit');
  });

  for (const mode of ['sim', 'threads']) {
    it(`${mode}: a role that never yields is named, within the budget (a harness error, exit 3)`, () => {
      const r = cli(['run', ABBA, '--variant', 'hog', '--mode', mode, '--time', '2s', '--json']);
      expect(r.ms).toBeLessThan(20_000);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.out);
      expect(doc.observed).toBe('harness-error');
      expect(doc.harnessError).toMatch(/ab0 reached no op boundary for \d+ ms: a role that loops without an op never does/);
      expect(doc.harnessError).not.toMatch(/ba0 reached no op boundary/); // ba0 ends or stops at its op boundaries: not blamed
    });
  }
});

describe('signals: what finished is printed', () => {
  it('SIGINT during a campaign prints the finished rows, marked interrupted, and exits 130', async () => {
    // the sim rows run first, two at a time: stop once the first row (and its partner) reported
    const c = start(['campaign', '--time-per-variant', '3s', '--jobs', '2']);
    await c.until(new RegExp(`${FIRST.scenario} / ${FIRST.variant} / sim: `));
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.code).toBe(130);
    expect(r.out).toMatch(new RegExp(`${FIRST.scenario}\\s+${FIRST.variant}\\s+sim\\s+${FIRST.expect}\\s+${FIRST.expect}\\s+\\d+\\s+\\S+\\s+as expected`));
    const after = Number(new RegExp(`INTERRUPTED by SIGINT after (\\d+) of ${ROWS} rows`).exec(r.out)?.[1]);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(ROWS);
  });

  it('SIGTERM during a campaign with --json prints one document with the finished rows, and exits 143', async () => {
    const c = start(['campaign', '--time-per-variant', '1500ms', '--json']);
    // with --json no progress goes to stderr: wait for the first rows' 1.5 s budget, with room
    // to spare for start-up on a loaded machine (the row ends at its budget whatever the speed)
    await new Promise((res) => setTimeout(res, 4500));
    c.child.kill('SIGTERM');
    const r = await c.done;
    expect(r.code).toBe(143);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 143, interrupted: 'SIGTERM', rowsPlanned: ROWS, allAsExpected: false });
    expect(doc.rows.length).toBeGreaterThanOrEqual(1);
    expect(doc.rows[0]).toMatchObject({ scenario: FIRST.scenario, variant: FIRST.variant, mode: 'sim', asExpected: true });
  });

  it('under npx, a command orphaned by a SIGTERM that its shell swallowed stops as a whole', async () => {
    // npx runs the command through `sh -c`; the shell dies of the SIGTERM without passing it on.
    const c = startProcess('sh', ['-c', `"${process.execPath}" "${BIN}" campaign --time-per-variant 3s; true`], { npm_command: 'exec' });
    await c.until(/\/ sim: /); // signal the shell only once the command runs (its first row done): it watches npx by then
    c.child.kill('SIGTERM');
    const { out, err } = await c.done; // once the orphan, which holds the pipes, is gone
    expect(err).toContain('the npx process that started it went away (signalled): stopping');
    expect(out).toMatch(new RegExp(`INTERRUPTED by SIGTERM after \\d+ of ${ROWS} rows`));
  });

  it('SIGINT during a run prints the executions that finished', async () => {
    const c = start(['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '1000000']);
    await new Promise((res) => setTimeout(res, 2000));
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.code).toBe(130);
    expect(r.out).toContain('INTERRUPTED by SIGINT: what follows is what finished before it');
    expect(r.out).toMatch(/mode sim, [1-9]\d* executions from seed 1/);
    expect(r.out).toContain('observed ok');
  });
});
