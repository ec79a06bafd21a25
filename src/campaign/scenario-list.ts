/**
 * Which scenarios a campaign was given, as each row of its results file records them, so
 * that `merge` (and `report`) plan the same rows in the same order, and `--resume` never
 * appends one campaign's rows to another's file.
 *
 * A scenario file is recorded by its path relative to the campaign's working directory
 * ('/'-separated), or by its absolute path when it lies outside that directory; merge
 * resolves it against its own working directory. Two CI machines with the same checkout
 * in different directories thus record the same list, and a merge run at the checkout's
 * root finds the files again. A built-in scenario is recorded by its name.
 *
 * null is the built-in campaign (no scenarios given); a row written before the list
 * existed has none, and means the same. The format (GivenScenario) is report/records.ts's.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { isScenarioPath, type LoadedScenario } from '../load/scenarios.js';
import type { ScenarioList } from '../report/records.js';

/** The list a campaign records: one entry per scenario of its plan, in the order given (null: the built-in campaign). */
export function scenarioList(given: readonly string[] | null, plan: readonly { sc: LoadedScenario }[], cwd = process.cwd()): ScenarioList {
  if (given === null) return null;
  // every scenario has a variant, so each one given has rows, and its first row comes in its place
  return [...new Set(plan.map((p) => p.sc))].map((sc) => ({ given: sc.arg, path: isScenarioPath(sc.arg) ? findable(sc.file, cwd) : null, name: sc.def.name }));
}

function findable(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

/** What a plan is built from again: each entry's path or built-in name. */
export function scenarioArgs(list: ScenarioList): string[] | null {
  return list === null ? null : list.map((e) => e.path ?? e.given);
}

/** The list in words, for messages: what merge would load. */
export function scenarioWords(list: ScenarioList): string {
  return list === null ? 'every built-in scenario' : list.map((e) => e.path ?? e.given).join(' ');
}

/** Two lists name the same scenarios in the same order (where they are found, and what they are called). */
export function sameScenarios(a: ScenarioList, b: ScenarioList): boolean {
  return identity(a) === identity(b);
}

function identity(list: ScenarioList): string {
  return list === null ? 'built-in' : JSON.stringify(list.map((e) => [e.path ?? e.given, e.name]));
}
