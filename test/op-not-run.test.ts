/**
 * A lock, unlock or READ_ONCE/WRITE_ONCE op does its work only under its own `yield*`. A role
 * that calls one without it (or runs one op object twice) ran another program than the
 * one written, so the run must not pass or fail on it: it is the scenario's error, named
 * with the role, in both executors. Ops made first and run later are fine.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

const scenario = await loadScenario(join(import.meta.dirname, 'fixtures', 'forgot-yield.ts'));
const threads = new ThreadsExecutor();
const sim = new SimExecutor();
afterAll(async () => {
  await threads.close();
  await sim.close();
});

const said: Record<string, RegExp> = {
  'no-yield': /^scenario error: role 'writer' \(writer0\) of \S*forgot-yield\.ts ended having made 2 ops it never ran \(a lock, unlock or READ_ONCE\/WRITE_ONCE op called without yield\* does nothing/,
  twice: /^scenario error: role 'writer' \(writer0\) of \S*forgot-yield\.ts ran 1 op a second time \(an op runs once, under its own yield\*/,
  swap: /^scenario error: role 'writer' \(writer0\) of \S*forgot-yield\.ts ran 1 op a second time/,
  'no-star': /^scenario error: role 'plain' \(plain0\) of \S*forgot-yield\.ts threw: TypeError: run\(\) returned undefined, not a generator: write it as \*run\(/,
};

describe('an op the role made but did not run under its own yield*', () => {
  for (const mode of ['sim', 'threads'] as const) {
    for (const variant of ['no-yield', 'twice', 'swap', 'no-star']) {
      it(`${mode}: ${variant} is the scenario's error, never a verdict`, async () => {
        const r = await run({ scenario, variant, params: {}, mode, seed: 1, executions: 20, timeMs: null, threads, sim });
        expect([r.observed, r.harnessError, r.violation, exitCodeOf(r)]).toEqual(['scenario-error', null, null, 3]);
        expect(r.scenarioError?.where).toBe('role');
        expect(r.scenarioError?.line).toMatch(said[variant]);
      }, 60_000);
    }
    for (const variant of ['right', 'held-later', 'from-setup', 'op-role']) {
      it(`${mode}: ${variant} is clean`, async () => {
        const r = await run({ scenario, variant, params: {}, mode, seed: 1, executions: 20, timeMs: null, threads, sim });
        expect([r.observed, r.scenarioError ?? null, exitCodeOf(r)]).toEqual(['ok', null, 0]);
      }, 60_000);
    }
  }
});
