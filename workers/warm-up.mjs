// A threads pool's warm-up task (src/exec/warm-up.ts): import the scenario's bundle in
// this worker, then wait at a barrier until every worker of the pool has it. Each worker
// runs one task at a time, so the barrier is what spreads the tasks one to a worker: a
// worker holding its task cannot take a second while the others are still cold. The pool's
// drain (role-worker.mjs) meets at a barrier of its own the same way.
import { loadBundle } from './load-bundle.mjs';

// the words of the barrier's buffer (src/exec/warm-up.ts WARM_LOADED, WARM_STOP)
const LOADED = 0;
const STOP = 1;

export async function warmUp(task) {
  // a failed import rejects this task: the parent reports it as the harness's failure
  await loadBundle(task.bundle);
  return waitForAll(task);
}

/** Arrive at `task.barrier` and wait until all `task.workers` have: 'ready', 'stopped' (the parent's stop) or 'timed-out'. */
export function waitForAll(task) {
  const i32 = new Int32Array(task.barrier);
  if (Atomics.add(i32, LOADED, 1) + 1 >= task.workers) {
    Atomics.notify(i32, LOADED);
    return 'ready';
  }
  // bounded: the parent stops a warm-up that fails or is interrupted, and this bound is the last resort
  const deadline = performance.now() + task.timeoutMs;
  for (;;) {
    const v = Atomics.load(i32, LOADED);
    if (v >= task.workers) return 'ready';
    if (Atomics.load(i32, STOP) !== 0) return 'stopped';
    if (performance.now() > deadline) return 'timed-out';
    Atomics.wait(i32, LOADED, v, 5);
  }
}
