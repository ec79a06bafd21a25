/**
 * runScenario, the library's entry: every option `run` takes reaches the run (strategy,
 * depth, memory among them), an option it does not know is bad input rather than a run
 * with the defaults, and a failing matcher names a scenario's own throw by its line.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { mmuStressMatchers } from '../src/vitest.js';

describe('runScenario', () => {
  it('passes strategy, depth, memory and shrink on to the run', async () => {
    const r = await runScenario({ scenario: 'lazy-rmaps', variant: 'merged', strategy: 'pct', depth: 2, memory: 'weak', executions: 20, shrink: false });
    expect(r).toMatchObject({ exitCode: 0, observed: 'ok', memory: 'weak' });
    expect(r.pct).toMatchObject({ depth: 2 });
    // the k of the bound is the largest any execution drew over, and the report says how long the longest was
    const pct = r.pct as { k: number; longest: number };
    expect(pct.longest).toBeGreaterThan(0);
    expect(pct.longest).toBeLessThanOrEqual(pct.k);
    const dfs = await runScenario({ scenario: 'test/fixtures/spin-abba.ts', variant: 'set', strategy: 'dfs', preemptions: 1 });
    expect(dfs.observed).toBe('lock-order-cycle');
    expect(dfs.dfs).toMatchObject({ preemptions: 1 });
  }, 60_000);

  it('an option it does not know is bad input (exit 2), not a run with the defaults', async () => {
    const r = await runScenario({ scenario: 'lazy-rmaps', executons: 5 } as unknown as Parameters<typeof runScenario>[0]);
    expect(r.exitCode).toBe(2);
    expect(r.error).toMatchObject({ kind: 'bad-input' });
    expect(r.error?.message).toMatch(/^runScenario: unknown option 'executons'; valid: scenario, variant, .*executions/);
    const bad = await runScenario({ scenario: 'lazy-rmaps', strategy: 'bogus' as 'pct' });
    expect(bad.exitCode).toBe(2);
  });

  it("toBeClean's failure names a scenario's own throw by its file and line", async () => {
    const r = await runScenario({ scenario: 'test/fixtures/throws.ts', variant: 'role', executions: 1 });
    expect(r.observed).toBe('scenario-error');
    const m = mmuStressMatchers.toBeClean(r);
    expect(m.pass).toBe(false);
    expect(m.message()).toMatch(/expected a clean run, got observed scenario-error \(exit 3\): scenario error: role .* threw at test\/fixtures\/throws\.ts:\d+:\d+: /);
  }, 60_000);
});
