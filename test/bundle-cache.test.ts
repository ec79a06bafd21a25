/**
 * The worker bundle of a scenario given by path is built by esbuild once and then
 * reused by later commands while every file it was built from is unchanged: a whole
 * command's start-up without starting esbuild (src/load/bundle.ts).
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundlesBuilt, locate } from '../src/load/bundle.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mmu-stress-bundle-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write a file dated an hour ago: a bundle built from a file changed while it was bundled is not cached. */
function writeOld(file: string, text: string): void {
  writeFileSync(file, text);
  const then = new Date(Date.now() - 3_600_000);
  utimesSync(file, then, then);
}

describe('the worker bundle cache', () => {
  it('reuses a bundle while its inputs are unchanged, and builds again when one changes', { timeout: 60_000 }, async () => {
    const helper = join(dir, 'helper.ts');
    const scenario = join(dir, 'mine.ts');
    writeOld(helper, 'export const NAME = "mine-a";\n');
    writeOld(
      scenario,
      `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\nimport { NAME } from './helper.ts';\nexport default { ...base, name: NAME };\n`,
    );
    const before = bundlesBuilt();
    const first = await locate(scenario);
    expect(bundlesBuilt()).toBe(before + 1);
    // a later command (locate, not the per-process memo): the same file, esbuild not started
    expect(await locate(scenario)).toBe(first);
    expect(bundlesBuilt()).toBe(before + 1);
    // an input the scenario imports changes: built again, and the new bundle has the change
    writeOld(helper, 'export const NAME = "mine-b";\n');
    const second = await locate(scenario);
    expect(bundlesBuilt()).toBe(before + 2);
    expect(second).not.toBe(first);
    expect(readFileSync(fileURLToPath(second), 'utf8')).toContain('mine-b');
    expect(await locate(scenario)).toBe(second);
    expect(bundlesBuilt()).toBe(before + 2);
  });

  it('does not trust a bundle built from a file dated after the build began (it may have changed during it)', { timeout: 60_000 }, async () => {
    const scenario = join(dir, 'fresh.ts');
    writeFileSync(scenario, `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\nexport default { ...base, name: 'fresh' };\n`);
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(scenario, later, later);
    const before = bundlesBuilt();
    await locate(scenario);
    await locate(scenario);
    expect(bundlesBuilt()).toBe(before + 2);
  });
});
