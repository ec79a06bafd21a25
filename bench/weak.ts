/**
 * What --memory weak costs: sim scheduled ops/s and executions/s under sc and weak,
 * side by side, for the variants that use marked accesses (lazy-rmaps) and one that
 * hardly does (shrinker-vs-fault); and the litmus runner's time for a directory.
 *   npx tsx bench/weak.ts [seconds-per-row] [litmus-dir]
 */
import { join } from 'node:path';
import { newLockGraph } from '../src/sync/lockdep-graph.js';
import { litmusFile } from '../src/cli/litmus.js';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { loadScenario } from '../src/load/scenarios.js';
import { readdirSync } from 'node:fs';

export async function benchWeak(seconds: number): Promise<string[]> {
  const rows = ['| scenario / variant | memory | executions/s | scheduled ops/s | weak / sc |', '|---|---|---:|---:|---:|'];
  for (const [name, variant] of [
    ['lazy-rmaps', 'merged'],
    ['shrinker-vs-fault', 'cache-lock'],
  ]) {
    const sc = await loadScenario(name);
    let scRate = 0;
    for (const memory of ['sc', 'weak'] as const) {
      const strategy = new RandomStrategy();
      const lockGraph = newLockGraph(sc.def, 1000);
      for (let seed = 0; seed < 20; seed++) simExecution(sc.def, sc.def.params, variant, seed, strategy, { memory }); // warm up
      let executions = 0;
      let scheduled = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        const r = simExecution(sc.def, sc.def.params, variant, 1000 + executions, strategy, { lockGraph, memory });
        executions++;
        scheduled += r.scheduled ?? 0;
      }
      const s = (performance.now() - t0) / 1000;
      const rate = scheduled / s;
      if (memory === 'sc') scRate = rate;
      rows.push(`| ${name} / ${variant} | ${memory} | ${(executions / s).toFixed(0)} | ${(rate / 1e6).toFixed(2)} M | ${memory === 'sc' ? '1' : (rate / scRate).toFixed(2)} |`);
    }
  }
  return rows;
}

export function benchLitmus(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.litmus'))
    .sort();
  const t0 = performance.now();
  let executions = 0;
  let supported = 0;
  for (const f of files) {
    const v = litmusFile(join(dir, f));
    if (v.executions !== undefined) {
      executions += v.executions;
      supported++;
    }
  }
  const ms = performance.now() - t0;
  return [`litmus: ${files.length} files (${supported} supported), ${executions} executions in ${(ms / 1000).toFixed(2)} s in-process`];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchWeak(Number(process.argv[2] ?? 5))).join('\n'));
  console.log(benchLitmus(process.argv[3] ?? join(import.meta.dirname, '..', 'test', 'litmus')).join('\n'));
}
