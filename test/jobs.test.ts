/**
 * `run --jobs`: seeds spread over worker threads give the result `--jobs 1` gives: the
 * lowest failing seed, the same executions and statistics, the same report; a lock-order
 * cycle that only two executions close together is found where one worker finds it.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capJobs } from '../src/exec/jobs.js';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { loadScenario } from '../src/load/scenarios.js';
import { variantParams } from '../src/scenario.js';
import { cli, expectBadInput, ROOT } from './cli-helpers.js';

const sim = new SimExecutor();
afterAll(() => sim.close());

/** What must not depend on --jobs. */
const same = (doc: Record<string, unknown>) => {
  const v = (doc.violations as Record<string, unknown>[])[0];
  return { observed: doc.observed, executions: doc.executions, stats: doc.stats, violation: v ? { seed: v.seed, step: v.step, message: v.message, trace: v.trace, replay: v.replay } : null };
};

describe('run --jobs', () => {
  it('a finding: the lowest failing seed, its report and the run statistics are those of --jobs 1', () => {
    // the host-rate coins (--rare sampled), so that the finding comes after other seeds ran on both workers
    const args = ['run', 'shrinker-vs-fault', '--variant', 'lock-after-topup', '--param', 'shrinkEvery=1000', '--rare', 'sampled', '--executions', '2000', '--no-shrink', '--json'];
    const one = JSON.parse(cli([...args, '--jobs', '1']).out);
    const two = JSON.parse(cli([...args, '--jobs', '2']).out);
    expect(one.observed).toBe('cache-empty-under-lock');
    expect(one.violations[0].seed).toBeGreaterThan(2); // other seeds ran first on both workers
    expect(same(two)).toEqual(same(one));
  }, 60_000);

  it('a clean run: the same executions and statistics', () => {
    const args = ['run', 'lazy-rmaps', '--executions', '300', '--json'];
    expect(same(JSON.parse(cli([...args, '--jobs', '2']).out))).toEqual(same(JSON.parse(cli([...args, '--jobs', '1']).out)));
  }, 60_000);

  it('a cycle whose halves come from different executions is found at the seed one worker finds it', async () => {
    const rules = await loadScenario(join(ROOT, 'test', 'fixtures', 'lockdep.ts'));
    const params = { ...variantParams(rules.def, 'abba'), alternate: 1 };
    const one = await run({ scenario: rules, variant: 'abba', params, mode: 'sim', seed: 1, executions: 50, timeMs: null, sim, jobs: 1 });
    const two = await run({ scenario: rules, variant: 'abba', params, mode: 'sim', seed: 1, executions: 50, timeMs: null, sim, jobs: 2 });
    expect(one.violation?.kind).toBe('lock-order-cycle');
    expect(one.violation?.replayFrom).toBe(1);
    expect([two.violation?.seed, two.violation?.details, two.executions]).toEqual([one.violation?.seed, one.violation?.details, one.executions]);
  }, 60_000);

  it('--jobs is capped by the cores and by the memory workers would take, and says why', () => {
    const MB = 2 ** 20;
    const roomy = { cores: 2, availableBytes: 8 * 2 ** 30, perWorkerBytes: 40 * MB };
    expect(capJobs(64, roomy)).toEqual({ jobs: 2, reason: '2 cores' });
    expect(capJobs(2, roomy)).toEqual({ jobs: 2, reason: null });
    expect(capJobs(1, roomy)).toEqual({ jobs: 1, reason: null });
    expect(capJobs(8, { cores: 16, availableBytes: 100 * MB, perWorkerBytes: 40 * MB })).toEqual({ jobs: 2, reason: '100 MB of memory available at about 40 MB a worker' });
    expect(capJobs(8, { cores: 2, availableBytes: 80 * MB, perWorkerBytes: 40 * MB })).toEqual({ jobs: 2, reason: '2 cores, 80 MB of memory available at about 40 MB a worker' });
    // one worker always runs, however short memory is
    expect(capJobs(4, { cores: 4, availableBytes: 10 * MB, perWorkerBytes: 40 * MB })).toEqual({ jobs: 1, reason: '10 MB of memory available at about 40 MB a worker' });
    expect(capJobs(4, { cores: 1, availableBytes: 10 * MB, perWorkerBytes: 40 * MB }).jobs).toBe(1);
  });

  // the cap needs a machine with fewer cores than --jobs' maximum (capJobs is tested above without one)
  it.skipIf(availableParallelism() >= 64)('run --jobs 64 on fewer cores: one line on stderr, the run as usual, stdout pure JSON', () => {
    const cores = availableParallelism();
    const r = cli(['run', 'lazy-rmaps', '--executions', '100', '--jobs', '64', '--json']);
    expect(r.code).toBe(0);
    const line = /^--jobs 64 capped to (\d+): .*$/m.exec(r.err);
    expect(line).not.toBeNull();
    expect(Number(line?.[1])).toBeLessThanOrEqual(cores);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.out).executions).toBe(100);
    // a number the machine affords is not capped and not remarked on
    expect(cli(['run', 'lazy-rmaps', '--executions', '100', '--jobs', '1', '--json']).err).toBe('');
  }, 60_000);

  it('threads keep the machine to themselves', () => {
    expectBadInput(cli(['run', 'lazy-rmaps', '--mode', 'threads', '--jobs', '2']), /--jobs spreads sim executions/);
  });
});
