/**
 * Threads mode by vCPU count: start-up (a fresh pool, first execution of 1 fault per
 * vCPU) and modeled faults per second once started (48,000 faults per execution split
 * over the vCPUs, the pool warm), shrinker-vs-fault `removed`, default jitter.
 *   npx tsx bench/vcpus.ts [executions-per-row]
 */
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/scenarios.js';

export const VCPU_COUNTS = [2, 4, 8, 16, 24];
const TOTAL_FAULTS = 48_000;

export async function benchVcpus(executions: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const rows = ['| vCPUs | start-up, ms | faults/s (all vCPUs) | vs 2 vCPUs |', '|---:|---:|---:|---:|'];
  let base = 0;
  for (const vcpus of VCPU_COUNTS) {
    const threads = new ThreadsExecutor();
    try {
      let t0 = performance.now();
      await threads.execute(sc, { ...sc.def.params, vcpus, faults: 1 }, 'removed', 0);
      const startMs = performance.now() - t0;
      const p = { ...sc.def.params, vcpus, faults: TOTAL_FAULTS / vcpus };
      await threads.execute(sc, p, 'removed', 1); // warm the workers' JIT
      let faults = 0;
      t0 = performance.now();
      for (let k = 0; k < executions; k++) {
        const r = await threads.execute(sc, p, 'removed', 2 + k);
        if (r.violation || r.harnessError || r.incomplete) throw new Error(`vcpus=${vcpus}: ${r.violation?.message ?? r.harnessError ?? r.incomplete?.note}`);
        faults += r.stats.vcpu?.faults ?? 0;
      }
      const rate = faults / ((performance.now() - t0) / 1000);
      if (vcpus === 2) base = rate;
      rows.push(`| ${vcpus} | ${startMs.toFixed(0)} | ${rate.toFixed(0)} | ${(rate / base).toFixed(2)} |`);
    } finally {
      await threads.close();
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchVcpus(Number(process.argv[2] ?? 5))).join('\n'));
}
