/**
 * The peer benchmark: the same minimal shrinker-vs-fault race written once with
 * fast-check's scheduler (bench/peer/fast-check-race.ts) and once as a scenario here
 * (bench/peer/race-scenario.ts), run side by side on one core: executions per second on
 * the correct variant, and executions and time to the first violation on the buggy one
 * (median and worst over `runs` seeds).
 *   npx tsx bench/peer.ts [seconds] [runs]
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { loadScenario } from '../src/scenarios.js';
import { EmptyUnderLock, race } from './peer/fast-check-race.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function fastCheckRate(seconds: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let seed = 1;
  while (performance.now() - t0 < seconds * 1000) {
    const r = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => race(s, 'trylock')), { numRuns: 50, seed: seed++ });
    if (r.failed) throw new Error(`fast-check: the trylock race failed: ${r.errorInstance}`);
    n += r.numRuns;
  }
  return (n * 1000) / (performance.now() - t0);
}

async function fastCheckFirst(seed: number): Promise<{ executions: number; ms: number }> {
  const t0 = performance.now();
  const r = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => race(s, 'no-lock')), { numRuns: 100_000, seed, endOnFailure: true });
  if (!r.failed || !(r.errorInstance instanceof EmptyUnderLock)) throw new Error('fast-check did not find the race');
  return { executions: r.numRuns, ms: performance.now() - t0 };
}

export async function benchPeer(seconds: number, runs: number): Promise<string[]> {
  const sc = await loadScenario(join(import.meta.dirname, 'peer', 'race-scenario.ts'));
  const strategy = new RandomStrategy();
  for (let s = 0; s < 200; s++) simExecution(sc.def, sc.def.params, 'trylock', s, strategy); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const r = simExecution(sc.def, sc.def.params, 'trylock', 1000 + n, strategy);
    if (r.violation) throw new Error(`mmu-stress: the trylock race failed: ${r.violation.message}`);
    n++;
  }
  const ours = (n * 1000) / (performance.now() - t0);
  await fastCheckRate(1); // warm up
  const theirs = await fastCheckRate(seconds);
  const first = { ours: [] as { executions: number; ms: number }[], theirs: [] as { executions: number; ms: number }[] };
  for (let k = 0; k < runs; k++) {
    const t1 = performance.now();
    let e = 0;
    for (;;) {
      e++;
      const r = simExecution(sc.def, sc.def.params, 'no-lock', k * 100_000 + e, strategy);
      if (r.violation) break;
    }
    first.ours.push({ executions: e, ms: performance.now() - t1 });
    first.theirs.push(await fastCheckFirst(k + 1));
  }
  const cell = (xs: { executions: number; ms: number }[]) =>
    `${median(xs.map((x) => x.executions))} / ${Math.max(...xs.map((x) => x.executions))} executions, ${median(xs.map((x) => x.ms)).toFixed(1)} / ${Math.max(...xs.map((x) => x.ms)).toFixed(1)} ms`;
  return [
    `| | executions/s (trylock, clean) | to the first violation (no-lock), median / worst of ${runs} |`,
    '|---|---:|---|',
    `| mmu-stress sim (one thread) | ${ours.toFixed(0)} | ${cell(first.ours)} |`,
    `| fast-check ${fc.__version} fc.scheduler() | ${theirs.toFixed(0)} | ${cell(first.theirs)} |`,
    `| ratio | ${(ours / theirs).toFixed(1)}x | |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await benchPeer(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 20))).join('\n'));
}
