// Sim-mode worker: runs a request's executions back to back (src/exec/sim-worker.ts)
// and posts each one as it finishes. Plain JavaScript: the scenario comes compiled, in
// the bundle the request names.
import { parentPort } from 'node:worker_threads';
import { loadBundle } from './load-bundle.mjs';

parentPort.on('message', async (req) => {
  // the parent is done with this worker (src/exec/end-worker.ts): with its port closed the
  // event loop empties, and the thread ends by itself rather than being terminated
  if (req?.type === 'leave') {
    parentPort.close();
    return;
  }
  // 'done' waits for one turn of the timers: a timer or promise the scenario's code started
  // (outside the model's schedule) whose time has come throws before the run is told it
  // ended, so the run reports that throw as the scenario's error rather than a later one
  // reaching the command on its own
  const post = (m) => (m?.type === 'done' ? setTimeout(() => parentPort.postMessage(m), 0) : parentPort.postMessage(m));
  try {
    (await loadBundle(req.bundle)).runSim(req, post);
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e?.stack ?? String(e) });
  }
});
