/**
 * Executions and wall time to the first violation, random against pct, over 20 seeds
 * (each seed starts its own run), for shrinker-vs-fault's cache bugs with a rare kswapd.
 *   npx tsx bench/strategies.ts [seeds] [shrinkEvery]
 */
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import type { StrategySpec } from '../src/exec/strategy.js';
import { loadScenario } from '../src/scenarios.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

export async function benchStrategies(seeds: number, shrinkEvery: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const sim = new SimExecutor();
  const rows = [
    `| variant (shrinkEvery ${shrinkEvery}) | strategy | found in | executions: median, worst | time: median, worst |`,
    '|---|---|---:|---:|---:|',
  ];
  const strategies: StrategySpec[] = [{ name: 'random' }, { name: 'pct', depth: 3 }];
  try {
    for (const variant of ['no-cache-lock', 'lock-after-topup']) {
      for (const strategy of strategies) {
        const execs: number[] = [];
        const ms: number[] = [];
        let found = 0;
        for (let s = 1; s <= seeds; s++) {
          const r = await run({ scenario: sc, variant, params: { ...sc.def.params, shrinkEvery }, mode: 'sim', seed: s * 100_000, executions: 5000, timeMs: null, sim, strategy });
          if (r.violation) found++;
          execs.push(r.executions);
          ms.push(r.firstViolationMs ?? r.elapsedMs);
        }
        const name = strategy.name === 'pct' ? `pct, depth ${strategy.depth}` : 'random';
        rows.push(
          `| ${variant} | ${name} | ${found} of ${seeds} | ${median(execs)}, ${Math.max(...execs)} | ${(median(ms) / 1000).toFixed(2)} s, ${(Math.max(...ms) / 1000).toFixed(2)} s |`,
        );
      }
    }
  } finally {
    await sim.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchStrategies(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 1000))).join('\n'));
}
