/**
 * Executions and wall time to the first violation, random against pct (depth 3), for every
 * bug variant of every built-in scenario (a variant whose expect is not 'ok'), with its
 * rare events set as a real host has them rather than wide open (RARE below). Each seed
 * starts its own run (seeds 100000, 200000, ...), capped at `cap` executions; a run that
 * hits the cap is "not found within cap", and counts as more than cap in the median.
 *   npx tsx bench/strategies.ts [seeds] [cap] [scenario,...]
 */
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import type { StrategySpec } from '../src/exec/strategy.js';
import { type Params, variantParams } from '../src/scenario.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';

/**
 * The rare-event settings, per scenario: each event a fraction of the guest's own work, at
 * the frequent end of what a host sees (a real host is rarer still; see the README).
 */
export const RARE: Record<string, Params> = {
  // one topup in 1000 finds memory below the low watermark and wakes kswapd
  'shrinker-vs-fault': { shrinkEvery: 1000 },
  // the page-zapping shrinker: one scan per 10000 of its steps (only under memory pressure)
  'zap-oldest': { shrinkEvery: 10_000 },
  'pte-list-desc': { shrinkEvery: 10_000 },
  // a memslot delete or move (kvm_mmu_zap_all_fast) once per 1000 faults
  'topup-minimums': { memslotEvery: 1000 },
  // a memslot update per 1000 faults, a dirty-log sync per 100 (a migration's passes, on the frequent side)
  'lazy-rmaps': { memslotEvery: 1000, dirtyLogEvery: 100 },
  // a dirty-logging toggle (a migration starting or ending) per 1000 guest accesses
  'arm64-memcache': { toggleEvery: 1000 },
  // a memslot update per 1000 faults, and the first nested entry at a fault with probability 1/1000
  'kvm-lock-order': { memslotEvery: 1000, nestedEvery: 1000 },
};

const STRATEGIES: StrategySpec[] = [{ name: 'random' }, { name: 'pct', depth: 3 }];

/** The median of `xs`, where null stands for "not found within the cap" (above every number). */
function median(xs: (number | null)[]): number | null {
  const s = [...xs].sort((a, b) => (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY));
  return s[Math.floor((s.length - 1) / 2)];
}
const worst = (xs: (number | null)[]) => (xs.includes(null) ? null : Math.max(...(xs as number[])));

const setting = (p: Params) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export async function benchStrategies(seeds: number, cap: number, only?: string[]): Promise<string[]> {
  const sim = new SimExecutor();
  const rows = [
    `| scenario / variant | rare events | strategy | found in | executions: median, worst | time: median, worst |`,
    '|---|---|---|---:|---:|---:|',
  ];
  const started = performance.now();
  try {
    for (const name of builtinNames()) {
      if (only && !only.includes(name)) continue;
      const sc = await loadScenario(name);
      // warm-up, untimed: the sim worker loads the scenario's module on its first run
      const first = Object.keys(sc.def.variants)[0];
      await run({ scenario: sc, variant: first, params: variantParams(sc.def, first), mode: 'sim', seed: 1, executions: 1, timeMs: null, sim });
      for (const [variant, v] of Object.entries(sc.def.variants)) {
        if (v.expect === 'ok') continue;
        const params = { ...variantParams(sc.def, variant), ...RARE[name] };
        for (const strategy of STRATEGIES) {
          const execs: (number | null)[] = [];
          const ms: (number | null)[] = [];
          let found = 0;
          const other = new Set<string>();
          for (let s = 1; s <= seeds; s++) {
            const r = await run({ scenario: sc, variant, params, mode: 'sim', seed: s * 100_000, executions: cap, timeMs: null, sim, strategy, shrink: false }); // time to the finding, not to its shrinking
            if (r.harnessError || r.incomplete) throw new Error(`${name} / ${variant} seed ${s * 100_000}: ${r.harnessError ?? r.incomplete?.limit}`);
            const hit = r.violation !== null && r.observed === v.expect;
            if (r.violation && !hit) other.add(r.observed);
            if (hit) found++;
            execs.push(hit ? r.executions : null);
            ms.push(hit ? r.firstViolationMs : null);
          }
          const n = (x: number | null) => (x === null ? `> ${cap}` : String(x));
          const t = (x: number | null) => (x === null ? 'not found' : `${(x / 1000).toFixed(2)} s`);
          const strat = strategy.name === 'pct' ? `pct, depth ${strategy.depth}` : 'random';
          const rare = setting(RARE[name] ?? {}) || '-';
          rows.push(
            `| ${name} / ${variant} | ${rare} | ${strat} | ${found} of ${seeds}${other.size ? ` (others found ${[...other].join(', ')})` : ''} | ${n(median(execs))}, ${n(worst(execs))} | ${t(median(ms))}, ${t(worst(ms))} |`,
          );
        }
      }
    }
  } finally {
    await sim.close();
  }
  rows.push('', `(${seeds} seeds per row, at most ${cap} executions each; the whole bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[4]?.split(',');
  console.log((await benchStrategies(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 20_000), only)).join('\n'));
}
