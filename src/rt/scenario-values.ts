/**
 * The values a scenario's own callbacks hand the harness, checked where the harness takes
 * them. `Params` is a record of numbers, so a typo (`p.consumer` for `p.consumers`) type-
 * checks and gives `undefined`; a loop over `undefined`, `NaN`, 0 or -1 instances runs no
 * task at all, and a run with no task is "clean". A value the harness cannot use is the
 * scenario's error (exit 3, no verdict), never a verdict and never the harness's failure.
 */
import { ScenarioThrow } from './errors.js';
import { VIOLATION_KINDS, type Violation } from './violation.js';

/** A value as a message shows it: `undefined`, `NaN`, `1.5`, `'2' (a string)`, `an object`. */
export function shownValue(x: unknown): string {
  if (typeof x === 'string') return `${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x).replace(/^"|"$/g, "'")} (a string)`;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint' || x === undefined || x === null) return String(x);
  if (typeof x === 'function') return 'a function';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'symbol' ? 'a symbol' : 'an object';
}

/** What is wrong with a role's count() value, or null for a whole number >= 0 (0 turns the role off). */
export function roleCountProblem(n: unknown): string | null {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return null;
  return `returned ${shownValue(n)}: a role's count() must return a whole number of instances >= 0`;
}

const CHECK_MUST = 'check() must return null or undefined (no violation) or a violation (mainViolation(kind, message, details, step))';

/**
 * check()'s result as a violation, or null; anything else is the scenario's error (a
 * ScenarioThrow of check(), located in the parent). A violation written as a literal gets
 * the fields mainViolation() would give it.
 */
export function checkResult(x: unknown, step: number): Violation | null {
  if (x === null || x === undefined) return null;
  const bad = (what: string) => new ScenarioThrow({ where: 'check', how: 'bad-value', thrown: `${what}; ${CHECK_MUST}`, stack: '' });
  if (typeof x !== 'object' || Array.isArray(x)) throw bad(`returned ${shownValue(x)}`);
  const v = x as Partial<Violation>;
  if (!(VIOLATION_KINDS as readonly unknown[]).includes(v.kind)) throw bad(`returned an object whose kind is ${shownValue(v.kind)}, not a violation kind (${VIOLATION_KINDS.join(', ')})`);
  if (typeof v.message !== 'string') throw bad(`returned a '${v.kind}' violation whose message is ${shownValue(v.message)}, not a string`);
  if (v.details !== undefined && !(Array.isArray(v.details) && v.details.every((d) => typeof d === 'string'))) {
    throw bad(`returned a '${v.kind}' violation whose details are not an array of strings`);
  }
  return { ...v, kind: v.kind as Violation['kind'], message: v.message, details: v.details ?? [], task: v.task ?? 'main', role: v.role ?? 'check', step: v.step ?? step, locksHeld: v.locksHeld ?? [] };
}
