/**
 * The harness's limits, through the command as a user meets them: the time budget
 * bounds the whole run, a limit that stops a progressing execution is no verdict
 * (exit 3, naming the limit to raise), a role that never yields is named, and a signal
 * prints what finished. Bounds here are generous multiples of the limits (a stopped
 * run must not go on), never a measure of speed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, campaignRows, cli, firstCampaignRow, start, startProcess, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());

/** Resolves once `ok()` holds (polled), or fails after `timeoutMs`. */
function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (ok()) resolve();
      else if (performance.now() - t0 > timeoutMs) reject(new Error(`not within ${timeoutMs} ms`));
      else setTimeout(poll, 25);
    };
    poll();
  });
}

const ROWS = await campaignRows();
const FIRST = await firstCampaignRow();

const ABBA = join(import.meta.dirname, 'fixtures', 'abba.ts');
const BUDGET = join(import.meta.dirname, 'fixtures', 'budget.ts');

describe('the time budget bounds the whole run', () => {
  it('sim: --time 2s on a huge execution returns within a few seconds, as incomplete', () => {
    // one worker: a second would spend a core on seed 2's huge execution, which tells nothing more
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--param', 'faults=5000000', '--time', '2s', '--jobs', '1', '--json']);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'incomplete', executions: 0, violations: [] });
    expect(doc.incomplete).toMatchObject({ seed: 1, limit: 'time', raise: '--time' });
    expect(doc.incomplete.note).toMatch(/scheduling steps and \d+ progress marks in/);
  });

  it('sim: the same bound holds where rare events are placed, on every worker (the horizons are counted in an execution under the run limits)', () => {
    // shrinkEvery=1000 makes kswapd's wake-up a rare event: its horizon is counted in seed 1,
    // which the second worker runs as a trial before its own seeds
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'removed', '--param', 'faults=5000000', '--param', 'shrinkEvery=1000', '--jobs', '2', '--time', '2s', '--json']);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'incomplete', executions: 0, violations: [] });
    expect(doc.incomplete).toMatchObject({ limit: 'time', raise: '--time' });
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

  // the two runs below each wait out a 5 s budget: they wait side by side (it.concurrent)
  it.concurrent('finished executions keep their verdict when the budget cuts the last one short', async () => {
    // The fixture's seed, not the machine's speed, decides the lengths: seed 1's execution
    // ends after a few steps, seed 2's never does, so the budget always cuts the second one
    // (the run only has to start within the 5 s, which a loaded machine does).
    // the JSON and the text run side by side, each on one worker (--jobs 1: a second worker would
    // spin out the 5 s on seeds 3, 5, ... of no use here), so the two hold a core each while they wait it out
    const args = ['run', BUDGET, '--variant', 'second-long', '--seed', '1', '--time', '5s', '--jobs', '1'];
    const [r, t] = await Promise.all([start([...args, '--json']).done, start(args).done]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ observed: 'ok', executions: 1, evidence: { executions: 1, steps: 4, stepUnit: 'scheduling steps' } });
    expect(doc.incomplete).toMatchObject({ seed: 2, limit: 'time', raise: '--time' });
    const text = t.out;
    expect(text).toContain('expect ok; observed ok (as expected)');
    expect(text).toMatch(/\(execution seed 2 was stopped by the time budget \(--time 5s\) before it ended: .*; it has no verdict and is not counted\)/);
  });

  it.concurrent('with --executions N, a time budget that ends the run first leaves it incomplete (exit 3), never ok', async () => {
    // N executions were the budget asked for: fewer, however fast the machine, is no verdict
    const args = ['run', BUDGET, '--variant', 'second-long', '--seed', '1', '--executions', '100', '--time', '5s', '--jobs', '1'];
    const [r, t] = await Promise.all([start([...args, '--json']).done, start(args).done]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'incomplete', executions: 1, evidence: null, budget: { executions: 100, timeMs: 5000 } });
    expect(doc.incomplete).toMatchObject({ seed: 2, limit: 'time', raise: '--time' });
    const text = t.out;
    expect(text).toContain('INCOMPLETE (exit 3): only 1 of the 100 executions asked for finished before the time budget ended, so there is no verdict about the model.');
    // the count reached within the time is a clean verdict that states its evidence
    const done = cli(['run', BUDGET, '--variant', 'short', '--executions', '20', '--time', '60s', '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ observed: 'ok', executions: 20, incomplete: null, evidence: { executions: 20, steps: 80 } });
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
    it(`${mode}: a role that never yields is named, within the budget (the scenario's error, exit 3)`, () => {
      const r = cli(['run', ABBA, '--variant', 'hog', '--mode', mode, '--time', '2s', '--json']);
      expect(r.ms).toBeLessThan(20_000);
      expect(r.code).toBe(3);
      const doc = JSON.parse(r.out);
      expect([doc.observed, doc.harnessError]).toEqual(['scenario-error', null]);
      // ba0 ends or stops at its op boundaries: not blamed
      expect(doc.scenarioError).toMatchObject({ where: 'role', how: 'no-op-boundary', role: 'ab', task: 'ab0' });
      expect(doc.scenarioError.line).toMatch(
        /^scenario error: role 'ab' \(ab0\) of test\/fixtures\/abba\.ts reached no op boundary for \d+ ms \(the time budget ended and it did not stop within 1000 ms\): its code loops without an op/,
      );
    });
  }
});

describe('signals: what finished is printed', () => {
  it('SIGINT during a campaign prints the finished rows, marked interrupted, and exits 130', async () => {
    // the sim rows run first, two at a time: stop once the first row (and its partner) reported
    // (a sim row runs its executions, capped at the default 30 s: its verdict is the machine's speed's nowhere)
    const c = start(['campaign', '--jobs', '2']);
    await c.until(new RegExp(`${FIRST.scenario} / ${FIRST.variant} / sim: `), 120_000);
    c.child.kill('SIGINT');
    const r = await c.done;
    expect(r.code).toBe(130);
    // scenario variant mode memory expect observed budget executions steps first-violation result
    expect(r.out).toMatch(new RegExp(`${FIRST.scenario}\\s+${FIRST.variant}\\s+sim\\s+sc\\s+${FIRST.expect}\\s+${FIRST.expect}\\s+(\\d+) ex\\s+\\1\\s+\\S+\\s+\\S+\\s+as expected`));
    const after = Number(new RegExp(`INTERRUPTED by SIGINT after (\\d+) of ${ROWS} rows`).exec(r.out)?.[1]);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(ROWS);
  });

  it('SIGTERM during a campaign with --json prints one document with the finished rows, and exits 143', async () => {
    const out = join(temp.make(), 'r.jsonl');
    const c = start(['campaign', '--json', '--jobs', '1', '--out', out]); // one row at a time: the first row is the first done
    // with --json no progress goes to stderr: signal once the first row is in the results file
    await until(() => existsSync(out) && readFileSync(out, 'utf8').includes('\n'), 120_000);
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

  // threads: the pool's drain at close must not leave a task answering a pool torn down (piscina's
  // uncaught "Unexpected message from Worker" turned an interrupted run into exit 3)
  for (const mode of ['sim', 'threads']) {
    it.concurrent(`${mode}: SIGINT during a run prints the executions that finished`, async () => {
      // executions of a few steps each: thousands finish a moment after the run starts (about
      // 1 s, well under 2 s on a loaded machine), so 5 s leaves a wide margin
      const c = start(['run', BUDGET, '--variant', 'short', '--mode', mode, '--executions', '100000000']);
      await new Promise((res) => setTimeout(res, 5000));
      c.child.kill('SIGINT');
      const r = await c.done;
      expect(r.code, r.err).toBe(130);
      expect(r.out).toContain('INTERRUPTED by SIGINT: what follows is what finished before it');
      expect(r.out).toMatch(new RegExp(`mode ${mode}, [1-9]\\d* executions from seed 1`));
      expect(r.out).toContain('observed ok');
      expect(r.err).not.toContain('uncaught');
    });
  }
});
