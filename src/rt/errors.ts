/**
 * The errors that cross rooms, in one place: bad input (exit 2), the harness's own failure
 * and the scenario's failure (exit 3), and a scenario's own throw.
 *
 * A scenario's own code that throws: its file's top level while it loads, a role's run(),
 * its setup() or its check(); or a role whose code loops without ever reaching an op
 * boundary (nothing threw: the harness's watchdog or time budget found it). That is a bug
 * of the scenario, not a finding in the model (no verdict) and not a failure of the
 * harness: it is reported as the scenario's, naming what threw (or looped), where in the
 * scenario's source, and the thrown message. Made where the scenario's code is called (in a
 * worker too, so it is plain data); load/stack.ts finds the source line in the parent.
 */

import { current, setCurrent } from './task.js';

/** Bad input (exit 2): the message is one line saying what is wrong and what is valid. */
export class BadInput extends Error {}

/** The harness could not do its job (exit 3). */
export class HarnessFailure extends Error {}

/**
 * The scenario's own code threw where the command called it (exit 3: no verdict; the
 * scenario's bug, not the harness's). `error` is the throw, located: its stack is what a
 * campaign records on the row it ends (campaign/row-error.ts).
 */
export class ScenarioFailure extends Error {
  readonly error: ScenarioError;
  constructor(message: string, options: ErrorOptions & { error: ScenarioError }) {
    super(message, options);
    this.error = options.error;
  }
}

/** The scenario's error for a value one of its callbacks returned (nothing threw), with the report's `line`. */
export function scenarioValueFailure(se: ScenarioError, line: string): ScenarioFailure {
  return new ScenarioFailure(line, { error: { ...se, line } });
}

export interface ScenarioError {
  /**
   * Which of the scenario's functions threw ('load': the file's top level, or a module it
   * imports, while it loaded; 'validate', 'count', 'name', 'summarize': the callbacks the
   * command calls outside an execution, load/guard-callbacks.ts; 'timer': a timer or
   * promise callback the scenario's code started, which runs outside the model's schedule,
   * on the sim worker's event loop once its executions have returned).
   */
  where: 'load' | 'role' | 'setup' | 'check' | 'validate' | 'count' | 'name' | 'summarize' | 'timer';
  /**
   * 'no-op-boundary': the role threw nothing but looped without an op until the harness
   * stopped it (`thrown` says for how long); 'op-not-run': the role ended having made an op
   * it never ran (a call without `yield*`). Neither has a stack or a line. 'bad-value':
   * nothing threw, but the callback returned a value the harness cannot use (a role's
   * count() that is not a whole number >= 0, a check() result that is not a violation);
   * `thrown` says what it returned and what it must return (rt/scenario-values.ts).
   * 'no-return': a timer or promise callback (where 'timer') that had not returned when the
   * watchdog period ran out after the executions; `thrown` says for how long.
   */
  how?: 'no-op-boundary' | 'op-not-run' | 'bad-value' | 'no-return';
  /** The role and its instance (`vcpu`, `vcpu1`), for a role that threw (the role alone for its count() or name()). */
  role?: string;
  task?: string;
  /** The thrown value in one line: "TypeError: x is undefined". */
  thrown: string;
  /** Its stack as thrown; mapped to the sources once located. */
  stack: string;
  /** Set by locateScenarioError: the scenario file, the first source line of the scenario's own code in the stack, and the report's line. */
  file?: string;
  at?: string;
  line?: string;
}

/** Carries a ScenarioError out of the code that called the scenario (setup() and check() are called deep inside the executors). */
export class ScenarioThrow extends Error {
  constructor(readonly error: ScenarioError) {
    super(error.thrown);
  }
}

/** The ScenarioError of a value the scenario threw. */
export function thrownBy(e: unknown, where: ScenarioError['where'], task?: { role: string; name: string }): ScenarioError {
  const err = e as Error | undefined;
  const thrown = e instanceof Error ? `${err?.name}: ${err?.message}` : `a non-Error value: ${String(e)}`;
  return { where, ...(task ? { role: task.role, task: task.name } : {}), thrown: thrown.split('\n')[0], stack: (e instanceof Error && err?.stack) || thrown };
}

/**
 * Call the scenario's `fn`; what it throws comes out as a ScenarioThrow. No task runs
 * setup() or check(): `current` is unset while they run, so a model op or
 * reportViolation() called from them fails in sim as it does in threads (where the main
 * thread never had a task), instead of acting as the task that happened to step last.
 */
export function scenarioCall<T>(where: 'setup' | 'check', fn: () => T): T {
  const running = current;
  setCurrent(undefined);
  try {
    return fn();
  } catch (e) {
    if (e instanceof ScenarioThrow) throw e;
    throw new ScenarioThrow(thrownBy(e, where));
  } finally {
    if (running !== undefined) setCurrent(running);
  }
}
