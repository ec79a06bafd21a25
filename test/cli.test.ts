/** The command line: its contract for exit codes, JSON and bad input. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'mmu-stress.mjs');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Bad input: one line on stderr, nothing that looks like a stack trace, exit 2. */
function expectBadInput(r: ReturnType<typeof cli>, mentions: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^mmu-stress: /);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).toMatch(mentions);
}

describe('mmu-stress CLI', () => {
  it('list --json lists shrinker-vs-fault with its five variants and expectations', () => {
    const r = cli('list', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out).scenarios.find((x: { name: string }) => x.name === 'shrinker-vs-fault');
    expect(s.variants.map((v: { name: string; expect: string }) => [v.name, v.expect])).toEqual([
      ['removed', 'ok'],
      ['cache-lock', 'ok'],
      ['no-cache-lock', 'cache-empty-under-lock'],
      ['lock-after-topup', 'cache-empty-under-lock'],
      ['shrinker-mutex-lock', 'sleep-in-atomic'],
    ]);
  });

  it('run --json exits 1 with the violation, and its replay command gives the same violation at the same step', () => {
    const r = cli('run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--mode', 'sim', '--seed', '1', '--executions', '1000', '--json');
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).violations[0];
    expect(v.kind).toBe('cache-empty-under-lock');
    expect(v.replay).toMatch(/^npx mmu-stress run shrinker-vs-fault --variant no-cache-lock --mode sim --seed \d+ --executions 1$/);
    const args = v.replay.replace(/^npx mmu-stress /, '').split(' ');
    for (let k = 0; k < 2; k++) {
      const again = cli(...args, '--json');
      expect(again.code).toBe(1);
      const w = JSON.parse(again.out).violations[0];
      expect([w.kind, w.step, w.seed, w.message]).toEqual([v.kind, v.step, v.seed, v.message]);
    }
  });

  it('a clean run exits 0 and the text report ends with nothing to replay', () => {
    const r = cli('run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '20');
    expect(r.code).toBe(0);
    expect(r.out).toContain('observed ok (as expected)');
    expect(r.out).not.toMatch(/^replay:/m);
  });

  it('the text report of a violation ends with the replay command', () => {
    const r = cli('run', 'shrinker-vs-fault', '--variant', 'shrinker-mutex-lock');
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATION sleep-in-atomic');
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^replay: npx mmu-stress run shrinker-vs-fault --variant shrinker-mutex-lock --mode sim --seed 1 --executions 1$/);
  });

  it('non-default params are part of the replay command', () => {
    const r = cli('run', 'shrinker-vs-fault', '--variant', 'lock-after-topup', '--param', 'levels=5', '--vcpus', '3', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).violations[0].replay).toContain('--param vcpus=3 --param levels=5');
  });

  it('bad input gets one line and exit 2', () => {
    expectBadInput(cli('run', 'nope'), /unknown scenario 'nope'.*shrinker-vs-fault/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--variant', 'nope'), /unknown variant 'nope'.*cache-lock/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--mode', 'fast'), /--mode must be sim or threads/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--seed', '-3'), /--seed must be a whole number/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--executions', '1e3'), /--executions must be a whole number/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--time', 'soon'), /--time must be a duration/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--param', 'levels=3'), /levels must be 4 or 5/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--param', 'bogus=1'), /no parameter 'bogus'/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--param', 'faults=0x10'), /must be a decimal number/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--mode', 'threads', '--watchdog', '1ms'), /--watchdog must be at least 1s/);
    expectBadInput(cli('run', 'shrinker-vs-fault', '--frobnicate'), /unknown flag --frobnicate/);
    expectBadInput(cli('run'), /needs one scenario/);
    expectBadInput(cli('launch'), /unknown command 'launch'/);
    expectBadInput(cli('run', './no/such/file.ts'), /no scenario file/);
  });

  it('a file that is not a scenario, or does not compile, is bad input too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmu-stress-'));
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n'); // scenario files are ES modules
    writeFileSync(join(dir, 'empty.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'broken.ts'), 'export default {{{\n');
    expectBadInput(cli('run', join(dir, 'empty.ts')), /does not export default defineScenario/);
    expectBadInput(cli('run', join(dir, 'broken.ts')), /cannot load scenario file/);
  });
});
