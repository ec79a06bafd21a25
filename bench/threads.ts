/**
 * Threads throughput on shrinker-vs-fault: modeled faults per second, summed over the
 * vCPU workers, every oracle on. Long executions (faults=5000 per vCPU) so that the
 * per-execution start-up does not dominate; default params for comparison.
 *   npx tsx bench/threads.ts [seconds-per-row]
 */
import { DEFAULT_JITTER } from '../src/exec/drive.js';
import { THREADS_DEFAULTS, ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

export async function benchThreads(seconds: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const threads = new ThreadsExecutor();
  const rows = ['| variant | faults per vCPU per execution | jitter | faults/s (all vCPUs) | executions/s |', '|---|---:|---|---:|---:|'];
  try {
    for (const faults of [5000, sc.def.params.faults]) {
      for (const variant of ['removed', 'cache-lock']) {
        for (const jitter of [DEFAULT_JITTER, { ...DEFAULT_JITTER, prob: 0 }]) {
          const p = { ...sc.def.params, faults };
          const opts = { ...THREADS_DEFAULTS, drive: { ...THREADS_DEFAULTS.drive, jitter } };
          await threads.execute(sc, p, variant, 0, opts); // warm up the pool and the workers' JIT
          let n = 0;
          let done = 0;
          const t0 = performance.now();
          while (performance.now() - t0 < seconds * 1000) {
            const r = await threads.execute(sc, p, variant, ++n, opts);
            if (r.violation || r.harnessError) throw new Error(`${variant}: ${r.violation?.message ?? r.harnessError}`);
            done += r.stats.vcpu?.faults ?? 0;
          }
          const s = (performance.now() - t0) / 1000;
          rows.push(`| ${variant} | ${faults} | ${jitter.prob ? `${jitter.prob} (default)` : 'off'} | ${(done / s).toFixed(0)} | ${(n / s).toFixed(1)} |`);
        }
      }
    }
  } finally {
    await threads.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchThreads(Number(process.argv[2] ?? 5))).join('\n'));
}
