/**
 * A campaign row whose scenario's own code threw where the command called it, outside any
 * execution: a role's count() or name() while the row's tasks are counted, summarize()
 * over its statistics (a ScenarioFailure, load/guard-callbacks.ts). `run` ends there with
 * exit 3; a campaign has other rows, whose verdicts that throw must not hide. So the throw
 * is the row's result: the scenario's error, as when a role throws in an execution, with
 * the file and line of the throw, and the campaign goes on with the next row.
 */
import type { RunConfig } from '../exec/config.js';
import type { RunResult } from '../exec/run.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { framePath } from '../load/stack.js';
import type { ScenarioFailure } from '../rt/errors.js';

/** The result of a row that ended in `e` before it finished an execution: no verdict, the scenario's error. */
export function scenarioFailureResult(config: RunConfig, sc: LoadedScenario, e: ScenarioFailure, elapsedMs: number): RunResult {
  return {
    memory: config.memory,
    scenario: sc.def.name,
    variant: config.variant,
    mode: config.mode,
    params: config.params,
    expect: sc.def.variants[config.variant].expect,
    observed: 'scenario-error',
    asExpected: false,
    firstSeed: config.seed,
    executions: 0,
    steps: 0,
    budget: { executions: config.executions, timeMs: config.timeMs, startBeforeMs: config.mode === 'threads' ? config.startBeforeMs : null },
    elapsedMs,
    firstViolationMs: null,
    violation: null,
    harnessError: null,
    // the line as `run` prints it (which may say what the command was doing), over the throw's own stack
    scenarioError: { ...e.error, line: e.message, stack: scenarioFrames(e.error.stack, e.error.file) },
    departure: null,
    incomplete: null,
    interrupted: false,
    stats: {},
    clockUnit: config.mode === 'sim' ? 'steps' : 'us',
    summary: [],
    lockdep: [],
  };
}

/**
 * The stack up to the scenario file's outermost frame: below it are the command's own
 * callers (the campaign's row loop, the promises it waits on), never the scenario's.
 * A stack with no frame in the file is kept whole (the record drops the harness's frames).
 */
function scenarioFrames(stack: string, file: string | undefined): string {
  if (file === undefined) return stack;
  const lines = stack.split('\n');
  const last = lines.findLastIndex((l) => framePath(l) === file);
  return last < 0 ? stack : lines.slice(0, last + 1).join('\n');
}
