/**
 * What a worker bundle exports (see bundle.ts): the worker side of both executors,
 * bound to the one scenario the bundle was built with.
 */
import type { ScenarioDef } from '../scenario.js';
import { afterExecutions, type SimMessage, type SimRequest, runSimRequest } from './sim-worker.js';
import { type RoleResult, type RoleTask, runRole } from './worker.js';

export interface WorkerApi {
  runRole(job: RoleTask): RoleResult;
  runSim(req: SimRequest, post: (m: SimMessage) => void): void;
  /** The worker's 'done', posted once the scenario's timers whose time has come have run. */
  afterExecutions(req: SimRequest, done: Extract<SimMessage, { type: 'done' }>, post: (m: SimMessage) => void): void;
}

export function workerApi(def: ScenarioDef<unknown>): WorkerApi {
  return {
    runRole: (job) => runRole(def, job),
    runSim: (req, post) => runSimRequest(def, req, post),
    afterExecutions,
  };
}
