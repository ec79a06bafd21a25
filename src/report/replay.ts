/** The command line that replays a violation: same scenario, variant, mode, params and seed. */
import type { Mode, RunResult } from '../exec/run.js';
import { strategyEntry } from '../exec/strategies/index.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { shellQuote } from './invocation.js';
import { paramText } from '../scenario.js';
import { variantParams } from '../scenario.js';

/** How a threads finding's seed run again on the cores is labelled: not a replay (the cores choose the interleaving). */
export const RERUN_LABEL = 're-run on threads (the cores choose the interleaving; it need not meet the bug again)';

/**
 * How a sim finding replays as it was reported: by the token of its schedule where the seed
 * alone would not give that schedule (it was shrunk, or its shrinking stopped short at the
 * budget) and for any finding of a strategy that explores one seed's schedules (dfs); else by its seed, with --no-shrink where it was not
 * shrunk on purpose (the seed would shrink it). A schedule with nothing to drop shrinks to itself.
 */
export function findingReplay(r: RunResult): { token?: string; extra: string[] } {
  const s = r.shrink;
  if (!s || r.mode !== 'sim') return { extra: [] };
  if (r.strategy !== undefined && strategyEntry(r.strategy)?.oneSeed) return { token: s.token, extra: [] };
  if (s.asFound === '--no-shrink') return { extra: ['--no-shrink'] };
  if (s.asFound === 'nothing to drop') return { extra: [] };
  return { token: s.token, extra: [] };
}

/**
 * `prefix` runs the command (`npx mmu-stress`); the scenario is named as the user gave it
 * (a built-in name, or the path as typed, which resolves the same from the same
 * directory); `extra` carries flags that shaped the run beyond the params.
 */
export function replayCommand(prefix: string, sc: LoadedScenario, r: RunResult, seed: number, extra: string[] = [], mode: Mode = r.mode, schedule?: string): string {
  // a lock-order cycle that earlier executions helped close replays from the run's first seed
  const from = r.violation?.replayFrom !== undefined && r.violation.replayFrom < seed ? r.violation.replayFrom : seed;
  // a schedule token carries its seed and replays one execution
  // a strategy that explores one seed's schedules (dfs) replays by the whole search again: no --executions
  const strategy = extra.find((f) => f.startsWith('--strategy '));
  const dfs = strategy !== undefined && strategyEntry(strategy.slice('--strategy '.length))?.oneSeed === true;
  const which = schedule ? ['--schedule', schedule] : dfs ? ['--seed', String(seed)] : ['--seed', String(from), `--executions ${seed - from + 1}`];
  const parts = [prefix, 'run', shellQuote(sc.arg), '--variant', shellQuote(r.variant), '--mode', mode, ...which];
  const defaults = variantParams(sc.def, r.variant);
  for (const [k, v] of Object.entries(r.params)) if (defaults[k] !== v) parts.push('--param', shellQuote(`${k}=${paramText(sc.def, k, v)}`));
  return [...parts, ...extra].join(' ');
}
