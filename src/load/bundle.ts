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
 * Beside it a manifest names the files it was built from and a hash of each: while every
 * one still hashes the same, a later command loads the bundle without starting esbuild
 * (its service is a child process: the largest part of a short command's start-up).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

let esbuildRuns = 0;
/** How many times this process has started esbuild for a worker bundle (the tests' witness of the cache). */
export function bundlesBuilt(): number {
  return esbuildRuns;
}

/**
 * Which memory a bundle's model may be given. `seam`: any (rt/shared.ts's `shared`, set by
 * the executor per execution: the weak-memory view, dfs's footprints, threads recording).
 * `plain`: only plain memory in one thread (sim, sc memory, a strategy that watches no
 * access), and the package's own model and primitives make their accesses directly: each
 * `shared.load(...)` of its sources is compiled as a plain typed-array access
 * (rt/one-thread.ts). The call through `shared` is a method call on an object the
 * executor may swap, which the JIT does not inline into the model's large generator
 * functions, and behind it an Atomics call, a builtin V8 does not inline either: together
 * about a tenth of a scheduling step of a small race. A plain bundle refuses any other memory
 * (rt/shared.ts, setShared).
 */
export type BundleMemory = 'plain' | 'seam';

/** The one-thread access (rt/one-thread.ts) a `shared.<name>(` of the package's sources becomes in a plain bundle. */
const PLAIN_CALLS: Record<string, string> = {
  load: 'loadOne',
  store: 'storeOne',
  compareExchange: 'compareExchangeOne',
  exchange: 'exchangeOne',
  add: 'addOne',
  sub: 'subOne',
  and: 'andOne',
  or: 'orOne',
  xor: 'xorOne',
  loadRelaxed: 'loadOne',
  loadAcquire: 'loadOne',
  storeRelaxed: 'storeOne',
  storeRelease: 'storeOne',
  cmpxchg: 'compareExchangeOne',
};

/** The name a rewritten call uses for a one-thread access (imported under it, so that it cannot meet a name of the file). */
const local = (fn: string) => `__mmu_${fn}`;

/**
 * `shared.<name>(` of the package's own sources, in a plain bundle, as a call of the
 * one-thread access of PLAIN_CALLS (the arguments stay as written: the extra ones of the
 * marked kinds are still evaluated, and ignored), with the import of those it uses.
 */
export function plainCalls(source: string, oneThreadModule = ONE_THREAD): string {
  const used = new Set<string>();
  const code = source.replace(/(?<![\w$.])shared\.(\w+)\(/g, (call, name: string) => {
    const fn = PLAIN_CALLS[name];
    if (!fn) return call;
    used.add(fn);
    return `${local(fn)}(`;
  });
  if (used.size === 0) return source;
  const names = [...used].map((fn) => `${fn} as ${local(fn)}`).join(', ');
  // on the file's first line, before its own code: every other line keeps its number (esbuild is given no map for this rewrite)
  return `import { ${names} } from ${JSON.stringify(oneThreadModule)}; ${code}`;
}

const ONE_THREAD = join(PACKAGE_ROOT, 'src', 'rt', 'one-thread.ts');

/** esbuild plugin of a plain bundle: the package's sources (src/, scenarios/) with plainCalls; a user's files are left as written (their `shared` calls reach Atomics, as in every bundle). */
const plainMemory: Plugin = {
  name: 'mmu-stress-plain-memory',
  setup(build) {
    const ours = [join(PACKAGE_ROOT, 'src') + sep, join(PACKAGE_ROOT, 'scenarios') + sep];
    const seam = join(PACKAGE_ROOT, 'src', 'rt', 'shared.ts');
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path === seam || args.path === ONE_THREAD || !ours.some((d) => args.path.startsWith(d))) return undefined;
      return { contents: plainCalls(readFileSync(args.path, 'utf8')), loader: 'ts' };
    });
  },
};

/** The name esbuild gives the entry module (it has no file). */
const ENTRY_NAME = 'mmu-stress-worker-entry.ts';

/** The module a worker bundle starts from: the scenario plus the worker side of the executors. */
function entrySource(scenarioFile: string): string {
  const api = join(PACKAGE_ROOT, 'src', 'exec', 'worker-api.ts');
  return [`import scenario from ${JSON.stringify(scenarioFile)};`, `import { workerApi } from ${JSON.stringify(api)};`, 'export default workerApi(scenario);', ''].join('\n');
}

/**
 * Bundle the worker code for `scenarioFile`: the JavaScript and its source map, whose
 * sources are relative to the package root (`sourceRoot`). The caller links the map.
 */
export async function buildWorkerBundle(scenarioFile: string, memory: BundleMemory = 'seam'): Promise<{ code: string; map: string; inputs: string[] }> {
  esbuildRuns++;
  const esbuild = await import('esbuild');
  const file = sourceOf(scenarioFile);
  let out: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    out = await esbuild.build({
      stdin: { contents: entrySource(file), resolveDir: dirname(file), sourcefile: ENTRY_NAME, loader: 'ts' },
      plugins: memory === 'plain' ? [toSources, plainMemory] : [toSources],
      define: { MMU_STRESS_PLAIN_BUNDLE: memory === 'plain' ? 'true' : 'false' },
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
      metafile: true,
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
  // every file esbuild read (named relative to the working directory), but the entry it was
  // given on stdin (named as if in the scenario's folder), made from scenarioFile alone
  const entry = join(dirname(file), ENTRY_NAME);
  const inputs = Object.keys(out.metafile?.inputs ?? {})
    .map((f) => resolve(f))
    .filter((f) => f !== entry);
  return { code, map, inputs };
}

/** The bundle's last line: where its source map is, for the stack translation in the main thread. */
export function linkMap(code: string, mapName: string): string {
  return `${code}//# sourceMappingURL=${mapName}\n`;
}

let cacheDir: string | null = null;

/** A worker bundle's own path, in either folder bundleCacheDir gives: a stack frame there is one no source map named. */
export const BUNDLE_FILE = /[/\\](?:\.cache[/\\]mmu-stress|mmu-stress-bundles-[^/\\]+)[/\\][0-9a-f]+\.mjs$/;

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

/** How many bundles the cache keeps: the most recently used ones (a bundle is touched when used); a scenario has two (seam and plain). */
const CACHE_KEEP = 64;

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
  // a manifest whose bundle is gone names nothing to reuse (every scenario file run leaves one)
  const kept = new Set(bundles.slice(0, CACHE_KEEP).map((b) => b.f));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.manifest.json'))) {
    let bundle: unknown;
    try {
      bundle = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<Manifest>).bundle;
    } catch {
      bundle = undefined; // unreadable: of no use either
    }
    if (typeof bundle === 'string' && kept.has(bundle)) continue;
    try {
      unlinkSync(join(dir, f));
    } catch {
      // another process pruned it first
    }
  }
}

/**
 * A worker bundle and what it was built from: each file esbuild read and the sha256 of its
 * content (null for a prebuilt bundle of a built-in scenario: the package's own sources).
 */
export interface LocatedBundle {
  url: string;
  inputs: Record<string, string> | null;
}

const built = new Map<string, Promise<LocatedBundle>>();

/** The worker bundle for `scenarioFile` and `memory` with its inputs, built once per process. */
export function bundleOnce(scenarioFile: string, memory: BundleMemory = 'seam'): Promise<LocatedBundle> {
  const key = `${memory}\0${scenarioFile}`;
  let b = built.get(key);
  if (!b) {
    b = locateWithInputs(scenarioFile, memory);
    built.set(key, b);
    b.catch(() => built.delete(key));
  }
  return b;
}

/** The file URL of the worker bundle for `scenarioFile` and `memory`, built once per process. */
export async function workerBundle(scenarioFile: string, memory: BundleMemory = 'seam'): Promise<string> {
  return (await bundleOnce(scenarioFile, memory)).url;
}

/**
 * Bumped whenever buildWorkerBundle's options or entry change, which no input file
 * shows: a manifest of another format is never trusted.
 */
const MANIFEST_FORMAT = 3;

interface Manifest {
  format: number;
  /** The bundle's file name in the cache folder. */
  bundle: string;
  /** Each file the bundle was built from, and the sha256 of its content then. */
  inputs: Record<string, string>;
}

function fileHash(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

/** The manifest's name: which scenario file, bundled for which memory with which harness sources (a copy of the package elsewhere has its own). */
function manifestFile(dir: string, source: string, memory: BundleMemory): string {
  const key = createHash('sha256').update(`${MANIFEST_FORMAT}\0${PACKAGE_ROOT}\0${source}\0${memory}`).digest('hex').slice(0, 20);
  return join(dir, `${key}.manifest.json`);
}

/** The cached bundle a manifest names, with the manifest's inputs, if every file it was built from is unchanged; else null. */
function freshBundle(dir: string, source: string, memory: BundleMemory): { file: string; inputs: Record<string, string> } | null {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestFile(dir, source, memory), 'utf8')) as Manifest;
  } catch {
    return null;
  }
  if (m.format !== MANIFEST_FORMAT || typeof m.bundle !== 'string' || !m.inputs || Object.keys(m.inputs).length === 0) return null;
  const file = join(dir, basename(m.bundle));
  if (!existsSync(file)) return null;
  for (const [path, hash] of Object.entries(m.inputs)) if (fileHash(path) !== hash) return null;
  return { file, inputs: m.inputs };
}

/** What an input hashes as when it changed (or went) while esbuild read it: no later content hashes the same. */
const CHANGED_WHILE_BUNDLED = 'changed-while-bundled';

/**
 * The sha256 of each file a bundle was built from, CHANGED_WHILE_BUNDLED for one changed
 * since the build began (`started`): the hash taken now might not be of the content esbuild
 * read. `settled`: no input changed in the second before either, so a filesystem that keeps
 * coarse times cannot have hidden a change during the build (else no manifest is written).
 */
function inputHashes(inputs: string[], started: number): { hashes: Record<string, string>; settled: boolean } {
  const hashes: Record<string, string> = {};
  let settled = true;
  for (const f of inputs) {
    const h = fileHash(f);
    let mtime = Number.POSITIVE_INFINITY;
    try {
      mtime = statSync(f).mtimeMs;
    } catch {
      // gone: changed
    }
    hashes[f] = h === null || mtime >= started ? CHANGED_WHILE_BUNDLED : h;
    if (hashes[f] === CHANGED_WHILE_BUNDLED || mtime >= started - 1000) settled = false;
  }
  return { hashes, settled };
}

/** Record what `bundle` was built from, only if its inputs had settled (inputHashes). */
function writeManifest(dir: string, source: string, memory: BundleMemory, bundle: string, inputs: { hashes: Record<string, string>; settled: boolean }): void {
  if (!inputs.settled) return; // no manifest: the next command bundles again
  const m: Manifest = { format: MANIFEST_FORMAT, bundle: basename(bundle), inputs: inputs.hashes };
  const target = manifestFile(dir, source, memory);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(m));
    renameSync(tmp, target);
  } catch {
    // a cache that cannot be written only costs the next command its bundling
  }
}

/** A built-in scenario's prebuilt bundle in dist/bundles/ (name.mjs, name.plain.mjs for plain memory). */
export function prebuiltName(name: string, memory: BundleMemory): string {
  return memory === 'plain' ? `${name}.plain.mjs` : `${name}.mjs`;
}

/** The file URL of the worker bundle for `scenarioFile` and `memory`: prebuilt, cached and still fresh, or built now. */
export async function locate(scenarioFile: string, memory: BundleMemory = 'seam'): Promise<string> {
  return (await locateWithInputs(scenarioFile, memory)).url;
}

/** locate, with the files the bundle was built from and their hashes (the manifest's, or taken as it is built). */
async function locateWithInputs(scenarioFile: string, memory: BundleMemory): Promise<LocatedBundle> {
  const source = sourceOf(scenarioFile);
  if (RUNNING_FROM_DIST && dirname(source) === join(PACKAGE_ROOT, 'scenarios')) {
    const prebuilt = join(PREBUILT_DIR, prebuiltName(basename(source, '.ts'), memory));
    if (existsSync(prebuilt)) return { url: pathToFileURL(prebuilt).href, inputs: null };
  }
  const dir = bundleCacheDir();
  const cached = freshBundle(dir, source, memory);
  if (cached && touch(cached.file)) return { url: pathToFileURL(cached.file).href, inputs: cached.inputs };
  const started = Date.now();
  const { code, map, inputs } = await buildWorkerBundle(scenarioFile, memory);
  const hash = createHash('sha256').update(code).update(map).digest('hex').slice(0, 20);
  const file = join(dir, `${hash}.mjs`);
  if (!existsSync(file) || !touch(file)) {
    // Write then rename, so a concurrent run never loads half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(`${file}.map`, map);
    writeFileSync(tmp, linkMap(code, `${hash}.mjs.map`));
    renameSync(tmp, file);
    pruneCache(dir);
  }
  const hashed = inputHashes(inputs, started);
  writeManifest(dir, source, memory, file, hashed);
  return { url: pathToFileURL(file).href, inputs: hashed.hashes };
}

/** Mark a bundle used, so that pruning keeps it; false if it is gone (another process pruned it). */
function touch(file: string): boolean {
  const now = new Date();
  try {
    utimesSync(file, now, now);
    return true;
  } catch {
    return false;
  }
}
