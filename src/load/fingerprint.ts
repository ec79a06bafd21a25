/**
 * A fingerprint of the code a campaign row runs, so that a results row is never taken as a
 * verdict on other code: `--resume` runs a kept row again when its fingerprint is not the
 * current one, and `merge` refuses shards whose rows of one scenario were run on different
 * code (campaign/fingerprints.ts, cli/merge.ts).
 *
 * - The package's part, `mmu-stress:<version>+<hash>`: its version and the hash of every
 *   TypeScript file under src/ and scenarios/ (the sources dist/ and every worker bundle,
 *   prebuilt or not, are built from; the tarball ships them), which bin/fresh.mjs takes as
 *   the command starts. The version alone would not do: a checkout has one version across
 *   many commits. A built-in scenario's fingerprint is this part alone.
 * - A scenario file's part, `file:<hash>`: a hash of every file its worker bundle was built
 *   from that is not one of the package's sources: the file and everything it imports,
 *   the user's own modules and any other package's. esbuild bundles the whole module graph
 *   a worker runs (nothing is external but Node's built-ins), and its metafile lists each
 *   file it read (load/bundle.ts keeps them, with their hashes, in the bundle's manifest):
 *   so an import of an import, edited, changes the hash, and a file the bundle does not hold
 *   is no code the row ran. The package's sources are left to the package's part, so the
 *   bundle for plain memory (which also reads rt/one-thread.ts) and the seam bundle give
 *   one fingerprint. Paths are hashed relative to the scenario file's folder, so two
 *   checkouts of one project in different directories agree (their shards merge).
 *
 * Cheap: the hashes of the bundle's inputs are those the bundle cache takes anyway (a
 * bundle still fresh in the cache is not built again), and the package's hash is the one
 * the command took as it started (a library caller's process takes it once).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../paths.js';
import { type BundleMemory, bundleOnce } from './bundle.js';
import { isScenarioPath, type LoadedScenario } from './scenarios.js';

/** The folders of the package's sources (what its part of a fingerprint covers). */
const SOURCE_DIRS = ['src', 'scenarios'].map((d) => join(PACKAGE_ROOT, d));

const short = (h: ReturnType<typeof createHash>) => h.digest('hex').slice(0, 16);

let pkg: string | null = null;

/**
 * `mmu-stress:<version>+<hash of src/ and scenarios/>`, once per process: a built-in
 * scenario's fingerprint. The hash is the one bin/fresh.mjs takes of the same files to
 * tell whether dist/ is current, which the command took as it started.
 */
export async function packageFingerprint(): Promise<string> {
  if (pkg !== null) return pkg;
  const version = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version as string;
  const fresh = (await import(pathToFileURL(join(PACKAGE_ROOT, 'bin', 'fresh.mjs')).href)) as { sourcesHashTaken(root: URL): string };
  pkg = `mmu-stress:${version}+${fresh.sourcesHashTaken(pathToFileURL(`${PACKAGE_ROOT}/`)).slice(0, 16)}`;
  return pkg;
}

const isPackageSource = (file: string) => SOURCE_DIRS.some((d) => file.startsWith(d + sep));

/** `file:<hash>` of a bundle's inputs that are not the package's sources, their paths relative to `base`. */
export function filePart(inputs: Record<string, string>, base: string): string {
  const h = createHash('sha256');
  const own = Object.entries(inputs)
    .filter(([f]) => !isPackageSource(f))
    .map(([f, hash]) => [relative(base, f).split(sep).join('/'), hash])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [f, hash] of own) h.update(`${f}\0${hash}\0`);
  return `file:${short(h)}`;
}

/**
 * The fingerprint of `sc`'s code: the package's for a built-in scenario; for a scenario
 * file, its part (from the worker bundle for `memory`, which the run builds anyway, and
 * which is taken from the cache when still fresh) and the package's.
 */
export async function scenarioFingerprint(sc: LoadedScenario, memory: BundleMemory): Promise<string> {
  if (!isScenarioPath(sc.arg)) return await packageFingerprint();
  const { inputs } = await bundleOnce(sc.file, memory);
  // a prebuilt bundle (a built-in scenario's file given by path) holds only the package's sources
  return `${filePart(inputs ?? {}, dirname(sc.file))} ${await packageFingerprint()}`;
}
