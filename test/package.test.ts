/**
 * The package as a user gets it: `npm pack` of this checkout (dist/ built by `prepare`),
 * installed from the tarball into an empty project of its own with that
 * project's own vitest; then the user's TypeScript scenario, which imports
 * defineScenario from 'mmu-stress', runs by path through `npx mmu-stress`, through
 * runScenario() in a plain Node script (in this project, and in a CommonJS one), and from a
 * vitest file with the matchers. The
 * user's TypeScript over the KVM model's subpaths ('mmu-stress/kvm', '/kvm/x86',
 * '/kvm/x86/lazy-rmaps', '/kvm/arm64', '/kernel') type-checks under strict with node16,
 * bundler and node10 resolution, and runs: a shrinker of the user's own over the x86
 * model, and a built-in scenario under pct and weak memory. The tarball carries the
 * license, the compiled package and its sources, and no tests or benchmarks. npm works
 * from its cache (--prefer-offline): `npm ci` here has filled it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsFresh } from '../bin/fresh.mjs';
import { loadErrorMessages } from './fixtures/external/load-errors.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'external');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
let work = '';
let project = '';
/** The same user's CommonJS project (package.json without "type": npm's default). */
let cjsProject = '';
let tarball = '';
let listing: string[] = [];

/**
 * The user's environment: without what `npm test` adds about this repository (its
 * package, the script, its folder as the local prefix), so that npm and npx in the project
 * see the project; npm's configuration (npm_config_*: cache, registry, proxy) stays.
 */
function userEnv(): NodeJS.ProcessEnv {
  const ours = /^(npm_command|npm_lifecycle_.*|npm_package_.*|npm_execpath|npm_node_execpath|npm_config_local_prefix|INIT_CWD|MMU_STRESS_DEBUG)$/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !ours.test(k)));
}

function run(file: string, args: string[], timeout = 60_000) {
  return spawnSync(file, args, { cwd: project, encoding: 'utf8', timeout, env: userEnv() });
}

/** stderr without npm's own notices (an update notice, say): what the command and the package printed. */
function ownLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/^npm (notice|warn) /.test(l));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mmu-stress-pack-'));
  const env = userEnv();
  // `npm pack` would build dist/ again (`prepare`), from under the commands of the files
  // running beside this one; test/global-setup.ts built it before any file ran, and packing
  // it as it is gives the same tarball.
  if (!distIsFresh(new URL(`file://${ROOT}/`))) throw new Error('dist/ is older than the sources: a source changed during the test run');
  const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work, ...NPM_FLAGS], { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
  tarball = join(work, JSON.parse(packed.slice(packed.indexOf('[')))[0].filename);
  listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  project = join(work, 'my-kvm-tests');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{ "name": "my-kvm-tests", "private": true, "type": "module" }\n');
  // the same vitest as this repository's, so that npm finds it in its cache
  const vitest = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')).version;
  execFileSync('npm', ['install', ...NPM_FLAGS, tarball, `vitest@${vitest}`], { cwd: project, env, stdio: 'ignore' });
  for (const f of ['my-driver.ts', 'my-driver.test.ts', 'run-my-driver.mjs', 'use-model.ts', 'my-shrinker.ts', 'load-errors.test.ts', 'throws-on-load.ts']) copyFileSync(join(FIXTURES, f), join(project, f));
  // not TypeScript on purpose, so kept under another name in this repository
  copyFileSync(join(FIXTURES, 'broken-driver.ts.txt'), join(project, 'broken-driver.ts'));
  cjsProject = join(work, 'my-cjs-project');
  mkdirSync(cjsProject);
  writeFileSync(join(cjsProject, 'package.json'), '{ "name": "my-cjs-project", "private": true }\n');
  // the same installed files as the first project's (an npm install of the same tarball, minus its time)
  cpSync(join(project, 'node_modules'), join(cjsProject, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  for (const f of ['my-driver.ts', 'run-my-driver.mjs', 'run-my-driver.cjs']) copyFileSync(join(FIXTURES, f), join(cjsProject, f));
}, 150_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('the tarball carries the license, dist/ with declarations and worker bundles, the sources, bin/ and workers/; no tests or benchmarks', () => {
    const files = new Set(listing.map((f) => f.replace(/^package\//, '')));
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/mmu-stress.mjs', 'bin/fresh.mjs', 'bin/module-hooks.mjs', 'workers/role-worker.mjs', 'workers/sim-worker.mjs']) expect(files).toContain(f);
    for (const f of ['dist/build-info.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/vitest.js', 'dist/src/vitest.d.ts', 'dist/src/cli.js', 'src/index.ts', 'src/exec/worker-api.ts']) expect(files).toContain(f);
    // the model's subpaths: code and declarations, and the sources the worker bundles are built from
    for (const f of ['kvm', 'x86', 'x86-lazy-rmaps', 'arm64', 'kernel']) for (const x of [`dist/src/exports/${f}.js`, `dist/src/exports/${f}.d.ts`, `src/exports/${f}.ts`]) expect(files).toContain(x);
    for (const name of readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))) {
      expect(files).toContain(`scenarios/${name}.ts`);
      expect(files).toContain(`dist/scenarios/${name}.js`);
      expect(files).toContain(`dist/bundles/${name}.mjs`);
      expect(files).toContain(`dist/bundles/${name}.plain.mjs`);
    }
    expect([...files].filter((f) => /^(test|bench|scripts|artifacts|node_modules|\.ci)\//.test(f))).toEqual([]);
    const installed = join(project, 'node_modules', 'mmu-stress');
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.private).toBeUndefined();
  });
});

describe('installed from the tarball into an empty project', () => {
  it('the command runs the compiled package: dist/ matches the sources it ships', () => {
    const r = run('npx', ['mmu-stress', 'list', '--json']);
    expect(r.status).toBe(0);
    const files: string[] = JSON.parse(r.stdout).scenarios.map((s: { file: string }) => s.file);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toContain(join(project, 'node_modules', 'mmu-stress', 'dist', 'scenarios'));
  });

  it('npx mmu-stress run <built-in> finds its bug with the worker bundle the tarball carries (none is built)', () => {
    const r = run('npx', ['mmu-stress', 'run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--mode', 'sim', '--seed', '1', '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ observed: 'cache-empty-under-lock', asExpected: true });
    const cache = join(project, 'node_modules', 'mmu-stress', 'node_modules', '.cache', 'mmu-stress');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
  });

  it('npx mmu-stress run ./my-driver.ts: the user scenario, importing defineScenario from mmu-stress, reports its lock-order cycle', () => {
    const r = run('npx', ['mmu-stress', 'run', './my-driver.ts', '--variant', 'abba', '--mode', 'sim', '--json']);
    expect(ownLines(r.stderr)).toEqual([]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.observed).toBe('lock-order-cycle');
    expect(out.violations[0].message).toBe('possible circular locking dependency: irq_lock -> dev_lock -> irq_lock');
  });

  it('runScenario() from a plain Node script loads the TypeScript scenario: the cycle, and the fixed variant clean', () => {
    const abba = run(process.execPath, ['run-my-driver.mjs', 'abba']);
    expect(ownLines(abba.stderr)).toEqual([]);
    expect(JSON.parse(abba.stdout)).toMatchObject({ exitCode: 1, observed: 'lock-order-cycle', asExpected: true });
    const fixed = run(process.execPath, ['run-my-driver.mjs', 'fixed']);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ exitCode: 0, observed: 'ok', executions: 50 });
  });

  it('runScenario() of a TypeScript scenario from a CommonJS project: from a require() script and from an ES module script', () => {
    const required = spawnSync(process.execPath, ['run-my-driver.cjs', 'abba'], { cwd: cjsProject, encoding: 'utf8', timeout: 60_000, env: userEnv() });
    expect(ownLines(required.stderr)).toEqual([]);
    expect(JSON.parse(required.stdout)).toMatchObject({ exitCode: 1, observed: 'lock-order-cycle', asExpected: true });
    const imported = spawnSync(process.execPath, ['run-my-driver.mjs', 'fixed'], { cwd: cjsProject, encoding: 'utf8', timeout: 60_000, env: userEnv() });
    expect(JSON.parse(imported.stdout)).toMatchObject({ exitCode: 0, observed: 'ok', executions: 50 });
  });

  it("the project's own vitest runs its test file with 'mmu-stress/vitest': toBeClean and toFind('lock-order-cycle') pass", () => {
    const r = run(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'my-driver.test.ts', '--reporter=json'], 120_000);
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    const failures = report.testResults.flatMap((f: { assertionResults: { failureMessages: string[] }[] }) => f.assertionResults.flatMap((a) => a.failureMessages));
    expect(failures).toEqual([]);
    expect(report.numPassedTests).toBe(3);
    expect(r.status).toBe(0);
  }, 150_000);

  // Installed from the tarball, the package runs outside vitest's module runner and tsx loads the
  // scenario; vitest still formats the stacks, and a throw on line 5 read "throws-on-load.ts:1:...".
  it("the project's own vitest is told where a scenario's syntax error is (file:line:column), and the line of a throw while it loads", () => {
    const r = run(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'load-errors.test.ts', '--reporter=json'], 120_000);
    const told = loadErrorMessages(r.stdout);
    expect(told['a scenario with a syntax error']).toContain('expected a clean run, got exit 2: bad-input: ./broken-driver.ts:3:38: syntax error: Expected "]" but found ";"');
    expect(told['a scenario that throws while it loads']).toContain(
      "expected a clean run, got exit 3: scenario: scenario error: loading throws-on-load.ts threw at throws-on-load.ts:5:24: TypeError: Cannot read properties of undefined (reading 'faults')",
    );
  }, 150_000);
});

/** The user's program over the model (use-model.ts), run once through tsx, the package's own loader; its JSON line. */
let modelRun: ReturnType<typeof run> | null = null;
function userModelRun(): Record<string, Record<string, unknown>> {
  modelRun ??= run(process.execPath, ['--import', 'tsx', 'use-model.ts'], 120_000);
  expect(ownLines(modelRun.stderr)).toEqual([]);
  expect(modelRun.status).toBe(0);
  return JSON.parse(modelRun.stdout);
}

describe('the KVM model from the installed package', () => {
  it("a user's TypeScript over the root, every model subpath and the vitest matchers (expect(...).toBeClean()) type-checks under strict, with node16, bundler and node10 resolution", () => {
    // this repository's typescript and @types/node stand in for the user's own
    const configs = { node16: { module: 'node16' }, bundler: { module: 'preserve' }, node10: { module: 'esnext', esModuleInterop: true } };
    for (const [resolution, options] of Object.entries(configs)) {
      const compilerOptions = { strict: true, target: 'es2022', moduleResolution: resolution, ...options, noEmit: true, skipLibCheck: true, typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'] };
      writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions, files: ['use-model.ts', 'my-shrinker.ts', 'my-driver.test.ts'] }));
    }
    const r = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...Object.keys(configs).map((c) => `tsconfig.${c}.json`)], 120_000);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  }, 150_000);

  it("the user's own shrinker over mmu-stress/kvm/x86, run by kswapd from mmu-stress/kernel: without the vCPU's cache mutex it empties a cache under mmu_lock, with mutex_trylock it stays clean", () => {
    const out = userModelRun();
    expect(out.unlocked).toMatchObject({ exitCode: 1, observed: 'cache-empty-under-lock' });
    expect(out.unlocked.message).toMatch(/^vcpu\d: mmu_shadow_page_cache is empty in \w+\(\) while holding mmu_lock/);
    // the user's trace op, registered in the user's file, prints in the finding's trace
    expect(out.unlocked.trace).toContainEqual(expect.stringMatching(/^my_shrink_scan\(vcpu\d\) freed \d+ pages$/));
    expect(out.trylock).toEqual({ exitCode: 0, observed: 'ok', executions: 20 });
    // each subpath's code loaded at run time
    expect(out.loaded).toEqual([4, 128, 'function', 'function', 'function', 'function', 'function', 'function', 'function']);
  }, 150_000);

  it("runScenario({ strategy: 'pct', depth: 3, memory: 'weak' }) finds lazy-rmaps' reader without acquire; the same run under sc memory is clean", () => {
    const out = userModelRun();
    expect(out.weak).toMatchObject({ exitCode: 1, memory: 'weak', observed: 'use-before-publish', kind: 'use-before-publish', weakDetails: 1 });
    expect(out.weak.seed).toBeLessThanOrEqual(500);
    expect(out.sc).toEqual({ exitCode: 0, memory: 'sc', observed: 'ok', executions: 500 });
  }, 150_000);
});
