/**
 * Executions to the first finding, per strategy, for every bug variant of every built-in
 * scenario (a variant whose expect is not 'ok'), at the scenario's defaults and at the rates
 * a real host has (RARE: each rare event thousands of faults apart, where the scenario
 * declares the parameter). Each cell runs from 20 first seeds, 1..10 and 100000*i (i = 1..10),
 * at most `--cap` executions each, with --no-shrink (the time to the finding, not to its
 * shrinking): a run that reaches the cap is a miss. The runs from seeds 1..10 share most of
 * their seeds (a run from seed 2 runs seeds 2, 3, ...), so for a strategy without history
 * (random, round-robin, pos) they are nearly the same run; the runs from 100000*i are
 * independent of each other.
 *
 * One run at a time, in this process (one sim worker): the machine may be shared. Every
 * finished cell is appended to `--out` (JSON lines) as it ends, and a cell already there is
 * not run again, so a stopped bench resumes; the table is printed from that file.
 *   npx tsx bench/strategies.ts [--out FILE] [--cap N] [--strategies random,pct2,...]
 *       [--settings defaults,realistic] [--only scenario[/variant],...] [--skip strategy@scenario/variant,...]
 *       [--table]
 * (--skip leaves cells out, to be run later: round-robin on a weak-memory variant costs the
 * whole cap in every seed, since its loads always return the newest store.)
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import type { StrategySpec } from '../src/exec/strategy.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';
import { type Params, variantParams } from '../src/scenario.js';

/** The realistic rates: every rare-event parameter a scenario declares, one event per 1000 of the guest's own. */
export const REALISTIC: Params = { dirtyLogEvery: 1000, memslotEvery: 1000, shrinkEvery: 1000, toggleEvery: 1000 };

/** The strategies compared, by the name a row gives them. */
export const STRATEGIES: Record<string, StrategySpec> = {
  random: { name: 'random' },
  pct2: { name: 'pct', depth: 2 },
  pct3: { name: 'pct', depth: 3 },
  'round-robin': { name: 'round-robin' },
  urw: { name: 'urw' },
  pos: { name: 'pos' },
  'random-sampled': { name: 'random' },
};
const LABEL: Record<string, string> = { pct2: 'pct, depth 2', pct3: 'pct, depth 3', 'random-sampled': 'random, rare events sampled (host-rate coins)' };
/** The rows whose rare events are the host-rate coins (`--rare sampled`); every other one places them (forced placement, the default since issue 21). */
const SAMPLED = new Set(['random-sampled']);

export const SEEDS = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => (i + 1) * 100_000)];

/** One cell: a variant at a setting under a strategy, from one first seed. */
export interface Cell {
  scenario: string;
  variant: string;
  setting: 'defaults' | 'realistic';
  strategy: string;
  seed: number;
  cap: number;
  /** Executions to the expected finding; null: none within the cap. */
  found: number | null;
  /** A violation of another kind ended the run (the bug found something else first). */
  other?: string;
  ms: number;
}

const key = (c: Pick<Cell, 'scenario' | 'variant' | 'setting' | 'strategy' | 'seed' | 'cap'>) => `${c.scenario}/${c.variant}/${c.setting}/${c.strategy}/${c.seed}/${c.cap}`;

/** The parameters of a setting: the variant's own, plus the realistic rates the scenario declares. */
function settingParams(defaults: Params, setting: Cell['setting']): Params | null {
  if (setting === 'defaults') return defaults;
  const rare = Object.fromEntries(Object.entries(REALISTIC).filter(([k]) => k in defaults));
  return Object.keys(rare).length === 0 ? null : { ...defaults, ...rare };
}

export async function benchStrategies(o: { out: string; cap: number; strategies: string[]; settings: Cell['setting'][]; only?: string[]; skip?: string[] }): Promise<void> {
  const done = new Set(readCells(o.out).map(key));
  const sim = new SimExecutor();
  try {
    for (const name of builtinNames()) {
      const sc = await loadScenario(name);
      for (const [variant, v] of Object.entries(sc.def.variants)) {
        if (v.expect === 'ok') continue;
        if (o.only && !o.only.some((x) => x === name || x === `${name}/${variant}`)) continue;
        for (const setting of o.settings) {
          const params = settingParams(variantParams(sc.def, variant), setting);
          if (!params) continue; // no rare event to set: the realistic row is the defaults row
          for (const strategy of o.strategies) {
            if (o.skip?.includes(`${strategy}@${name}/${variant}`)) continue;
            for (const seed of SEEDS) {
              const id = { scenario: name, variant, setting, strategy, seed, cap: o.cap };
              if (done.has(key(id))) continue;
              const started = performance.now();
              // no host-rate estimate after the finding: the time to the finding is what is measured
              const rare = { mode: SAMPLED.has(strategy) ? ('sampled' as const) : ('forced' as const), placements: null, horizons: null, hostRate: 0 };
              const r = await run({ scenario: sc, variant, params, mode: 'sim', seed, executions: o.cap, timeMs: null, sim, strategy: STRATEGIES[strategy], shrink: false, jobs: 1, rare });
              if (r.harnessError || r.scenarioError || r.incomplete) throw new Error(`${key(id)}: ${r.harnessError ?? r.incomplete?.limit ?? 'scenario error'}`);
              const hit = r.violation !== null && r.observed === v.expect;
              const cell: Cell = { ...id, found: hit ? r.executions : null, ms: Math.round(performance.now() - started) };
              if (r.violation && !hit) cell.other = r.observed;
              appendFileSync(o.out, `${JSON.stringify(cell)}\n`);
              process.stderr.write(`${key(id)}: ${cell.found ?? (cell.other ? `other ${cell.other}` : 'miss')} (${cell.ms} ms)\n`);
            }
          }
        }
      }
    }
  } finally {
    await sim.close();
  }
}

/** The cells of `file`, each once (a cell's result depends only on its key: a second run of it, from a bench started twice, is the same). */
export function readCells(file: string): Cell[] {
  if (!existsSync(file)) return [];
  const cells = new Map<string, Cell>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const c = JSON.parse(line) as Cell;
    if (!cells.has(key(c))) cells.set(key(c), c);
  }
  return [...cells.values()];
}

/** "median, worst, misses" of some runs; a miss counts as more than the cap (above every number). */
function summary(cells: Cell[], cap: number): string {
  if (cells.length === 0) return '';
  const xs = cells.map((c) => c.found ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const n = (x: number) => (Number.isFinite(x) ? String(x) : `>${cap}`);
  const misses = xs.filter((x) => !Number.isFinite(x)).length;
  // the median of an even count: the lower middle (a miss in it shows as >cap)
  return `${n(xs[Math.floor((xs.length - 1) / 2)])}, ${n(xs[xs.length - 1])}, ${misses}`;
}

/** The markdown table of every cell in `file`: one row per variant, setting and strategy. */
export function strategyTable(cells: Cell[]): string[] {
  const rows = [
    '| scenario / variant | rates | strategy | seeds 1..10: median, worst, misses | seeds 100000·i: median, worst, misses | all 20: median, misses |',
    '|---|---|---|---:|---:|---:|',
  ];
  const groups = new Map<string, Cell[]>();
  for (const c of cells) {
    const g = `${c.scenario}/${c.variant}\u0000${c.setting}\u0000${c.strategy}`;
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  const order = Object.keys(STRATEGIES);
  const sorted = [...groups.entries()].sort(([a], [b]) => {
    const [va, sa, ta] = a.split('\u0000');
    const [vb, sb, tb] = b.split('\u0000');
    return va.localeCompare(vb) || sa.localeCompare(sb) || order.indexOf(ta) - order.indexOf(tb);
  });
  for (const [g, cs] of sorted) {
    const [variant, setting, strategy] = g.split('\u0000');
    const cap = Math.max(...cs.map((c) => c.cap));
    const low = cs.filter((c) => c.seed <= 10);
    const high = cs.filter((c) => c.seed > 10);
    const others = [...new Set(cs.filter((c) => c.other).map((c) => c.other))];
    const all = summary(cs, cap).split(', ');
    rows.push(
      `| ${variant.replace('/', ' / ')}${others.length ? ` (other kinds found: ${others.join(', ')})` : ''} | ${setting} | ${LABEL[strategy] ?? strategy} | ${summary(low, cap)} | ${summary(high, cap)} | ${all[0]}, ${all[2]} of ${cs.length} |`,
    );
  }
  return rows;
}

/** Per strategy and setting, over the variants measured: runs, misses, runs that found another kind, and the largest and total of the variants' medians. */
export function strategySummary(cells: Cell[]): string[] {
  const rows = ['| strategy | rates | variants | runs | misses | another kind first | largest median | sum of medians |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const setting of ['defaults', 'realistic'] as const) {
    for (const strategy of Object.keys(STRATEGIES)) {
      const cs = cells.filter((c) => c.setting === setting && c.strategy === strategy);
      if (cs.length === 0) continue;
      const byVariant = new Map<string, Cell[]>();
      for (const c of cs) byVariant.set(`${c.scenario}/${c.variant}`, [...(byVariant.get(`${c.scenario}/${c.variant}`) ?? []), c]);
      const medians = [...byVariant.values()].map((v) => {
        const xs = v.map((c) => c.found ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
        return xs[Math.floor((xs.length - 1) / 2)];
      });
      const cap = Math.max(...cs.map((c) => c.cap));
      const largest = Math.max(...medians);
      const finite = medians.every(Number.isFinite);
      rows.push(
        `| ${LABEL[strategy] ?? strategy} | ${setting} | ${byVariant.size} | ${cs.length} | ${cs.filter((c) => c.found === null).length} | ${cs.filter((c) => c.other).length} | ${Number.isFinite(largest) ? largest : `>${cap}`} | ${finite ? medians.reduce((a, b) => a + b, 0) : 'a median past the cap'} |`,
      );
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'bench-strategies.jsonl' },
      cap: { type: 'string', default: '2000' },
      strategies: { type: 'string', default: Object.keys(STRATEGIES).join(',') },
      settings: { type: 'string', default: 'defaults,realistic' },
      only: { type: 'string' },
      skip: { type: 'string' },
      table: { type: 'boolean', default: false },
    },
  });
  const strategies = values.strategies.split(',');
  for (const s of strategies) if (!(s in STRATEGIES)) throw new Error(`--strategies: no '${s}' (${Object.keys(STRATEGIES).join(', ')})`);
  const settings = values.settings.split(',') as Cell['setting'][];
  for (const s of settings) if (s !== 'defaults' && s !== 'realistic') throw new Error(`--settings: defaults or realistic, not '${s}'`);
  if (!values.table) await benchStrategies({ out: values.out, cap: Number(values.cap), strategies, settings, only: values.only?.split(','), skip: values.skip?.split(',') });
  const cells = readCells(values.out).filter((c) => strategies.includes(c.strategy) && settings.includes(c.setting));
  console.log([...strategySummary(cells), '', ...strategyTable(cells)].join('\n'));
}
