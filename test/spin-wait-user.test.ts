/**
 * A user's scenario with the kernel's spin-wait idiom (`while (!READ_ONCE(ready))`, no
 * IDLE, no progress declared) and an ABBA behind it, run from a project of its own with
 * `mmu-stress` as its dependency: 500 executions in sim find the lock-order cycle with
 * every strategy, in the first executions. And on real threads, a flag nobody can set is
 * a livelock on that word, not "a role that reaches no op boundary" (a harness error).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsFresh } from '../bin/fresh.mjs';
import { cli, ROOT } from './cli-helpers.js';

let dir = '';

beforeAll(() => {
  // the package's entry point is its compiled form
  // test/global-setup.ts built it before any file ran; a source edited since is not what this run tests
  if (!distIsFresh(new URL(`file://${ROOT}/`))) throw new Error('dist/ is older than the sources: a source changed during the test run');
  dir = mkdtempSync(join(tmpdir(), 'mmu-stress-spin-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "my-spin-tests", "private": true, "type": "module" }\n');
  // what `npm install /path/to/mmu-stress` makes of a directory: a link to it
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'mmu-stress'));
  copyFileSync(join(import.meta.dirname, 'fixtures', 'external', 'spin-driver.ts'), join(dir, 'spin-driver.ts'));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a spin-wait and an ABBA in a user's own project", () => {
  it.each(['random', 'pct', 'dfs'])('--strategy %s --executions 500 reports the lock-order-cycle in the first executions, on a short schedule', (strategy) => {
    const r = cli(['run', './spin-driver.ts', '--strategy', strategy, '--executions', '500', '--execution-limit', '30s', '--json'], { cwd: dir, timeoutMs: 110_000 });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.observed).toBe('lock-order-cycle');
    expect(doc.violations[0].message).toBe('possible circular locking dependency: irq_lock -> dev_lock -> irq_lock');
    expect(doc.executions).toBeLessThanOrEqual(5);
    expect(doc.shrink.capped).toBe(false);
    expect(doc.shrink.from.steps).toBeLessThan(1000);
  });
});

describe('a spin-wait on real threads', () => {
  it('a flag nobody can set is a livelock naming the word, not a role without an op boundary', () => {
    // --watchdog is the subject here: the spin must last that long before it is a verdict
    const r = cli(['run', 'test/fixtures/spin-abba-quiet.ts', '--variant', 'never', '--mode', 'threads', '--executions', '1', '--watchdog', '1s', '--json'], { timeoutMs: 60_000 });
    const doc = JSON.parse(r.out);
    expect(doc.harnessError).toBeNull();
    expect(doc.observed).toBe('invariant');
    expect(r.code).toBe(1);
    const v = doc.violations[0];
    expect(v.message).toContain('livelock: every task that can run spin-waits on words nobody writes (irq0 re-reads ready)');
    expect(v.details).toContain('  ready = 0 (now 0)');
    expect(v.details).toContain('probe0 has finished');
  });

  it('with the default flags (--time 10s, --watchdog 20s) the same spin is a verdict, not an incomplete run', () => {
    // the spin window is the watchdog period at most 2 s: nobody is left who could store the flag
    // (--time 15s, under the default watchdog of 20 s, with room for a loaded machine's start-up)
    const r = cli(['run', 'test/fixtures/spin-abba-quiet.ts', '--variant', 'never', '--mode', 'threads', '--executions', '1', '--time', '15s', '--json'], { timeoutMs: 90_000 });
    const doc = JSON.parse(r.out);
    expect([doc.observed, r.code]).toEqual(['invariant', 1]);
    expect(doc.violations[0].details).toContain('  ready = 0 (now 0)');
  }, 120_000);

  it('a flag that is set ends the spin: the lock-order cycle, no livelock', () => {
    const r = cli(['run', 'test/fixtures/spin-abba-quiet.ts', '--variant', 'set', '--mode', 'threads', '--executions', '5', '--watchdog', '5s', '--json'], { timeoutMs: 60_000 });
    const doc = JSON.parse(r.out);
    expect(doc.observed).toBe('lock-order-cycle');
    expect(r.code).toBe(1);
  });
});
