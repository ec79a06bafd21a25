/**
 * The strategies a sim run can schedule with, by name: the command line's --strategy values
 * (those with help, in this order), their flags, and how a worker builds each. Adding a
 * strategy is its file (its Strategy and its StrategyEntry) and one line here.
 */
import type { StrategyEntry, StrategySpec } from '../strategy.js';
import { guided } from './checked-guide.js';
import { dfs } from './dfs.js';
import { order } from './order.js';
import { pct } from './pct.js';
import { pos } from './pos.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { urw } from './urw.js';

/** The --strategy values, in the order the command line lists them. */
const CHOSEN = [random, pct, dfs, roundRobin, urw, pos] as const;
/** Strategies a run makes for itself (a --schedule's guide, a threads finding's step order). */
const INTERNAL = [guided, order] as const;

/** A strategy runScenario's `strategy` option and --strategy name. */
export type StrategyName = (typeof CHOSEN)[number]['name'];

const ENTRIES: readonly StrategyEntry[] = [...CHOSEN, ...INTERNAL] as readonly StrategyEntry[];

const BY_NAME = new Map(ENTRIES.map((e) => [e.name, e]));

/** The entry of a strategy by name (undefined: no such strategy). */
export function strategyEntry(name: string): StrategyEntry | undefined {
  return BY_NAME.get(name);
}

/** The entry of a run's strategy (default random); a name not registered is the harness's bug, not the user's (the CLI checks first). */
export function entryOf(spec: StrategySpec | undefined): StrategyEntry {
  const e = BY_NAME.get(spec?.name ?? 'random');
  if (!e) throw new Error(`no strategy '${spec?.name}' in the registry`);
  return e;
}

/** The strategies --strategy names, in the registry's order. */
export function cliStrategies(): StrategyEntry[] {
  return [...BY_NAME.values()].filter((e) => e.help !== undefined);
}
