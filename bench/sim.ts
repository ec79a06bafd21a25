/**
 * Sim throughput on shrinker-vs-fault: scheduled ops per second (every generator
 * resume the scheduler makes) and executions per second, default params.
 *   npx tsx bench/sim.ts [seconds-per-variant]
 */
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { loadScenario } from '../src/scenarios.js';

export async function benchSim(seconds: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const rows = ['| variant | executions/s | scheduled ops/s | traced ops/s | ops per execution |', '|---|---:|---:|---:|---:|'];
  for (const variant of ['removed', 'cache-lock']) {
    const strategy = new RandomStrategy();
    for (let seed = 0; seed < 50; seed++) simExecution(sc.def, sc.def.params, variant, seed, strategy); // warm up
    let executions = 0;
    let scheduled = 0;
    let traced = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const r = simExecution(sc.def, sc.def.params, variant, 1000 + executions, strategy);
      executions++;
      scheduled += r.scheduled ?? 0;
      traced += r.steps;
    }
    const s = (performance.now() - t0) / 1000;
    rows.push(
      `| ${variant} | ${(executions / s).toFixed(0)} | ${(scheduled / s / 1e6).toFixed(2)} M | ${(traced / s / 1e6).toFixed(2)} M | ${(scheduled / executions).toFixed(0)} |`,
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchSim(Number(process.argv[2] ?? 5))).join('\n'));
}
