// Threads-mode worker (a piscina task handler). Plain JavaScript, no TypeScript loader:
// each task names the compiled bundle of its scenario (src/load/bundle.ts).
import { loadBundle } from './load-bundle.mjs';

export default async function roleWorker(job) {
  return (await loadBundle(job.bundle)).runRole(job);
}
