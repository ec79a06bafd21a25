/**
 * `mmu-stress --help` is the synopsis a newcomer reads first (docs/usage.md copies it): each
 * command's line must show what the command takes. The strategy flags are left to
 * `run --help` (the line says so), each of them named there by the strategy it serves.
 */
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_SPEC } from '../src/cli/campaign.js';
import { LIST_SPEC } from '../src/cli/list.js';
import { USAGE } from '../src/cli/main.js';
import { RUN_SPEC } from '../src/cli/run.js';

/** The top-level usage of one command: its line and the lines continuing it. */
function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const first = lines.findIndex((l) => l.startsWith(`  mmu-stress ${command} `));
  expect(first).toBeGreaterThan(-1);
  let last = first + 1;
  while (last < lines.length && /^ {10,}\[/.test(lines[last])) last++;
  return lines.slice(first, last).join('\n');
}

/** Flags that `[strategy flags: run --help]` stands for: their help starts with the strategy's name. */
const STRATEGY_FLAG = /^(pct|dfs|urw|forced):/;

describe('the top-level usage', () => {
  it('shows that list and campaign take scenarios, as their own --help does', () => {
    for (const spec of [LIST_SPEC, CAMPAIGN_SPEC]) {
      expect(spec.optional?.name).toBe('scenario');
      expect(usageOf(spec.name)).toContain(`mmu-stress ${spec.name} [SCENARIO...]`);
    }
  });

  it("names every flag of run and campaign but the strategies' own", () => {
    for (const spec of [RUN_SPEC, CAMPAIGN_SPEC]) {
      const line = usageOf(spec.name);
      const missing = Object.entries(spec.flags)
        .filter(([name, f]) => name !== 'help' && !STRATEGY_FLAG.test(f.help))
        .map(([name]) => `--${name}`)
        .filter((flag) => !new RegExp(`\\[${flag}[ \\]]`).test(line));
      expect(missing).toEqual([]);
    }
  });
});
