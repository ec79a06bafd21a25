/**
 * A threads finding, replayed in sim: the order in which the threads execution's steps
 * began becomes a sim schedule (strategies/order.ts). Real cores found the bug; the sim
 * gives it back as a deterministic trace, with a token a person can replay and step
 * through. Whether the sim met the same violation at the same op is checked, never
 * assumed: the ticket of a step is taken just before it runs, and two steps that ran at
 * once on two cores can have their effects in the other order than their tickets.
 */
import type { Violation } from '../rt/violation.js';
import type { RunConfig } from './config.js';
import type { LoadedScenario } from '../load/scenarios.js';
import type { RunLimits } from './limits.js';
import type { ExecutionResult, Reproduction } from './result.js';
import { violationSignature } from './shrink.js';
import { SimExecutor } from './sim-runner.js';
import { MAX_STEP_TICKETS } from './drive.js';
import { grouped } from '../report/numbers.js';

export type { Reproduction } from './result.js';

export async function reproduceInSim(sc: LoadedScenario, config: RunConfig, found: ExecutionResult & { order: Uint8Array }, limits: RunLimits): Promise<Reproduction> {
  const sim = new SimExecutor();
  let r: ExecutionResult | null = null;
  let error: string | null;
  // the threads run's settings, as one sim execution of that seed in that order, under sc memory (the cores')
  const replay: RunConfig = { ...config, mode: 'sim', seed: found.seed, executions: 1, strategy: { name: 'order', order: found.order, ...(found.sync ? { sync: found.sync } : {}) }, memory: 'sc', shrink: false, jobs: 1, windowSteps: null };
  try {
    error = await sim.runWorker(replay, sc, undefined, limits, (e) => {
      r = e;
    });
  } finally {
    await sim.close();
  }
  const recorded = found.order.length;
  const res = r as ExecutionResult | null;
  const v = found.violation as Violation;
  const w = res?.violation ?? null;
  const token = res?.shrink?.token ?? null;
  if (error || !res) return { verdict: 'diverged', line: `not replayed in sim: ${error ?? 'no execution came back'}`, token: null, recorded };
  if (res.scenarioError) return { verdict: 'diverged', line: `not reproduced in sim: ${res.scenarioError.line ?? res.scenarioError.thrown}`, token: null, recorded };
  if (!w) {
    const how = res.incomplete ? `it was stopped (${res.incomplete.limit})` : 'it ended without a violation';
    return { verdict: 'diverged', line: `not reproduced in sim: the replay of the ${recorded} recorded steps diverged; ${how}`, token, recorded };
  }
  if (violationSignature(w) !== violationSignature(v)) {
    return { verdict: 'diverged', line: `not reproduced in sim: the replay diverged into another violation: ${w.kind} in ${w.task}: ${w.message}`, token, recorded };
  }
  if (v.op !== undefined && w.op !== undefined && v.op !== w.op) {
    return { verdict: 'other-op', line: `reproduced in sim: the same violation, at another op (${v.task}'s op ${w.op} in sim, op ${v.op} in threads)`, token, recorded };
  }
  return { verdict: 'same', line: 'reproduced in sim: same violation at the same op', token, recorded };
}

/** A threads finding whose step order was not kept (a task past MAX_STEP_TICKETS steps): said, not replayed. */
export function unrecorded(): Reproduction {
  return { verdict: 'unrecorded', line: `not replayed in sim: a task took more than ${grouped(MAX_STEP_TICKETS)} steps, past what the step order keeps`, token: null, recorded: 0 };
}
