/**
 * Worker code for a scenario, compiled ahead: one JavaScript file holding the worker
 * side of the executors, the model and the scenario (a single module graph, so
 * `current`, the trace formats and the oracles' name table exist once in each worker).
 * Workers load it without a TypeScript loader, which is what makes many of them start
 * fast.
 *
 * Built-in scenarios are bundled by `npm run build` into dist/bundles/ (used when the
 * command runs from dist/, which bin/ does only while dist/ matches the sources); any
 * other scenario, or any scenario when running from the sources, is bundled here with
 * esbuild once per process (about 60 ms) and written under node_modules/.cache/mmu-stress/,
 * named by its content, so that concurrent runs share the file and never see half of it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { PACKAGE_ROOT, RUNNING_FROM_DIST } from '../paths.js';
import { BadInput, HarnessFailure } from '../rt/errors.js';

const DIST = join(PACKAGE_ROOT, 'dist');
export const PREBUILT_DIR = join(DIST, 'bundles');

/**
 * The TypeScript source of a compiled file of this package (dist/src/x.js -> src/x.ts,
 * dist/scenarios/x.js -> scenarios/x.ts), or the path itself. Bundles are built from the
 * sources, so a scenario that imports either copy shares one module graph with the harness.
 */
export function sourceOf(path: string): string {
  if (!path.startsWith(DIST + sep) || !path.endsWith('.js')) return path;
  const ts = join(PACKAGE_ROOT, relative(DIST, path)).replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : path;
}

/** esbuild plugin: imports of the compiled package (by path or by its name) resolve to its sources (see sourceOf). */
const toSources: Plugin = {
  name: 'mmu-stress-sources',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
      if (r.errors.length > 0 || r.external) return undefined; // esbuild reports it as usual
      const src = sourceOf(r.path);
      return src === r.path ? undefined : { path: src };
    });
  },
};

/** The module a worker bundle starts from: the scenario plus the worker side of the executors. */
function entrySource(scenarioFile: string): string {
  const api = join(PACKAGE_ROOT, 'src', 'exec', 'worker-api.ts');
  return [`import scenario from ${JSON.stringify(scenarioFile)};`, `import { workerApi } from ${JSON.stringify(api)};`, 'export default workerApi(scenario);', ''].join('\n');
}

/**
 * Bundle the worker code for `scenarioFile`: the JavaScript and its source map, whose
 * sources are relative to the package root (`sourceRoot`). The caller links the map.
 */
export async function buildWorkerBundle(scenarioFile: string): Promise<{ code: string; map: string }> {
  const esbuild = await import('esbuild');
  const file = sourceOf(scenarioFile);
  let out: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    out = await esbuild.build({
      stdin: { contents: entrySource(file), resolveDir: dirname(file), sourcefile: 'mmu-stress-worker-entry.ts', loader: 'ts' },
      plugins: [toSources],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      outfile: join(PACKAGE_ROOT, 'bundle.mjs'), // names the outputs only; nothing is written
      sourcemap: 'external',
      sourceRoot: `${pathToFileURL(PACKAGE_ROOT).href}/`,
      // A CommonJS dependency that calls require() for a Node built-in needs a real require in ESM.
      banner: { js: "import { createRequire as __mmuCreateRequire } from 'node:module'; const require = __mmuCreateRequire(import.meta.url);" },
      logLevel: 'silent',
    });
  } catch (e) {
    // The file loaded (tsx ran it), yet esbuild cannot bundle what it imports: bad input, named.
    const first = (e as { errors?: { text: string; location: { file: string; line: number; column: number } | null }[] }).errors?.[0];
    if (!first) throw e;
    const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    const message = `${scenarioFile}: cannot bundle it for the worker threads: ${at}${first.text}`;
    // An error inside the harness's own sources (esbuild names files relative to the working
    // directory) is the harness's, not the user's input.
    const ours = first.location !== null && resolve(first.location.file).startsWith(join(PACKAGE_ROOT, 'src') + sep);
    throw ours ? new HarnessFailure(message, { cause: e }) : new BadInput(message, { cause: e });
  }
  const code = out.outputFiles?.find((f) => f.path.endsWith('.mjs'))?.text ?? '';
  const map = out.outputFiles?.find((f) => f.path.endsWith('.map'))?.text ?? '';
  return { code, map };
}

/** The bundle's last line: where its source map is, for the stack translation in the main thread. */
export function linkMap(code: string, mapName: string): string {
  return `${code}//# sourceMappingURL=${mapName}\n`;
}

let cacheDir: string | null = null;

/** node_modules/.cache/mmu-stress (the usual place for a package's build cache), or a temporary folder removed at exit. */
function bundleCacheDir(): string {
  if (cacheDir) return cacheDir;
  const preferred = join(PACKAGE_ROOT, 'node_modules', '.cache', 'mmu-stress');
  try {
    mkdirSync(preferred, { recursive: true });
    const probe = join(preferred, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
    cacheDir = preferred;
  } catch {
    const dir = mkdtempSync(join(tmpdir(), 'mmu-stress-bundles-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    cacheDir = dir;
  }
  return cacheDir;
}

/** How many bundles the cache keeps: the most recently used ones (a bundle is touched when used). */
const CACHE_KEEP = 32;

/** Keep the CACHE_KEEP most recently used bundles, remove the rest with their maps. */
function pruneCache(dir: string): void {
  const bundles = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => {
      try {
        return { f, t: statSync(join(dir, f)).mtimeMs };
      } catch {
        return { f, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  for (const { f } of bundles.slice(CACHE_KEEP)) {
    for (const x of [f, `${f}.map`]) {
      try {
        unlinkSync(join(dir, x));
      } catch {
        // another process pruned it first
      }
    }
  }
}

const built = new Map<string, Promise<string>>();

/** The file URL of the worker bundle for `scenarioFile`, built once per process. */
export function workerBundle(scenarioFile: string): Promise<string> {
  let b = built.get(scenarioFile);
  if (!b) {
    b = locate(scenarioFile);
    built.set(scenarioFile, b);
    b.catch(() => built.delete(scenarioFile));
  }
  return b;
}

async function locate(scenarioFile: string): Promise<string> {
  const source = sourceOf(scenarioFile);
  if (RUNNING_FROM_DIST && dirname(source) === join(PACKAGE_ROOT, 'scenarios')) {
    const prebuilt = join(PREBUILT_DIR, `${basename(source, '.ts')}.mjs`);
    if (existsSync(prebuilt)) return pathToFileURL(prebuilt).href;
  }
  const dir = bundleCacheDir();
  const { code, map } = await buildWorkerBundle(scenarioFile);
  const hash = createHash('sha256').update(code).update(map).digest('hex').slice(0, 20);
  const file = join(dir, `${hash}.mjs`);
  if (existsSync(file)) {
    const now = new Date();
    utimesSync(file, now, now);
  } else {
    // Write then rename, so a concurrent run never loads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(`${file}.map`, map);
    writeFileSync(tmp, linkMap(code, `${hash}.mjs.map`));
    renameSync(tmp, file);
    pruneCache(dir);
  }
  return pathToFileURL(file).href;
}
