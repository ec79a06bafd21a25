// Is dist/ the compiled form of the sources as they are now? `npm run build` records a
// hash of every source it compiled in dist/build-info.json; the command runs from dist/
// only while that hash still matches, so an edited source is never shadowed by stale
// JavaScript.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMPILED = ['src', 'scenarios'];

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Each root's hash as last taken (the command takes it as it starts). */
const taken = new Map();

/**
 * The sources' hash as this process last took it, else taken now: what a campaign's rows
 * record as the package's code (src/load/fingerprint.ts), without hashing it again.
 */
export function sourcesHashTaken(rootUrl) {
  return taken.get(fileURLToPath(rootUrl)) ?? sourcesHash(rootUrl);
}

/** sha256 over the path and content of every TypeScript file dist/ is built from. */
export function sourcesHash(rootUrl) {
  const root = fileURLToPath(rootUrl);
  const h = createHash('sha256');
  const files = COMPILED.flatMap((d) => walk(join(root, d), [])).sort();
  for (const f of files) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  const hash = h.digest('hex');
  taken.set(root, hash);
  return hash;
}

export function distIsFresh(rootUrl) {
  try {
    const info = JSON.parse(readFileSync(new URL('dist/build-info.json', rootUrl), 'utf8'));
    return info.sources === sourcesHash(rootUrl);
  } catch {
    return false;
  }
}
