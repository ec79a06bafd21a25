/** The command line that replays a violation: same scenario, variant, mode, params and seed. */
import type { Mode, RunResult } from '../exec/run.js';
import type { LoadedScenario } from '../scenarios.js';
import { shellQuote } from '../cli/invocation.js';
import { paramText } from '../cli/params.js';
import { variantParams } from '../scenario.js';

/**
 * The token that replays a sim finding exactly where its seed alone would not: a schedule
 * that was shrunk, or whose shrinking stopped short (the budget, --no-shrink), and any
 * dfs finding. The seed replays the rest (a schedule with nothing to drop shrinks to itself).
 */
export function findingToken(r: RunResult): string | undefined {
  const s = r.shrink;
  if (!s || r.mode !== 'sim') return undefined;
  return s.asFound === 'nothing to drop' && r.dfs === undefined ? undefined : s.token;
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
  const dfs = extra.includes('--strategy dfs'); // the whole search again: no --executions
  const which = schedule ? ['--schedule', schedule] : dfs ? ['--seed', String(seed)] : ['--seed', String(from), `--executions ${seed - from + 1}`];
  const parts = [prefix, 'run', shellQuote(sc.arg), '--variant', shellQuote(r.variant), '--mode', mode, ...which];
  const defaults = variantParams(sc.def, r.variant);
  for (const [k, v] of Object.entries(r.params)) if (defaults[k] !== v) parts.push('--param', shellQuote(`${k}=${paramText(sc.def, k, v)}`));
  return [...parts, ...extra].join(' ');
}
