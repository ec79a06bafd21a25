/**
 * A scenario file whose path holds spaces, parentheses and non-ASCII letters is named by
 * that path, decoded, wherever a report names a place in it: a violation's "raised under"
 * line and a scenario error's file:line:col. Stack frames carry file: URLs (ü as
 * %C3%BC, a space as %20) and the bundle's map percent-encodes its sources; a place read
 * as a path, or a frame read only up to a space, lost the line or printed the escapes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import { mmuStressMatchers } from '../src/vitest.js';
import { cli, ROOT, tempDirs } from './cli-helpers.js';

/** The folder the fixtures are copied into, under a fresh temporary folder: every kind of character the trial met. */
const AWKWARD = join('dir with spaces', 'ünïcødé ロック (1)');

const temp = tempDirs();
const sim = new SimExecutor();
const threads = new ThreadsExecutor();
let dir = '';

/** A fixture of test/fixtures copied into `dir`, its imports of the package's sources made absolute; its path. */
function copyFixture(name: string): string {
  const text = readFileSync(join(ROOT, 'test', 'fixtures', name), 'utf8').replace(/from '\.\.\/\.\.\/src\/([\w/.-]+)'/g, (_all, p: string) => `from ${JSON.stringify(join(ROOT, 'src', p))}`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The 1-based line of a fixture's line marked `// mark`. */
function lineOf(file: string, mark: string): number {
  return readFileSync(file, 'utf8').split('\n').findIndex((l) => l.endsWith(`// ${mark}`)) + 1;
}

let unlock = '';
let throws = '';
let onLoad = '';
beforeAll(() => {
  dir = join(temp.make(), AWKWARD);
  mkdirSync(dir, { recursive: true });
  unlock = copyFixture('double-unlock.ts');
  throws = copyFixture('throws.ts');
  onLoad = copyFixture('throws-on-load.ts');
});
afterAll(async () => {
  await sim.close();
  await threads.close();
  temp.cleanup();
});

/** What double-unlock.ts's violation names as its site: the helper's unlock, called from the role's second release. */
const siteLine = () =>
  `raised under ${unlock}:${lineOf(unlock, 'UNLOCK')}:10, called from ${unlock}:${lineOf(unlock, 'SECOND')}:16 (the scenario's own code)`;

describe('a scenario under a path with spaces and non-ASCII letters', () => {
  it("sim: the violation's site names the file's real path and lines", async () => {
    const scenario = await loadScenario(unlock);
    const r = await run({ scenario, variant: 'twice', params: {}, mode: 'sim', seed: 1, executions: 5, timeMs: null, threads, sim });
    expect(r.observed).toBe('lock-not-held');
    expect(r.violation?.details.at(-1)).toBe(siteLine());
  }, 60_000);

  it("sim: a role's throw is located at the file's real path and line, and its stack shows the path decoded", async () => {
    const scenario = await loadScenario(throws);
    const r = await run({ scenario, variant: 'role', params: {}, mode: 'sim', seed: 1, executions: 5, timeMs: null, threads, sim });
    expect(r.observed).toBe('scenario-error');
    const at = `${throws}:${lineOf(throws, 'THROWS role')}:`;
    expect(r.scenarioError?.at).toMatch(new RegExp(`^${literal(at)}\\d+$`));
    expect(r.scenarioError?.line).toMatch(new RegExp(`^scenario error: role 'vcpu' \\(vcpu1\\) threw at ${literal(at)}\\d+: TypeError`));
    expect(r.scenarioError?.stack).toContain(`(${at}`);
    expect(r.scenarioError?.stack).not.toMatch(/%[0-9A-F]{2}/);
  }, 60_000);

  it("threads: a role's throw is located at the file's real path and line", async () => {
    const scenario = await loadScenario(throws);
    const r = await run({ scenario, variant: 'role', params: {}, mode: 'threads', seed: 1, executions: 3, timeMs: null, threads, sim });
    expect(r.observed).toBe('scenario-error');
    expect(r.scenarioError?.line).toMatch(new RegExp(`^scenario error: role 'vcpu' \\(vcpu1\\) threw at ${literal(`${throws}:${lineOf(throws, 'THROWS role')}:`)}\\d+: TypeError`));
  }, 60_000);

  it("runScenario and toBeClean's failure message name the real path and line", async () => {
    const r = await runScenario({ scenario: throws, variant: 'role', executions: 5 });
    expect(r.exitCode).toBe(3);
    const m = mmuStressMatchers.toBeClean(r);
    expect(m.pass).toBe(false);
    expect(m.message()).toContain(`threw at ${throws}:${lineOf(throws, 'THROWS role')}:`);
    const v = await runScenario({ scenario: unlock, executions: 5 });
    expect(v.violations?.[0]?.details.at(-1)).toBe(siteLine());
    // a throw while the file loads, in this process (vitest, not Node, formats its stack)
    const loading = await runScenario({ scenario: onLoad });
    expect(loading.exitCode).toBe(3);
    expect(loading.error?.message).toMatch(new RegExp(`^scenario error: loading ${literal(onLoad)} threw at ${literal(`${onLoad}:${lineOf(onLoad, 'THROWS load')}:`)}\\d+: TypeError`));
  }, 60_000);

  it('the command prints the site line and the scenario error line with the real path', () => {
    const found = cli(['run', unlock, '--executions', '5']);
    expect(found.code).toBe(1); // a violation found
    expect(found.out.split('\n').map((l) => l.trim())).toContain(siteLine());
    const threw = cli(['run', throws, '--variant', 'role', '--executions', '5']);
    expect(threw.code).toBe(3);
    expect(threw.out).toContain(`threw at ${throws}:${lineOf(throws, 'THROWS role')}:`);
  }, 60_000);
});

/** A string as a RegExp matches it literally. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe("a scenario under a path with '?'", () => {
  it("is refused as a path the TypeScript loader misreads (exit 2), never as a syntax error the file does not have", () => {
    const q = join(temp.make(), 'q?x');
    mkdirSync(q, { recursive: true });
    const file = join(q, 'throws.ts');
    writeFileSync(file, readFileSync(throws, 'utf8'));
    const r = cli(['run', file, '--executions', '1']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/cannot load it: the TypeScript loader reported .* but the file parses; its path holds '\?', which the TypeScript loader takes for the start of a URL query: rename the folder or file/);
    expect(r.err).not.toMatch(/syntax error/);
  }, 60_000);
});
