/**
 * (The test reads `violations[0].trace` as typed by RunScenarioResult: `tsc --noEmit` checks
 * that the field `run --json` prints is in the declared type a user's strict code sees.)
 *
 * Under --memory weak, a finding's trace shows every READ_ONCE() of the task, not only
 * those that returned an older store: in the MP shape the reader's load of the new flag
 * (the newest store) comes before its stale load of the datum, and both are in the trace.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';

const FILE = join(import.meta.dirname, 'fixtures', 'mp-weak.ts');

describe('a weak-memory finding traces the loads it turns on', () => {
  it('the reader READ_ONCE of the newest flag is in the trace, before the stale datum', async () => {
    const r = await runScenario({ scenario: FILE, executions: 200 });
    expect([r.exitCode, r.observed, r.memory]).toEqual([1, 'invariant', 'weak']);
    const trace = r.violations?.[0]?.trace ?? [];
    const mine = trace.filter((l) => l.task === 'reader0').map((l) => l.op);
    const flag = mine.indexOf('READ_ONCE(mp->flag) = 1');
    const stale = mine.findIndex((op) => op.startsWith('load of mp->data = 0: an older store'));
    expect(flag, mine.join('\n')).toBeGreaterThanOrEqual(0);
    expect(stale, mine.join('\n')).toBeGreaterThan(flag);
  }, 60_000);

  it('the replay of its seed gives the same trace', async () => {
    const first = await runScenario({ scenario: FILE, executions: 200 });
    const seed = Number(/--seed (\d+)/.exec(first.violations?.[0]?.replay ?? '')?.[1]);
    expect(seed).toBeGreaterThan(0);
    const again = await runScenario({ scenario: FILE, seed, executions: 1 });
    expect(again.violations?.[0]?.trace).toEqual(first.violations?.[0]?.trace);
  }, 60_000);
});
