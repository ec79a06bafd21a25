// The scenario bundle a task or request names (src/load/bundle.ts), imported once per
// worker thread and kept; a failed import is forgotten so that the next one retries it.
const bundles = new Map();

export function loadBundle(url) {
  let api = bundles.get(url);
  if (!api) {
    api = import(url).then((m) => m.default);
    bundles.set(url, api);
    api.catch(() => bundles.delete(url));
  }
  return api;
}
