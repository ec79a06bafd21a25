/**
 * The scenario's smaller callbacks (validate(), a role's count() and name(), summarize())
 * are called by the command itself, outside any execution: while it checks the options,
 * plans a campaign, or writes the report. A throw from one of them is the scenario's own
 * error (exit 3, named with the file:line:column in the scenario), like a throw from
 * setup() or check(), never the harness's "internal error". The loaded definition is a
 * copy whose callbacks say so; the user's object is left as it was.
 */
import { ScenarioFailure, type ScenarioError, thrownBy } from '../rt/errors.js';
import type { RoleDef, ScenarioDef } from '../scenario.js';
import { locateScenarioError } from './stack.js';

type Where = 'validate' | 'count' | 'name' | 'summarize';

/** `def` with each small callback's throw turned into a ScenarioFailure naming `file`'s line. */
export function guardCallbacks(def: ScenarioDef<unknown>, file: string): ScenarioDef<unknown> {
  const guard = <A extends unknown[], R>(fn: (...args: A) => R, where: Where, role?: string) =>
    (...args: A): R => {
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof ScenarioFailure) throw e;
        const se: ScenarioError = { ...thrownBy(e, where), ...(role === undefined ? {} : { role }) };
        const located = locateScenarioError(se, file);
        throw new ScenarioFailure(located.line ?? se.thrown, { error: located });
      }
    };
  const roles: Record<string, RoleDef<unknown>> = {};
  for (const [name, r] of Object.entries(def.roles)) {
    // over the role itself (its prototype too: run() may be a class method), count() and name() guarded
    const guarded: RoleDef<unknown> = Object.create(r);
    guarded.count = guard(r.count.bind(r), 'count', name);
    if (r.name) guarded.name = guard(r.name.bind(r), 'name', name);
    roles[name] = guarded;
  }
  // over the definition itself too (a class instance keeps setup() and check() on its prototype)
  const guarded: ScenarioDef<unknown> = Object.create(def);
  guarded.roles = roles;
  if (def.validate) guarded.validate = guard(def.validate.bind(def), 'validate');
  if (def.summarize) guarded.summarize = guard(def.summarize.bind(def), 'summarize');
  return guarded;
}
