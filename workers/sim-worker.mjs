// Sim-mode worker: runs a request's executions back to back (src/exec/sim-worker.ts)
// and posts each one as it finishes. Plain JavaScript: the scenario comes compiled, in
// the bundle the request names.
import { parentPort } from 'node:worker_threads';
import { loadBundle } from './load-bundle.mjs';
import { runPendingTimers, watchedTurns } from './turn-watch.mjs';

parentPort.on('message', async (req) => {
  // the parent is done with this worker (src/exec/end-worker.ts): what the scenario's code
  // left runs first, in watched turns until the parent's deadline (a callback that never
  // returns is then named); with its port closed the event loop empties, and the thread ends
  // by itself rather than being terminated
  if (req?.type === 'leave') {
    if (req.watch) await runPendingTimers(watchedTurns(new Int32Array(req.watch), 0, req.baseEpochMs), req.untilEpochMs);
    parentPort.close();
    return;
  }
  try {
    const api = await loadBundle(req.bundle);
    const send = (m) => parentPort.postMessage(m);
    // 'done' once the scenario's timers and promises whose time has come have run (src/exec/sim-worker.ts)
    api.runSim(req, (m) => (m?.type === 'done' ? api.afterExecutions(req, m, send) : send(m)));
  } catch (e) {
    parentPort.postMessage({ type: 'error', error: e?.stack ?? String(e) });
  }
});
