/**
 * Threads mode by vCPU count: start-up (a fresh pool, first execution of 1 fault per
 * vCPU; the median of several fresh pools) beside Node's own floor (the same number of
 * bare worker threads that start and exit), and modeled faults per second once started
 * (48,000 faults per execution split over the vCPUs, the pool warm), shrinker-vs-fault
 * `removed`, default jitter.
 *   npx tsx bench/vcpus.ts [executions-per-row]
 */
import { Worker } from 'node:worker_threads';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

export const VCPU_COUNTS = [2, 4, 8, 16, 24];
const TOTAL_FAULTS = 48_000;
const STARTS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** How long `n` worker threads that do nothing take to start and exit: Node's floor. */
async function bareWorkersMs(n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise((done) => new Worker('', { eval: true }).once('exit', done))));
  return performance.now() - t0;
}

export async function benchVcpus(executions: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const rows = [
    `| vCPUs | start-up, ms (median of ${STARTS}) | bare worker threads, ms | faults/s (all vCPUs) | vs 2 vCPUs |`,
    '|---:|---:|---:|---:|---:|',
  ];
  let base = 0;
  for (const vcpus of VCPU_COUNTS) {
    const starts: number[] = [];
    for (let s = 0; s < STARTS; s++) {
      const fresh = new ThreadsExecutor();
      try {
        const t0 = performance.now();
        await fresh.execute(sc, { ...sc.def.params, vcpus, faults: 1 }, 'removed', 0);
        starts.push(performance.now() - t0);
      } finally {
        await fresh.close();
      }
    }
    const floors: number[] = [];
    for (let s = 0; s < STARTS; s++) floors.push(await bareWorkersMs(vcpus));
    const threads = new ThreadsExecutor();
    try {
      const p = { ...sc.def.params, vcpus, faults: TOTAL_FAULTS / vcpus };
      await threads.execute(sc, p, 'removed', 1); // start the workers and warm their JIT
      let faults = 0;
      const t0 = performance.now();
      for (let k = 0; k < executions; k++) {
        const r = await threads.execute(sc, p, 'removed', 2 + k);
        if (r.violation || r.harnessError || r.incomplete) throw new Error(`vcpus=${vcpus}: ${r.violation?.message ?? r.harnessError ?? r.incomplete?.note}`);
        faults += r.stats.vcpu?.faults ?? 0;
      }
      const rate = faults / ((performance.now() - t0) / 1000);
      if (vcpus === 2) base = rate;
      rows.push(`| ${vcpus} | ${median(starts).toFixed(0)} | ${median(floors).toFixed(0)} | ${rate.toFixed(0)} | ${(rate / base).toFixed(2)} |`);
    } finally {
      await threads.close();
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchVcpus(Number(process.argv[2] ?? 5))).join('\n'));
}
