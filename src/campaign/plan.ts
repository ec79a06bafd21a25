/**
 * A campaign's rows: every built-in scenario x variant, in sim and in threads (a variant
 * whose bug only weak memory shows has no threads row), in a fixed order; and each row's
 * own budget (sim: its variant's executions, the same verdict on any machine; threads: a
 * time).
 */
import type { Mode } from '../exec/config.js';
import { BadInput } from '../rt/errors.js';
import { builtinNames, type LoadedScenario, loadScenario } from '../load/scenarios.js';
import { type RowRecord, rowKey } from '../report/records.js';
import { campaignExecutions } from '../scenario.js';

const MODES: Mode[] = ['sim', 'threads'];

export interface PlannedRow {
  index: number;
  sc: LoadedScenario;
  variant: string;
  mode: Mode;
  key: string;
}

/**
 * Every row of a campaign, in a fixed order: the scenarios given (built-in names or paths
 * to scenario files) in that order, else the built-in ones as `list` has them; their
 * variants; sim then threads.
 */
export async function campaignPlan(given: readonly string[] | null = null): Promise<PlannedRow[]> {
  const scenarios: LoadedScenario[] = [];
  for (const name of given ?? builtinNames()) scenarios.push(await loadScenario(name));
  // a row is named by its scenario's name: two files of one name would write each other's rows
  const seen = new Map<string, string>();
  for (const sc of scenarios) {
    const other = seen.get(sc.def.name);
    if (other !== undefined) throw new BadInput(`${other} and ${sc.arg} are both scenario '${sc.def.name}': a campaign names its rows by scenario, so give each scenario once`);
    seen.set(sc.def.name, sc.arg);
  }
  const out: PlannedRow[] = [];
  for (const sc of scenarios) {
    for (const [variant, v] of Object.entries(sc.def.variants)) {
      // an ordering bug only weak memory shows has no threads row: real cores' Atomics are SC
      for (const mode of v.memory === 'weak' ? (['sim'] as Mode[]) : MODES) out.push({ index: out.length, sc, variant, mode, key: rowKey(sc.def.name, variant, mode) });
    }
  }
  return out;
}

/** A row's own budget: a sim row's executions (its variant's), a threads row's time. */
export function rowBudget(p: Pick<PlannedRow, 'sc' | 'variant' | 'mode'>, threadsMs: number): RowRecord['budget'] {
  return p.mode === 'sim' ? { executions: campaignExecutions(p.sc.def, p.variant), threadsMs: null } : { executions: null, threadsMs };
}

export function budgetWords(b: RowRecord['budget']): string {
  return b.executions !== null ? `${b.executions} executions` : b.threadsMs !== null ? `--threads-time ${b.threadsMs}ms` : 'no budget of its own';
}
