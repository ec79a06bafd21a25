/**
 * What a finding means on a host: how often an execution hits it when the rare events
 * come at their host rates (one opportunity in N, each independent), not where forced
 * placement put them.
 *
 * Under forced placement each execution carries its weight w = p_host / p_mixture of what
 * was decided about its rare events (exec/rare.ts); the scheduling and every other draw
 * are the same under both, so they cancel. The mean of w * [the execution hit the bug]
 * over n executions is an unbiased estimate of the host's per-execution probability
 * (importance sampling), and its 95% interval is the mean +- 1.96 standard errors of that
 * weighted sample (the normal approximation, rough when few executions hit). Under
 * sampled rare events the weights are all 1 and this is the plain hit rate, with a Wilson
 * interval.
 *
 * The probability is per execution of this scenario at these parameters (its faults, its
 * vCPUs) under the run's strategy: a host's interleavings are not the sim's.
 */
import type { LoadedScenario } from '../load/scenarios.js';
import type { RunConfig } from './config.js';
import type { Executor } from './executor.js';
import type { RunLimits } from './limits.js';
import type { RareEventSeen, RareNote } from './rare.js';
import { seedsLeft } from './seeds.js';
import { grouped } from '../report/numbers.js';

export interface HostRate {
  /** forced: importance-weighted forced executions; sampled: plain executions at the host rates. */
  method: 'forced' | 'sampled';
  /** The violation kind counted as a hit (the finding's). */
  kind: string;
  executions: number;
  /** Executions that hit it. */
  hits: number;
  /** The estimated probability that one execution hits it at the host rates, with its 95% interval. */
  probability: number;
  low: number;
  high: number;
  /** 1 / probability, and the interval's ends as "1 in N" (null: unbounded, the interval reaches 0). */
  oneIn: number | null;
  oneInLow: number | null;
  oneInHigh: number | null;
  /** The rare events and their host rates, as the executions met them. */
  events: { name: string; what: string; per: string; param: string; every: number }[];
  /** How the interval was computed, in words. */
  interval: string;
}

/** One execution of the estimate: its rare events (absent: it met none) and whether it hit. */
export interface HostSample {
  rare?: RareNote;
  hit: boolean;
}

const Z = 1.96;

export function hostRate(samples: HostSample[], kind: string, method: HostRate['method']): HostRate {
  const n = samples.length;
  const events = new Map<string, RareEventSeen>();
  for (const s of samples) for (const [k, e] of Object.entries(s.rare?.events ?? {})) if (!events.has(k)) events.set(k, e);
  const hits = samples.filter((s) => s.hit).length;
  let probability: number;
  let low: number;
  let high: number;
  let interval: string;
  if (method === 'forced') {
    const x = samples.map((s) => (s.hit ? Math.exp(s.rare?.logWeight ?? 0) : 0));
    probability = x.reduce((a, b) => a + b, 0) / Math.max(1, n);
    const variance = n > 1 ? x.reduce((a, b) => a + (b - probability) ** 2, 0) / (n - 1) : 0;
    const se = Math.sqrt(variance / Math.max(1, n));
    low = Math.max(0, probability - Z * se);
    high = Math.min(1, probability + Z * se);
    interval = 'normal, from the weighted sample variance';
  } else {
    // Wilson's score interval of a binomial proportion
    const ph = hits / Math.max(1, n);
    const d = 1 + (Z * Z) / n;
    const centre = (ph + (Z * Z) / (2 * n)) / d;
    const half = (Z * Math.sqrt((ph * (1 - ph)) / n + (Z * Z) / (4 * n * n))) / d;
    probability = ph;
    low = Math.max(0, centre - half);
    high = Math.min(1, centre + half);
    interval = 'Wilson score';
  }
  const inv = (p: number) => (p > 0 ? 1 / p : null);
  return {
    method,
    kind,
    executions: n,
    hits,
    probability,
    low,
    high,
    oneIn: inv(probability),
    oneInLow: inv(high),
    oneInHigh: inv(low),
    events: [...events.values()].map((e) => ({ name: e.event.name, what: e.event.what, per: e.event.per, param: e.event.param, every: e.every })),
    interval,
  };
}

/** "1,234" or "1.5" (a "1 in N" figure: whole above 10). */
function inN(x: number): string {
  return x >= 10 ? grouped(Math.round(x)) : x.toFixed(1);
}

/** The report's line: "with kswapd woken once in 1000 cache topups (shrinkEvery=1000), about 1 execution in N hits this ...". */
export function hostRateLine(h: HostRate): string {
  const rates = h.events.map((e) => `${e.what} once in ${e.every} ${e.per} (${e.param}=${e.every})`).join(' and ');
  const how =
    h.method === 'forced'
      ? `importance-weighted over ${h.executions} forced-placement executions, ${h.hits} of which hit it; interval ${h.interval}`
      : `${h.hits} of ${h.executions} executions at the host rates hit it; interval ${h.interval}`;
  // no hit: the estimate is 0 with no spread, which says only that the bug is rarer than this many executions can show
  if (h.oneIn === null) return `host rate: with ${rates}, none of ${h.executions} executions hit this ${h.kind}: too rare to estimate from ${h.executions} (raise --host-rate; ${how})`;
  const range = h.oneInHigh === null ? `up to 1 in ${h.oneInLow === null ? '?' : inN(h.oneInLow)}, down to 0` : `1 in ${h.oneInLow === null ? '?' : inN(h.oneInLow)} to 1 in ${inN(h.oneInHigh)}`;
  return `host rate: with ${rates}, about 1 execution in ${inN(h.oneIn)} hits this ${h.kind} (95% interval ${range}; ${how})`;
}

/** The rare events of a sim run (RunResult.rare): how they happened, and what a finding means at the host rates. */
export interface RareSummary {
  mode: 'forced' | 'sampled';
  /** forced: the placements of each event per execution, and the horizons they were drawn over. */
  placements?: number | null;
  horizons?: Record<string, number>;
  /** The rare events the executions met, with their host rates. */
  events: HostRate['events'];
  /** The finding's execution: the rare events that happened in it, [event, opportunity]. */
  findingPlaced?: [string, number][];
  /** After a finding: how often it comes at the host rates. */
  hostRate?: HostRate;
}

/**
 * The host-rate estimate of a finding of `kind`: the run's configuration again from its
 * first seed, over `req.rare.hostRate` executions on one worker, every execution to its
 * verdict (a finding ends nothing), none shrunk.
 */
export async function estimateHostRate(executor: Executor, req: RunConfig, sc: LoadedScenario, kind: string, limits: RunLimits): Promise<HostRate> {
  const samples: HostSample[] = [];
  const n = Math.min(req.rare.hostRate, seedsLeft(req.seed));
  const c: RunConfig = { ...req, jobs: 1, executions: n, timeMs: null, shrink: false, rare: { ...req.rare, estimating: true } };
  await executor.run(c, sc, {
    limits,
    take: (r) => {
      if (r.incomplete || r.harnessError || r.scenarioError || r.pruned) return;
      samples.push({ rare: r.rare, hit: r.violation?.kind === kind });
    },
    another: () => samples.length < n && !limits.abort?.aborted,
  });
  return hostRate(samples, kind, req.rare.mode);
}
