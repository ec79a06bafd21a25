/**
 * A violation a role of a user's scenario file raised names the file's own lines it was
 * raised under (the call that found it and its callers in the file), as the kernel's
 * warnings name their caller; a built-in scenario's reports stay as they were.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

const FILE = join(import.meta.dirname, 'fixtures', 'double-unlock.ts');
const lines = readFileSync(FILE, 'utf8').split('\n');
const lineOf = (mark: string) => lines.findIndex((l) => l.endsWith(`// ${mark}`)) + 1;
const sim = new SimExecutor();
const threads = new ThreadsExecutor();
afterAll(async () => {
  await sim.close();
  await threads.close();
});

describe("a violation names the scenario's own lines", () => {
  it('sim: the call that found it and its caller in the file, and no raw stack in the result', async () => {
    const scenario = await loadScenario(FILE);
    const r = await run({ scenario, variant: 'twice', params: {}, mode: 'sim', seed: 1, executions: 5, timeMs: null, threads, sim });
    expect(r.observed).toBe('lock-not-held');
    expect(r.violation?.details.at(-1)).toBe(
      `raised under test/fixtures/double-unlock.ts:${lineOf('UNLOCK')}:10, called from test/fixtures/double-unlock.ts:${lineOf('SECOND')}:16 (the scenario's own code)`,
    );
    expect(r.violation).not.toHaveProperty('stack');
  }, 60_000);

  it('a built-in scenario: no such line, no raw stack', async () => {
    const scenario = await loadScenario('shrinker-vs-fault');
    const r = await run({ scenario, variant: 'no-cache-lock', params: { ...scenario.def.params }, mode: 'sim', seed: 1, executions: 200, timeMs: null, threads, sim });
    expect(r.observed).toBe('cache-empty-under-lock');
    expect(r.violation?.details.some((d) => d.startsWith('raised under'))).toBe(false);
    expect(r.violation).not.toHaveProperty('stack');
  }, 60_000);
});
