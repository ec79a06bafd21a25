/**
 * The model used outside a role (from setup() or check(), which no task runs) is the
 * scenario's error with its line, in both executors: never a silent pass in sim, where
 * `current` used to stay on the task that stepped last and a reportViolation() from
 * check() was dropped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

const FILE = join(import.meta.dirname, 'fixtures', 'outside-role.ts');
const scenario = await loadScenario(FILE);
const threads = new ThreadsExecutor();
const sim = new SimExecutor();
afterAll(async () => {
  await threads.close();
  await sim.close();
});

const lineOf = (what: string) => readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.endsWith(`// THROWS ${what}`)) + 1;

const thrown: Record<string, string> = {
  'report-in-check': "Error: reportViolation('invariant') outside a role's op: check() returns mainViolation(kind, message, details, step) instead",
  'current-in-check': 'TypeError: Cannot read properties of undefined',
};

describe('reportViolation() and current from check() are the scenario error', () => {
  for (const mode of ['sim', 'threads'] as const) {
    for (const variant of ['report-in-check', 'current-in-check']) {
      it(`${mode}: ${variant}`, async () => {
        const r = await run({ scenario, variant, params: {}, mode, seed: 1, executions: 2, timeMs: null, threads, sim });
        expect([r.observed, r.harnessError, r.violation, exitCodeOf(r)]).toEqual(['scenario-error', null, null, 3]);
        expect(r.scenarioError?.where).toBe('check');
        expect(r.scenarioError?.line).toContain(`threw at test/fixtures/outside-role.ts:${lineOf(variant)}:`);
        expect(r.scenarioError?.thrown).toContain(thrown[variant]);
      }, 60_000);
    }
  }
});
