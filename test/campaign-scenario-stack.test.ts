/**
 * A campaign row whose scenario threw keeps the scenario's error as `run` prints it: the
 * line naming the file:line of the throw, then the stack in the scenario's own frames,
 * without the harness's (its executors, runtime, workers, dependencies). The results file,
 * the text table's detail, JUnit and HTML all show that record.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../src/api.js';

const FILE = join(import.meta.dirname, 'fixtures', 'throws.ts');

describe("a campaign row's scenario error", () => {
  it('in sim and threads: the line and the scenario frames, no harness frame', async () => {
    const c = await runCampaign({ scenarios: [FILE], variants: ['role', 'setup'], modes: ['sim', 'threads'], threadsTime: '500ms', jobs: 1 });
    if (c.error) throw new Error(c.error.message);
    expect(c.records.map((r) => r.status)).toEqual(['scenario-error', 'scenario-error', 'scenario-error', 'scenario-error']);
    for (const r of c.records) {
      const lines = (r.scenarioError ?? '').split('\n');
      expect(lines[0]).toMatch(/^scenario error: (role 'vcpu' \(vcpu1\)|setup\(\)) threw at test\/fixtures\/throws\.ts:\d+:\d+: /);
      expect(lines.some((l) => /^\s+at Object\.(run|setup) \(.*test\/fixtures\/throws\.ts:\d+:\d+\)$/.test(l)), lines.join('\n')).toBe(true);
      expect(lines.filter((l) => /src\/(exec|rt|load)\/|workers\/[\w-]+\.mjs|node_modules|<anonymous>/.test(l))).toEqual([]);
    }
  }, 120_000);
});
