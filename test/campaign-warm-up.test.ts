/**
 * A campaign's threads row starts its own time (--threads-time) only once the threads pool
 * is up and every worker holds the scenario's bundle. The fixture's bundle busy-waits in
 * each worker's import for longer than the row's time, so on code that timed the start-up
 * too, the first threads row could start no second execution; here its clock starts after
 * every worker's import ended, whatever the machine's speed, and the start-up is reported
 * as the row's warmupMs. A signal during the warm-up still stops the campaign at once, a
 * worker that fails loading the bundle is the harness's error, and the cap still bounds
 * a warm-up that does not end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../src/api.js';
import type { CampaignProgress } from '../src/campaign/run.js';
import type { RowRecord } from '../src/report/records.js';
import { tempDirs } from './cli-helpers.js';

const FILE = join(import.meta.dirname, 'fixtures', 'slow-load.ts');
const FIRST = 'slow-load / first / threads';
const SECOND = 'slow-load / second / threads';
/** How long each worker's import of the bundle takes at least: longer than the row's time. */
const LOAD_MS = 1500;
const THREADS_TIME = '1s';

const temp = tempDirs();
afterAll(() => temp.cleanup());

/** Runs `fn` with the fixture's settings in the environment (worker threads copy it when they start). */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const was = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(was)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

type Logged = { what: 'load' | 'run'; variant?: string; thread: number; at: number };
function readLog(file: string): Logged[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      return f[0] === 'load' ? { what: 'load', thread: Number(f[1]), at: Number(f[2]) } : { what: 'run', variant: f[1], thread: Number(f[2]), at: Number(f[3]) };
    });
}

describe("a campaign's threads rows over a scenario slow to load", () => {
  it("the first row's clock starts once every worker has the bundle: it runs more than one execution", async () => {
    const log = join(temp.make(), 'log.txt');
    writeFileSync(log, '');
    const warmed = new Map<string, { at: number; warmupMs: number }>();
    const onProgress = (e: CampaignProgress) => {
      if (e.kind === 'row-warmed') warmed.set(e.key, { at: Date.now(), warmupMs: e.warmupMs });
    };
    const c = await withEnv({ SLOW_LOAD_MS: String(LOAD_MS), SLOW_LOAD_LOG: log }, () => runCampaign({ scenarios: [FILE], modes: ['threads'], threadsTime: THREADS_TIME, onProgress }));
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    const first = c.records.find((r) => r.key === FIRST) as RowRecord;
    const second = c.records.find((r) => r.key === SECOND) as RowRecord;
    expect([first.status, second.status]).toEqual(['as-expected', 'as-expected']);
    const entries = readLog(log);
    const loads = entries.filter((x) => x.what === 'load');
    const runs = entries.filter((x) => x.what === 'run' && x.variant === 'first');
    // the pool's two workers each imported the bundle once (the second row reuses them), both before the row's clock started
    expect(new Set(loads.map((x) => x.thread)).size).toBe(2);
    expect(loads).toHaveLength(2);
    const clock = warmed.get(FIRST);
    expect(clock, 'the first threads row told no warm-up').toBeDefined();
    for (const x of loads) expect(x.at).toBeLessThanOrEqual(clock?.at ?? 0);
    // every execution of the row ran on the warmed workers after its clock started
    for (const x of runs) expect(x.at).toBeGreaterThanOrEqual(clock?.at ?? Number.POSITIVE_INFINITY);
    expect(new Set(runs.map((x) => x.thread))).toEqual(new Set(loads.map((x) => x.thread)));
    // the start-up is the warm-up's, reported apart and inside the row's elapsed time
    expect(first.warmupMs).toBeGreaterThanOrEqual(LOAD_MS);
    expect(first.elapsedMs).toBeGreaterThanOrEqual(first.warmupMs ?? 0);
    expect(c.rows.find((r) => r.variant === 'first')?.warmupMs, 'campaign --json rows carry it too').toBe(first.warmupMs);
    // the row's time was its executions': a second one started (on the old code the import, longer than the row's time, left one)
    expect(first.executions).toBeGreaterThan(1);
    expect(runs).toHaveLength(2 * first.executions);
    // the second row's workers were warm already
    expect(second.warmupMs).toBeLessThan(LOAD_MS);
  }, 120_000);

  it('a signal during the warm-up stops the campaign at once; the row is not reported', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    const onProgress = (e: CampaignProgress) => {
      // the workers are busy importing for a minute: the signal comes in the middle of the warm-up
      if (e.kind === 'row-started')
        setTimeout(() => {
          abortedAt = performance.now();
          ac.abort();
        }, 300);
    };
    const c = await withEnv({ SLOW_LOAD_MS: '60000' }, () => runCampaign({ scenarios: [FILE], modes: ['threads'], threadsTime: THREADS_TIME, signal: ac.signal, onProgress }));
    const after = performance.now() - abortedAt;
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(abortedAt).toBeGreaterThan(0);
    expect(c.exitCode).toBe(130);
    expect(c.records).toEqual([]);
    // the workers were terminated in their import, not waited for (a wide margin for a loaded machine)
    expect(after).toBeLessThan(15_000);
  }, 120_000);

  it("a worker that fails loading the bundle is the harness's error, each row's, and the campaign goes on", async () => {
    const c = await withEnv({ SLOW_LOAD_THROW: '1' }, () => runCampaign({ scenarios: [FILE], modes: ['threads'], threadsTime: THREADS_TIME }));
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(c.exitCode).toBe(3);
    for (const key of [FIRST, SECOND]) {
      const r = c.records.find((x) => x.key === key) as RowRecord;
      expect(r.status).toBe('harness-error');
      expect(r.executions).toBe(0);
      // (in the warm-up, before any role instance has a worker: no role's name leads the line)
      expect(r.harnessError).toMatch(/worker failed( loading the scenario's bundle)?: Error: the bundle exploded while loading/);
    }
  }, 120_000);

  it('a warm-up longer than the cap leaves the row incomplete (time), its workers terminated', async () => {
    const t0 = performance.now();
    const c = await withEnv({ SLOW_LOAD_MS: '60000' }, () => runCampaign({ scenarios: [FILE], modes: ['threads'], variants: ['first'], timePerVariant: '500ms', threadsTime: '200ms' }));
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(c.exitCode).toBe(3);
    const r = c.records[0];
    expect([r.key, r.status, r.executions]).toEqual([FIRST, 'incomplete', 0]);
    expect(r.incomplete?.limit).toBe('time');
    expect(r.incomplete?.note).toBe('the worker threads were still starting (0 of 2 ready)');
    // not the minute the imports would take: the cap, the stop's grace, the teardown (a wide margin)
    expect(performance.now() - t0).toBeLessThan(30_000);
  }, 120_000);
});
