/**
 * Per-execution overhead of the threads executor: one reused piscina pool versus a
 * fresh pool (fresh worker threads) for every execution. The execution itself is
 * tiny (shrinker-vs-fault, removed, 1 fault per vCPU), so the time is the overhead.
 *   npx tsx bench/pool.ts [executions]
 */
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';

export async function benchPool(executions: number): Promise<string[]> {
  const sc = await loadScenario('shrinker-vs-fault');
  const p = { ...sc.def.params, faults: 1 };
  const reused = new ThreadsExecutor();
  await reused.execute(sc, p, 'removed', 0);
  let t0 = performance.now();
  for (let k = 1; k <= executions; k++) await reused.execute(sc, p, 'removed', k);
  const reusedMs = (performance.now() - t0) / executions;
  await reused.close();
  const fresh = Math.max(5, Math.floor(executions / 20));
  t0 = performance.now();
  for (let k = 1; k <= fresh; k++) {
    const once = new ThreadsExecutor();
    await once.execute(sc, p, 'removed', k);
    await once.close();
  }
  const freshMs = (performance.now() - t0) / fresh;
  return [
    '| pool | executions | ms per execution |',
    '|---|---:|---:|',
    `| reused (one pool for the run) | ${executions} | ${reusedMs.toFixed(2)} |`,
    `| fresh workers every execution | ${fresh} | ${freshMs.toFixed(2)} |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchPool(Number(process.argv[2] ?? 500))).join('\n'));
}
