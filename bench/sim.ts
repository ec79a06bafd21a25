/**
 * Sim throughput: scheduled ops per second (every generator resume the scheduler makes)
 * and executions per second, default params, for shrinker-vs-fault's clean variants and
 * the clean variants of the other scenarios.
 *   npx tsx bench/sim.ts [seconds-per-variant]
 */
import { newLockGraph } from '../src/sync/lockdep-graph.js';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { loadScenario } from '../src/load/scenarios.js';

export async function benchSim(seconds: number): Promise<string[]> {
  const rows = ['| scenario / variant | executions/s | scheduled ops/s | traced ops/s | ops per execution |', '|---|---:|---:|---:|---:|'];
  const rowsOf: [string, string][] = [
    ['shrinker-vs-fault', 'removed'],
    ['shrinker-vs-fault', 'cache-lock'],
    ['lazy-rmaps', 'merged'],
    ['arm64-memcache', 'mainline'],
  ];
  for (const [name, variant] of rowsOf) {
    const sc = await loadScenario(name);
    const strategy = new RandomStrategy();
    const lockGraph = newLockGraph(sc.def, 1000); // one lockdep graph per run, as runs have it
    for (let seed = 0; seed < 50; seed++) simExecution(sc.def, sc.def.params, variant, seed, strategy); // warm up
    let executions = 0;
    let scheduled = 0;
    let traced = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const r = simExecution(sc.def, sc.def.params, variant, 1000 + executions, strategy, { lockGraph });
      executions++;
      scheduled += r.scheduled ?? 0;
      traced += r.steps;
    }
    const s = (performance.now() - t0) / 1000;
    rows.push(
      `| ${name} / ${variant} | ${(executions / s).toFixed(0)} | ${(scheduled / s / 1e6).toFixed(2)} M | ${(traced / s / 1e6).toFixed(2)} M | ${(scheduled / executions).toFixed(0)} |`,
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchSim(Number(process.argv[2] ?? 5))).join('\n'));
}
