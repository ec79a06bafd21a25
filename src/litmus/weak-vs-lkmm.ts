/**
 * sim's weak model checked against LKMM on one litmus test: the final states the
 * operational engine (./explore.ts, the weak model of src/memory/weak.ts that
 * `--memory weak` runs) can reach, against the final states the exact checker
 * (./lkmm/check.ts) finds in LKMM's allowed executions, before the final condition is
 * applied. Both print a state the same way ("0:r0=1; x=2;" over the locations the
 * condition and `locations` name), so the sets compare as strings.
 *
 * A state the engine reaches that LKMM forbids is a soundness bug (a weak-memory finding
 * in sim that the kernel's model would never produce); an allowed state it never reaches
 * is incompleteness (an outcome sim cannot show).
 */
import { explore } from './explore.js';
import { checkLkmm } from './lkmm/check.js';
import { type LitmusTest, Unsupported } from './parse.js';

export type Comparison =
  /** Both sides complete: the sets are compared. */
  | { kind: 'compared'; reached: string[]; allowed: string[]; extra: string[]; missing: string[] }
  /** The engine refuses the test: the construct it names (src/litmus/support.ts, explore's dependencies()). */
  | { kind: 'explore-unsupported'; construct: string }
  /** The checker refuses the test. */
  | { kind: 'lkmm-unsupported'; construct: string }
  /** A bound stopped one side: nothing to compare. */
  | { kind: 'incomplete'; side: 'explore' | 'lkmm' };

export interface CompareLimits {
  /** Per side, per test: the engine's executions and the checker's candidates (machine-independent). */
  maxExecutions: number;
  /** Per side, per test, in ms (performance.now()); Infinity for none. */
  timeMs: number;
}

/** The construct an Unsupported names, without the test's own names, so that files group by it. */
function construct(e: Unsupported): string {
  return e.message.replace(/'[^']*'/g, "'…'");
}

export function compareWithLkmm(test: LitmusTest, limits: CompareLimits): Comparison {
  let reached: string[];
  try {
    const x = explore(test, { maxExecutions: limits.maxExecutions, deadline: performance.now() + limits.timeMs });
    if (!x.complete) return { kind: 'incomplete', side: 'explore' };
    reached = x.outcomes.map((o) => o.state);
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'explore-unsupported', construct: construct(e) };
    throw e;
  }
  let allowed: string[];
  try {
    const c = checkLkmm(test, { maxCandidates: limits.maxExecutions, deadline: performance.now() + limits.timeMs });
    if (!c.complete) return { kind: 'incomplete', side: 'lkmm' };
    allowed = c.outcomes.map((o) => o.state);
  } catch (e) {
    if (e instanceof Unsupported) return { kind: 'lkmm-unsupported', construct: construct(e) };
    throw e;
  }
  const lkmm = new Set(allowed);
  const sim = new Set(reached);
  return {
    kind: 'compared',
    reached,
    allowed,
    extra: reached.filter((s) => !lkmm.has(s)),
    missing: allowed.filter((s) => !sim.has(s)),
  };
}
