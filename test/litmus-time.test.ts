/**
 * `litmus --time`: the subject here is time, so this file runs outside SIM_ONLY, alone.
 * A test far too big to finish is stopped near its per-file deadline and reported as
 * incomplete, and the next file still runs. The bound asserted is a generous multiple
 * of --time (the clock is looked at every 1024 instructions, each well under 1 ms),
 * so it holds on a loaded machine; the exact cut is tested by execution budget in
 * litmus.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from './cli-helpers.js';

const MIXED = join(ROOT, 'test', 'fixtures', 'litmus-mixed');

describe('litmus --time', () => {
  it('stops a file at its deadline (within a generous multiple), calls it incomplete and runs the next', () => {
    const r = cli(['litmus', join(MIXED, 'big-5x6.litmus'), join(MIXED, 'MP+once+once.litmus'), '--time', '1s', '--json'], { timeoutMs: 120_000 });
    expect(r.code).toBe(3);
    const [big, mp] = JSON.parse(r.out).files;
    expect(big).toMatchObject({ status: 'incomplete', stoppedBy: 'time' });
    expect(big.ms).toBeGreaterThanOrEqual(1000);
    expect(big.ms).toBeLessThan(20_000);
    expect(big.executions).toBeGreaterThan(0);
    expect(mp.status).toBe('agrees');
    const t = cli(['litmus', join(MIXED, 'big-5x6.litmus'), '--time', '500ms'], { timeoutMs: 120_000 });
    expect(t.code).toBe(3);
    expect(t.out).toMatch(/stopped by --time 500ms after \d+ executions \(\d+ steps\): no verdict/);
  }, 240_000);
});
