/**
 * A scenario's own code that throws (a role, setup(), check()) is reported as the
 * scenario's error in both executors: observed scenario-error, exit 3 (no verdict), the
 * role and instance, the file:line in the scenario's source and the thrown message;
 * never a finding in the model, never "the harness itself failed".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import { cli } from './cli-helpers.js';

const FILE = join(import.meta.dirname, 'fixtures', 'throws.ts');
const throws = await loadScenario(FILE);
const threads = new ThreadsExecutor();
const sim = new SimExecutor();
afterAll(async () => {
  await threads.close();
  await sim.close();
});

/** The line of the fixture's `// THROWS <what>` marker. */
function lineOf(what: string): number {
  return readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.endsWith(`// THROWS ${what}`)) + 1;
}

const expected: Record<string, (line: number) => RegExp> = {
  role: (l) => new RegExp(`^scenario error: role 'vcpu' \\(vcpu1\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: TypeError: Cannot read properties of undefined \\(reading 'gfn'\\)$`),
  setup: (l) => new RegExp(`^scenario error: setup\\(\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: RangeError: no slots for this guest$`),
  check: (l) => new RegExp(`^scenario error: check\\(\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: Error: check\\(\\) found the world in a state it cannot read$`),
};

describe("a scenario's own throw is the scenario's error, in both executors", () => {
  for (const mode of ['sim', 'threads'] as const) {
    for (const variant of ['role', 'setup', 'check']) {
      it(`${mode}: ${variant}`, async () => {
        const r = await run({ scenario: throws, variant, params: {}, mode, seed: 1, executions: 2, timeMs: null, threads, sim });
        expect([r.observed, r.harnessError, r.violation, r.executions, exitCodeOf(r)]).toEqual(['scenario-error', null, null, 0, 3]);
        expect(r.scenarioError?.line).toMatch(expected[variant](lineOf(variant)));
        expect(r.scenarioError?.where).toBe(variant);
        expect(r.scenarioError?.file).toBe(FILE);
      }, 60_000);
    }
  }
});

describe('the command says so', () => {
  it('text: SCENARIO ERROR with the line and the stack in the scenario, exit 3, not HARNESS ERROR', () => {
    const r = cli(['run', 'test/fixtures/throws.ts', '--variant', 'role', '--executions', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('observed scenario-error');
    expect(r.out).toMatch(/^SCENARIO ERROR \(exit 3\): the scenario's own code threw, so there is no verdict/m);
    expect(r.out).toMatch(new RegExp(`^  scenario error: role 'vcpu' \\(vcpu1\\) threw at test/fixtures/throws\\.ts:${lineOf('role')}:\\d+: TypeError`, 'm'));
    expect(r.out).toMatch(new RegExp(`at Object\\.run \\(test/fixtures/throws\\.ts:${lineOf('role')}:\\d+\\)`));
    expect(r.out).not.toContain('HARNESS ERROR');
    expect(r.out).not.toContain('src/exec/'); // the harness's own frames are left out
  });

  it('--json: observed scenario-error with its own field; a setup() that always throws is error.kind scenario', () => {
    const r = cli(['run', 'test/fixtures/throws.ts', '--variant', 'check', '--mode', 'threads', '--executions', '1', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'scenario-error', harnessError: null, scenarioError: { where: 'check', thrown: 'Error: check() found the world in a state it cannot read' } });
    const always = cli(['run', 'test/fixtures/throws.ts', '--variant', 'setup-always', '--json']);
    expect(always.code).toBe(3);
    expect(JSON.parse(always.out)).toEqual({
      exitCode: 3,
      error: { kind: 'scenario', message: expect.stringMatching(new RegExp(`^scenario error: setup\\(\\) threw at test/fixtures/throws\\.ts:${lineOf('setup')}:\\d+: RangeError: no slots for this guest`)) },
    });
  });
});
