/**
 * The scenario's smaller callbacks (validate(), a role's count() and name(), summarize())
 * are called by the command itself, outside any execution: while it checks the options,
 * plans a campaign, or writes the report. A throw from one of them is the scenario's own
 * error (exit 3, named with the file:line:column in the scenario), like a throw from
 * setup() or check(), never the harness's "internal error". The loaded definition is a
 * copy whose callbacks say so; the user's object is left as it was.
 */
import { ScenarioFailure, type ScenarioError, thrownBy } from '../rt/errors.js';
import { roleCountProblem, shownValue } from '../rt/scenario-values.js';
import type { Params, RoleDef, ScenarioDef } from '../scenario.js';
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
    const count = guard(r.count.bind(r), 'count', name);
    guarded.count = (p, variant) => {
      const n = count(p, variant);
      const bad = roleCountProblem(n);
      if (bad) throw badCount(def, r, name, p, variant, bad, file);
      return n;
    };
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

/**
 * The scenario's error for a count() that returned `bad` (not a whole number >= 0). Nothing
 * threw, so count() runs once more over params that note each read with its stack: a read
 * of a parameter the scenario does not declare (`p.consumer` for `p.consumers`: Params is
 * a record of numbers, so the typo type-checks), or of one whose value count() returned,
 * names its line and the parameter; else the line is read from the file's text.
 */
function badCount(def: ScenarioDef<unknown>, r: RoleDef<unknown>, role: string, p: Params, variant: string, bad: string, file: string): ScenarioFailure {
  const reads: { key: string; stack: string }[] = [];
  const watched = new Proxy(p, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.push({ key, stack: new Error().stack ?? '' });
      return Reflect.get(target, key, receiver);
    },
  });
  let again: unknown;
  try {
    again = r.count(watched, variant);
  } catch {
    // it threw this time: the first call's value is what is reported
  }
  const declared = Object.keys(def.params);
  const unknown = reads.find((x) => !(x.key in p));
  const same = reads.find((x) => Object.is(p[x.key], again));
  const why = unknown
    ? ` (it read params.${unknown.key}, which scenario '${def.name}' does not declare; ${declared.length ? `its params: ${declared.join(', ')}` : 'it has no params'})`
    : same
      ? ` (from params.${same.key} = ${shownValue(p[same.key])})`
      : '';
  const read = unknown ?? same;
  // the stack of the read, its first line the message (the trap's own frame is the harness's, left out when printed)
  const stack = read ? read.stack.replace(/^[^\n]*/, `${bad}${why}`) : '';
  const located = locateScenarioError({ where: 'count', how: 'bad-value', role, thrown: `${bad}${why}`, stack }, file);
  return new ScenarioFailure(located.line ?? located.thrown, { error: located });
}
