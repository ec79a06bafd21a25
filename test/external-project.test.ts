/**
 * The package from a user's own project: a fresh directory outside this repository
 * installs it from a local path, writes a scenario against the documented API only (two
 * of its own mutexes taken in opposite orders by two roles, the second starting after
 * the first has finished), and runs it with `npx mmu-stress` and from a vitest file with
 * the helpers. dist/ must be the compiled sources (test/global-setup.ts builds it first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsFresh } from '../bin/fresh.mjs';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'external');
let dir = '';

beforeAll(() => {
  // test/global-setup.ts built it before any file ran; a source edited since is not what this run tests
  if (!distIsFresh(new URL(`file://${ROOT}/`))) throw new Error('dist/ is older than the sources: a source changed during the test run');
  dir = mkdtempSync(join(tmpdir(), 'mmu-stress-user-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "my-kvm-tests", "private": true, "type": "module" }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ROOT], { cwd: dir, stdio: 'ignore' });
  // the user's own vitest; here this repository's, so that the test needs no network
  symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'));
  copyFileSync(join(FIXTURES, 'my-driver.ts'), join(dir, 'my-driver.ts'));
  copyFileSync(join(FIXTURES, 'my-driver.test.ts'), join(dir, 'my-driver.test.ts'));
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
    const r = spawnSync(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBe(3);
  });
});
