// Sim-mode worker: runs a request's executions back to back (src/exec/sim-worker.ts)
// and posts each one as it finishes. Plain JavaScript: the scenario comes compiled, in
// the bundle the request names.
import { parentPort } from 'node:worker_threads';

const bundles = new Map();

parentPort.on('message', async (req) => {
  try {
    let api = bundles.get(req.bundle);
    if (!api) {
      api = import(req.bundle).then((m) => m.default);
      bundles.set(req.bundle, api);
      api.catch(() => bundles.delete(req.bundle)); // a failed load is retried by the next request
    }
    (await api).runSim(req, (m) => parentPort.postMessage(m));
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e?.stack ?? String(e) });
  }
});
