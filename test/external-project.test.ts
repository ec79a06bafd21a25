/**
 * The package from a user's own project: a fresh directory outside this repository
 * installs it from a local path, writes a scenario against the documented API only (two
 * of its own mutexes taken in opposite orders by two roles, the second starting after
 * the first has finished), and runs it with `npx mmu-stress` and from a vitest file with
 * the helpers; a vitest file of its own is told the file, line and column of a scenario's
 * syntax error and of a throw while a scenario loads. dist/ must be the compiled sources
 * (test/global-setup.ts builds it first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsFresh } from '../bin/fresh.mjs';
import { loadErrorMessages } from './fixtures/external/load-errors.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'external');
let dir = '';

beforeAll(() => {
  // test/global-setup.ts built it before any file ran; a source edited since is not what this run tests
  if (!distIsFresh(new URL(`file://${ROOT}/`))) throw new Error('dist/ is older than the sources: a source changed during the test run');
  dir = mkdtempSync(join(tmpdir(), 'mmu-stress-user-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "my-kvm-tests", "private": true, "type": "module" }\n');
  // npm runs a folder's `prepare` when it installs it (here: rm -rf dist && build), which
  // would pull dist/ from under every command the files beside this one are running
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ROOT], { cwd: dir, stdio: 'ignore' });
  // the user's own vitest; here this repository's, so that the test needs no network
  symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'));
  copyFileSync(join(FIXTURES, 'my-driver.ts'), join(dir, 'my-driver.ts'));
  for (const f of ['my-driver.test.ts', 'load-errors.test.ts', 'throws-on-load.ts']) copyFileSync(join(FIXTURES, f), join(dir, f));
  // not TypeScript on purpose, so kept under another name in this repository
  copyFileSync(join(FIXTURES, 'broken-driver.ts.txt'), join(dir, 'broken-driver.ts'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a scenario in a user\'s own project', () => {
  it('npx mmu-stress run ./my-driver.ts --mode sim reports the lock-order cycle, naming both locks and both places', () => {
    const r = spawnSync('npx', ['mmu-stress', 'run', './my-driver.ts', '--variant', 'abba', '--mode', 'sim'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('observed lock-order-cycle (as expected)');
    expect(r.stdout).toContain('possible circular locking dependency: irq_lock -> dev_lock -> irq_lock');
    expect(r.stdout).toMatch(/irq0 \(role irq\) in my_irq_thread\(\) at step \d+, execution seed 1: holding irq_lock \(mutex\)/);
    expect(r.stdout).toMatch(/probe0 \(role probe\) in my_probe\(\) at step \d+, execution seed 1: holding dev_lock \(mutex\)/);
  });

  it('its vitest file passes with the helpers, for the clean variant and for the cycle', () => {
    const r = spawnSync(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'my-driver.test.ts', '--reporter=json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBe(3);
  });

  // The package is linked here (npm install <folder>), so vitest's module runner loads it and
  // the scenario with its own transformer, whose syntax error said only "Transform failed with 1 error:".
  it('its vitest file is told where a scenario\'s syntax error is (file:line:column), and the line of a throw while the scenario loads', () => {
    const r = spawnSync(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'load-errors.test.ts', '--reporter=json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const told = loadErrorMessages(r.stdout);
    expect(told['a scenario with a syntax error']).toContain('expected a clean run, got exit 2: bad-input: ./broken-driver.ts:3:38: syntax error: Expected "]" but found ";"');
    expect(told['a scenario that throws while it loads']).toContain(
      "expected a clean run, got exit 3: scenario: scenario error: loading throws-on-load.ts threw at throws-on-load.ts:5:24: TypeError: Cannot read properties of undefined (reading 'faults')",
    );
  });
});
