// Threads-mode worker (a piscina task handler). Plain JavaScript, no TypeScript loader:
// each task names the compiled bundle of its scenario (src/load/bundle.ts). A task with a
// `barrier` is the pool's warm-up (warm-up.mjs), not a role.
import { loadBundle } from './load-bundle.mjs';
import { warmUp } from './warm-up.mjs';

export default async function roleWorker(job) {
  if (job.barrier) return await warmUp(job);
  return (await loadBundle(job.bundle)).runRole(job);
}
