/**
 * The peer benchmark's measurements, one function per tool and question. bench/peer.ts
 * bundles this file (both tools and the race in one esbuild bundle, as the CLI bundles a
 * scenario for its sim workers) and runs it; nothing here is run from the TypeScript
 * sources, so neither side pays for a loader the other does not.
 */
import fc from 'fast-check';
import { simExecution } from '../../src/exec/sim.js';
import { RandomStrategy } from '../../src/exec/strategies/random.js';
import { EmptyUnderLock, race as fastCheckRace } from './fast-check-race.js';
import raceScenario from './race-scenario.js';

export const fastCheckVersion = fc.__version;

const strategy = new RandomStrategy();
let nextSeed = 1000;

/** mmu-stress sim, one thread: clean executions of the trylock race per second over `ms`. */
export function oursRate(ms: number): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const r = simExecution(raceScenario, raceScenario.params, 'trylock', nextSeed++, strategy);
    if (r.violation) throw new Error(`mmu-stress: the trylock race failed: ${r.violation.message}`);
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

let fcSeed = 1;

/** fast-check's scheduler: clean executions of the trylock race per second over `ms`. */
export async function theirsRate(ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const r = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => fastCheckRace(s, 'trylock')), { numRuns: 50, seed: fcSeed++ });
    if (r.failed) throw new Error(`fast-check: the trylock race failed: ${r.errorInstance}`);
    n += r.numRuns;
  }
  return (n * 1000) / (performance.now() - t0);
}

export interface First {
  executions: number;
  ms: number;
}

/** mmu-stress: executions and time until the no-lock race's first violation, from seed k * 100,000. */
export function oursFirst(k: number): First {
  const t0 = performance.now();
  for (let e = 1; ; e++) {
    const r = simExecution(raceScenario, raceScenario.params, 'no-lock', k * 100_000 + e, strategy);
    if (r.violation) return { executions: e, ms: performance.now() - t0 };
  }
}

/** fast-check: the same, from fast-check seed `seed`. */
export async function theirsFirst(seed: number): Promise<First> {
  const t0 = performance.now();
  const r = await fc.check(fc.asyncProperty(fc.scheduler(), (s) => fastCheckRace(s, 'no-lock')), { numRuns: 100_000, seed, endOnFailure: true });
  if (!r.failed || !(r.errorInstance instanceof EmptyUnderLock)) throw new Error('fast-check did not find the race');
  return { executions: r.numRuns, ms: performance.now() - t0 };
}
