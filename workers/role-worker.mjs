// Threads-mode worker (a piscina task handler). Plain JavaScript, no TypeScript loader:
// each task names the compiled bundle of its scenario (src/load/bundle.ts). A task with a
// `barrier` is the pool's warm-up (warm-up.mjs), not a role.
import { loadBundle } from './load-bundle.mjs';
import { warmUp } from './warm-up.mjs';

// A timer or promise a role started runs outside the model's schedule, whenever this
// worker's event loop next turns (while it loads another scenario's bundle, say): its throw
// must neither end the worker nor fail the task it lands in. It is kept, and handed back
// with the worker's next role for the command to name (src/exec/threads.ts).
const outside = [];
process.on('uncaughtException', (e) => outside.push(e?.stack ?? String(e)));
process.on('unhandledRejection', (e) => outside.push(e?.stack ?? String(e)));

export default async function roleWorker(job) {
  if (job.barrier) return await warmUp(job);
  const r = (await loadBundle(job.bundle)).runRole(job);
  return outside.length > 0 ? { ...r, outside: outside.splice(0) } : r;
}
