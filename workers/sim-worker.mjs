// Sim-mode worker: runs a request's executions back to back (src/exec/sim-worker.ts)
// and posts each one as it finishes. Plain JavaScript: the scenario comes compiled, in
// the bundle the request names.
import { parentPort } from 'node:worker_threads';
import { loadBundle } from './load-bundle.mjs';

parentPort.on('message', async (req) => {
  try {
    (await loadBundle(req.bundle)).runSim(req, (m) => parentPort.postMessage(m));
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e?.stack ?? String(e) });
  }
});
