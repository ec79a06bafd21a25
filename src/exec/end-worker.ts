/**
 * How the sim executor ends a worker it no longer needs: it asks the worker to leave, and
 * terminates it only if it has not left within a bound (a worker still inside a run, or a
 * role that loops without an op, never reads the request).
 *
 * Why not terminate() at once: Node 20 tears a terminated worker's isolate down while
 * V8 may still be compiling that isolate's code on a background thread (its concurrent
 * optimizing compiler). It unregisters the isolate from its platform before disposing it
 * (node's src/node_worker.cc, WorkerThreadData's destructor), and a background job that
 * asks the platform for the isolate's task runner in that window aborts the whole process
 * (`NodePlatform::ForIsolate ... Assertion failed: (data.first) != nullptr`). A worker
 * whose event loop empties leaves through the end of its loop, where Node first waits for
 * the platform's background tasks to drain (NodePlatform::DrainTasks), so no compile job
 * of its isolate is left running when the isolate goes.
 */
import type { Worker } from 'node:worker_threads';
import { turnLastedMs } from './turn-watch.js';

/**
 * Ends `w`: asks it to leave, waits up to `graceMs` for its exit, then terminates it.
 * Before it leaves, the worker runs what the scenario's code left pending in watched turns
 * (workers/turn-watch.mjs) until 0.6 of the grace; resolves to how long it had been inside
 * one such turn when it had to be terminated (a callback of the scenario's still running),
 * else null.
 */
export async function endWorker(w: Worker, graceMs: number): Promise<number | null> {
  if (w.threadId === -1) return null; // gone already: no 'exit' is coming
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<number>((resolve) => w.once('exit', resolve));
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), graceMs);
  });
  const watch = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const baseEpochMs = performance.timeOrigin + performance.now();
  w.postMessage({ type: 'leave', watch: watch.buffer, baseEpochMs, untilEpochMs: baseEpochMs + 0.6 * graceMs });
  const code = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (code !== null) return null;
  const inTurn = turnLastedMs(watch, 0, baseEpochMs);
  await w.terminate();
  return inTurn;
}
