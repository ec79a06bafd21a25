/** The command line: its contract for exit codes, JSON, flags, bad input and output errors. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWorkerBundle } from '../src/load/bundle.js';
import { BadInput } from '../src/rt/errors.js';
import { BIN, campaignRows, cli, expectBadInput, ROOT, start, tempDirs } from './cli-helpers.js';

const ROWS = await campaignRows();

const temp = tempDirs();
afterAll(() => temp.cleanup());

describe('mmu-stress CLI', () => {
  it('list --json lists shrinker-vs-fault with its five variants and expectations (shrinker-mutex-lock: the reclaim cycle)', () => {
    const r = cli(['list', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out).scenarios.find((x: { name: string }) => x.name === 'shrinker-vs-fault');
    expect(s.variants.map((v: { name: string; expect: string }) => [v.name, v.expect])).toEqual([
      ['removed', 'ok'],
      ['cache-lock', 'ok'],
      ['no-cache-lock', 'cache-empty-under-lock'],
      ['lock-after-topup', 'cache-empty-under-lock'],
      ['shrinker-mutex-lock', 'lock-order-cycle'],
    ]);
    expect(s.params.vendor).toBe('intel'); // a named value is listed by its name
  });

  it('list prints one line per scenario (name, variant count, summary); --long the variants and parameters', () => {
    const r = cli(['list']);
    expect(r.code).toBe(0);
    const scenarios = JSON.parse(cli(['list', '--json']).out).scenarios as { name: string; variants: unknown[] }[];
    const lines = r.out.trimEnd().split('\n');
    // one row per scenario, then a blank line and the pointer to --long
    expect(lines).toHaveLength(scenarios.length + 2);
    for (const [i, s] of scenarios.entries()) expect(lines[i]).toMatch(new RegExp(`^${s.name} +${s.variants.length} variants? +\\S.{10,}$`));
    expect(lines.at(-1)).toContain('list --long');
    expect(r.out).not.toContain('params (--param k=v)');
    const long = cli(['list', '--long']);
    expect(long.code).toBe(0);
    expect(long.out).toContain('params (--param k=v):');
    expect(long.out).toMatch(/^ {4}shrinker-mutex-lock +expect lock-order-cycle/m);
    // a user's own scenario file, by path: its variants and what each must produce
    const own = cli(['list', 'test/fixtures/spin-abba.ts', '--long']);
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/^spin-abba\n/);
    expect(own.out).toMatch(/^ {4}never +expect invariant/m);
    expect(own.out).toMatch(/^ {4}rounds=3 +how many times/m);
    expect(own.out).not.toContain('shrinker-vs-fault');
  });

  it('run --json exits 1 with the violation, and its replay command gives the same violation at the same step', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--mode', 'sim', '--seed', '1', '--executions', '1000', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.exitCode).toBe(1);
    const v = doc.violations[0];
    expect(v.kind).toBe('cache-empty-under-lock');
    // the shrunk schedule, as a token that carries its seed
    expect(v.replay).toMatch(/^npx mmu-stress run shrinker-vs-fault --variant no-cache-lock --mode sim --schedule g2\.[0-9a-z.-]+$/);
    expect(doc.shrink.to.preemptions).toBeLessThanOrEqual(doc.shrink.from.preemptions);
    const args = v.replay.replace(/^npx mmu-stress /, '').split(' ');
    for (let k = 0; k < 2; k++) {
      const again = cli([...args, '--json']);
      expect(again.code).toBe(1);
      const w = JSON.parse(again.out).violations[0];
      expect([w.kind, w.step, w.seed, w.message]).toEqual([v.kind, v.step, v.seed, v.message]);
    }
  });

  it('a clean run exits 0 and the text report ends with nothing to replay', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '20']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('observed ok (as expected)');
    expect(r.out).not.toMatch(/^replay:/m);
  });

  it('the text report of a violation shows each task\'s last ops and ends with the replay command', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'shrinker-mutex-lock']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATION lock-order-cycle');
    expect(r.out).toMatch(/the last 16 ops of each task up to step \d+, in step order/);
    const traced = r.out.split('\n').filter((l) => /^\s*(>>)?\s*\d+\s+(vcpu0|vcpu1|shrinker0)\s/.test(l));
    // the shrunk schedule: the shrinker and a vCPU, the two sides of the cycle
    expect(traced.some((l) => l.includes(' shrinker0 '))).toBe(true);
    expect(traced.some((l) => / vcpu[01] /.test(l))).toBe(true);
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^replay: npx mmu-stress run shrinker-vs-fault --variant shrinker-mutex-lock --mode sim --schedule g2\.1\.[0-9a-z.-]+$/);
    expect(r.out).toMatch(/^shrunk from \d+ to \d+ preemptions?, [\d,]+ to [\d,]+ steps/m);
  });

  it('non-default params are part of the replay command, named values by their names', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'lock-after-topup', '--param', 'levels=5', '--param', 'vendor=amd', '--vcpus', '3', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).violations[0].replay).toContain('--param vcpus=3 --param levels=5 --param vendor=amd');
  });

  it('--version, --help and per-command help', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const v = cli(['--version']);
    expect([v.code, v.out.trim()]).toEqual([0, pkg.version]);
    const h = cli(['run', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: mmu-stress run <scenario>/);
    for (const f of ['--variant', '--mode', '--time', '--execution-limit', '--watchdog', '--param', '--json']) expect(h.out).toContain(f);
    expect(cli(['campaign', '--help']).out).toContain('--time-per-variant');
    expect(cli(['help', 'list']).out).toMatch(/^usage: mmu-stress list/);
    const top = cli(['--help']).out;
    expect(top).toContain('exit codes');
    // the first line says what the tool is
    expect(top.split('\n')[0]).toMatch(/^mmu-stress: a concurrency stress harness for the KVM MMU/);
    // with --json, help is one JSON document too
    const j = cli(['run', 'shrinker-vs-fault', '--help', '--json']);
    expect([j.code, JSON.parse(j.out).exitCode]).toEqual([0, 0]);
    expect(JSON.parse(j.out).help).toMatch(/^usage: mmu-stress run <scenario>/);
  });

  it('bad input gets one line and exit 2', async () => {
    const bad: [string[], RegExp][] = [
      [['run', 'nope'], /unknown scenario 'nope'.*shrinker-vs-fault/],
      [['run', 'shrinker-vs-fault', '--variant', 'nope'], /unknown variant 'nope'.*cache-lock/],
      [['run', 'shrinker-vs-fault', '--mode', 'fast'], /--mode must be sim or threads/],
      // a negative number is the flag's value, refused by its range check (it once asked for --seed=VALUE)
      [['run', 'shrinker-vs-fault', '--seed', '-3'], /--seed must be a whole number from 0 to \d+, not '-3'/],
      [['run', 'shrinker-vs-fault', '--executions', '-1'], /--executions must be a whole number from 1 to \d+, not '-1'/],
      [['run', 'shrinker-vs-fault', '--time', '-2s'], /--time must be a duration/],
      [['run', 'shrinker-vs-fault', '--seed=-3'], /--seed must be a whole number/],
      [['run', 'shrinker-vs-fault', '--executions', '1e3'], /--executions must be a whole number/],
      [['run', 'shrinker-vs-fault', '--time', 'soon'], /--time must be a duration/],
      [['run', 'shrinker-vs-fault', '--time', '10'], /--time must be a duration with a unit.*did you mean 10s/],
      [['run', 'shrinker-vs-fault', '--seed', '1', '--seed', '2'], /--seed is given twice/],
      [['run', 'shrinker-vs-fault', '--time'], /--time needs a value/],
      [['run', 'shrinker-vs-fault', '--json=yes'], /--json takes no value/],
      [['run', 'shrinker-vs-fault', 'extra'], /unexpected argument 'extra' for 'run'/],
      [['campaign', 'extra'], /unknown scenario 'extra'; known scenarios: /],
      [['footprint', 'extra'], /unexpected argument 'extra' for 'footprint', which takes none/],
      [['list', 'x'], /unknown scenario 'x'; known scenarios: /],
      [['run', 'shrinker-vs-fault', '--param', 'levels=3'], /levels must be 4 or 5/],
      [['run', 'shrinker-vs-fault', '--param', 'bogus=1'], /no parameter 'bogus'/],
      [['run', 'shrinker-vs-fault', '--param', 'faults=0x10'], /must be a decimal number/],
      [['run', 'shrinker-vs-fault', '--param', 'vendor=arm'], /'vendor' must be one of intel, amd/],
      [['run', 'shrinker-vs-fault', '--param', 'faults=10000001'], /faults must be at most 10000000/],
      [['run', 'shrinker-vs-fault', '--vcpus', '25'], /at most 24 vCPUs/],
      [['run', 'shrinker-vs-fault', '--param', 'guestMemMiB=4194304', '--vcpus', '24', '--param', 'faults=1000000'], /MiB of shared memory per execution, more than the 512 MiB allowed/],
      [['run', 'shrinker-vs-fault', '--mode', 'threads', '--watchdog', '1ms'], /--watchdog must be at least 1s/],
      [['run', 'shrinker-vs-fault', '--frobnicate'], /unknown flag --frobnicate for 'run'; valid: /],
      [['run', 'shrinker-vs-fault', '--executons', '5'], /unknown flag --executons for 'run' \(did you mean --executions\?\); valid: /],
      [['run', 'shrinker-vs-fault', '--time', '1h30x'], /--time must be a duration with a unit, such as .* 1h30m, not '1h30x'/],
      [['run', 'shrinker-vs-fault', '--time', '30m1h'], /--time must be a duration/],
      [['run', 'pte-list-desc', '--param', 'aliases=0'], /aliases must be/],
      [['run', 'lazy-rmaps', '--param', 'allocFail=2'], /allocFail is a probability: 0\.\.1, not 2/],
      [['footprint', '--vcpus', '0'], /--vcpus/],
      [['run'], /'run' needs <scenario>/],
      [['launch'], /unknown command 'launch'/],
      [['run', './no/such/file.ts'], /no scenario file/],
    ];
    // the commands run four at a time (each is a process that starts, reads its flags and exits)
    for (let k = 0; k < bad.length; k += 4) {
      const batch = bad.slice(k, k + 4);
      const results = await Promise.all(batch.map(([args]) => start(args).done));
      for (const [j, [, re]] of batch.entries()) expectBadInput(results[j], re);
    }
  });

  it('with --json, every exit code comes with one JSON document on stdout', () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(
      join(dir, 'setup-throws.ts'),
      `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\n` +
        "export default { ...base, name: 'setup-throws', setup() { throw new Error('no memory for you'); } };\n",
    );
    const bad = cli(['run', 'nosuch', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out)).toEqual({ exitCode: 2, error: { kind: 'bad-input', message: expect.stringContaining("unknown scenario 'nosuch'") } });
    const broken = cli(['run', join(dir, 'setup-throws.ts'), '--json']);
    expect(broken.code).toBe(3);
    // the scenario's own setup() threw: its error, named with its line, not the harness's
    expect(JSON.parse(broken.out)).toEqual({ exitCode: 3, error: { kind: 'scenario', message: expect.stringMatching(/^scenario error: setup\(\) threw at .*setup-throws\.ts:2:\d+: Error: no memory for you/) } });
    const ok = cli(['run', 'shrinker-vs-fault', '--executions', '2', '--json']);
    expect([ok.code, JSON.parse(ok.out).exitCode]).toEqual([0, 0]);
  });

  it('a scenario file that fails to load names the file and the cause', () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(join(dir, 'empty.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'broken.ts'), 'const a = 1;\nconst b = 2;\nexport default {{{\n');
    writeFileSync(join(dir, 'throws.ts'), "throw new Error('top-level boom');\n");
    writeFileSync(join(dir, 'missing.ts'), "import './nowhere.js';\nexport default {};\n");
    writeFileSync(
      join(dir, 'novariants.ts'),
      `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\nexport default { ...base, variants: {} };\n`,
    );
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    expectBadInput(cli(['run', join(dir, 'empty.ts')]), /empty\.ts: does not export default defineScenario/);
    expectBadInput(cli(['run', join(dir, 'broken.ts')]), /broken\.ts:3:\d+: syntax error: /);
    expectBadInput(cli(['run', join(dir, 'missing.ts')]), /missing\.ts: cannot load it: .*nowhere/);
    expectBadInput(cli(['run', join(dir, 'novariants.ts')]), /scenario 'shrinker-vs-fault' declares no variants/);
    expectBadInput(cli(['run', dir]), /is a directory; give the scenario file itself \(it holds /);
    expectBadInput(cli(['run', join(dir, 'notes.txt')]), /is not a scenario file: expected \.ts/);
    // its code that throws as it loads is the scenario's error (exit 3) with the line, not bad input
    const threw = cli(['run', join(dir, 'throws.ts')]);
    expect([threw.code, threw.err.trim().split('\n').length]).toEqual([3, 1]);
    expect(threw.err).toMatch(/^mmu-stress: scenario error: loading .*throws\.ts threw at .*throws\.ts:1:7: Error: top-level boom$/m);
    // MMU_STRESS_DEBUG set: the stack of what failed comes too, with the same exit code.
    const debug = cli(['run', join(dir, 'missing.ts')], { env: { MMU_STRESS_DEBUG: '1' } });
    expect(debug.code).toBe(2);
    expect(debug.err).toMatch(/Cannot find module .*nowhere\.js.*\n\s+at /);
    const debugThrew = cli(['run', join(dir, 'throws.ts')], { env: { MMU_STRESS_DEBUG: '1' } });
    expect(debugThrew.code).toBe(3);
    expect(debugThrew.err).toMatch(/Error: top-level boom\n\s+at .*throws\.ts/);
  });

  it('a file esbuild cannot bundle for the worker threads is bad input that names where', async () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'broken.ts'), 'const a = 1;\nexport default {{{\n');
    const e = await buildWorkerBundle(join(dir, 'broken.ts')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadInput);
    expect((e as Error).message).toMatch(/broken\.ts: cannot bundle it for the worker threads: .*broken\.ts:2:\d+: /);
  });

  it('a .ts scenario in a CommonJS package (a user\'s own repository) loads as a module', () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'package.json'), '{"name": "their-repo", "version": "1.0.0"}\n'); // no "type": CommonJS
    writeFileSync(
      join(dir, 'mine.ts'),
      `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\nexport default { ...base, name: 'mine' };\n`,
    );
    const r = cli(['run', join(dir, 'mine.ts'), '--variant', 'lock-after-topup', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ scenario: 'mine', observed: 'cache-empty-under-lock' });
  });

  it('the replay line runs as printed from the directory of the run, with the scenario path as given', () => {
    const dir = temp.make();
    writeFileSync(
      join(dir, 'mine.ts'),
      `import base from ${JSON.stringify(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'))};\nexport default { ...base, name: 'mine' };\n`,
    );
    const r = cli(['run', './mine.ts', '--variant', 'lock-after-topup', '--param', 'levels=5', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).violations[0];
    // outside the checkout npx would ask the registry: the line runs node on this bin, relative to the run's directory
    expect(v.replay).toMatch(new RegExp(`^node ${relative(dir, BIN).replace(/\./g, '\\.')} run \\./mine\\.ts --variant lock-after-topup --mode sim --schedule g2\\.[0-9a-z.-]+ --param levels=5$`));
    const again = spawnSync('sh', ['-c', `${v.replay} --json`], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_command: '' } });
    expect(again.status).toBe(1);
    const w = JSON.parse(again.stdout).violations[0];
    expect([w.kind, w.step, w.message]).toEqual([v.kind, v.step, v.message]);
  });

  it('a write to a full device is one line on stderr and exit 3, no stack trace', () => {
    for (const args of [['list'], ['list', '--json'], ['run', 'shrinker-vs-fault', '--executions', '3']]) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 60_000 });
        expect(r.status).toBe(3);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mmu-stress: cannot write the results to stdout: no space left on device \(ENOSPC\)$/)]);
      } finally {
        closeSync(full);
      }
    }
  });

  it('a closed pipe on stdout ends the command quietly with its own exit code', async () => {
    const child = spawn(process.execPath, [BIN, 'run', 'shrinker-vs-fault', '--variant', 'no-cache-lock'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before anything is written
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(1);
  });

  it('a closed stderr never stops a campaign', async () => {
    // a quarter of the plan (shard 1/4) is enough to show every row and the closing line arrive
    const child = spawn(process.execPath, [BIN, 'campaign', '--time-per-variant', '200ms', '--shard', '1/4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.destroy(); // progress lines now fail with EPIPE
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    // The campaign ran to its end: every row and the closing line (whether a 200 ms row found
    // its bug, or finished an execution, in time is the machine's speed, not this test's point).
    expect([0, 1, 3]).toContain(code);
    const rows = Math.ceil(ROWS / 4);
    expect(out).toMatch(new RegExp(`\\n\\d+ of ${rows} rows as expected \\(shard 1/4\\) in `));
    expect(out.split('\n').filter((l) => /^[a-z0-9-]+\s+\S+\s+(sim|threads)\s/.test(l))).toHaveLength(rows);
    expect(out).toMatch(/\n\n[a-z0-9-]+\s+\S+\s+(sim|threads)\s/); // one block per scenario
  });
});
