// Threads-mode worker (a piscina task handler). Plain JavaScript, no TypeScript loader:
// each task names the compiled bundle of its scenario (src/exec/bundle.ts), loaded once
// per thread and kept.
const bundles = new Map();

export default async function roleWorker(job) {
  let api = bundles.get(job.bundle);
  if (!api) {
    api = import(job.bundle).then((m) => m.default);
    bundles.set(job.bundle, api);
    api.catch(() => bundles.delete(job.bundle)); // a failed load is retried by the next task
  }
  return (await api).runRole(job);
}
