/**
 * A scenario's own code that throws (a role, setup(), check(), its file's top level as it
 * loads) or a role that loops without an op boundary is reported as the scenario's error in
 * both executors: observed scenario-error (or, while loading, error kind 'scenario'), exit 3
 * (no verdict), the role and instance, the file:line in the scenario's source and the thrown
 * message; never a finding in the model, never "the harness itself failed", never bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunScenarioResult, runScenario } from '../src/api.js';
import { exitCodeOf, run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { loadScenario } from '../src/load/scenarios.js';
import { ScenarioFailure } from '../src/rt/errors.js';
import { outsideScheduleError } from '../src/load/stack.js';
import { mmuStressMatchers } from '../src/vitest.js';
import { cli, cliAsync, tempDirs } from './cli-helpers.js';

const FILE = join(import.meta.dirname, 'fixtures', 'throws.ts');
const throws = await loadScenario(FILE);
const threads = new ThreadsExecutor();
const sim = new SimExecutor();
const temp = tempDirs();
afterAll(async () => {
  await threads.close();
  await sim.close();
  temp.cleanup();
});

/** The line of the fixture's `// THROWS <what>` marker. */
function lineOf(what: string, file = FILE): number {
  return readFileSync(file, 'utf8').split('\n').findIndex((l) => l.endsWith(`// THROWS ${what}`)) + 1;
}

const expected: Record<string, (line: number) => RegExp> = {
  role: (l) => new RegExp(`^scenario error: role 'vcpu' \\(vcpu1\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: TypeError: Cannot read properties of undefined \\(reading 'gfn'\\)$`),
  setup: (l) => new RegExp(`^scenario error: setup\\(\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: RangeError: no slots for this guest$`),
  check: (l) => new RegExp(`^scenario error: check\\(\\) threw at test/fixtures/throws\\.ts:${l}:\\d+: Error: check\\(\\) found the world in a state it cannot read$`),
};

describe("a scenario's own throw is the scenario's error, in both executors", () => {
  for (const mode of ['sim', 'threads'] as const) {
    for (const variant of ['role', 'setup', 'check']) {
      it(`${mode}: ${variant}`, async () => {
        const r = await run({ scenario: throws, variant, params: {}, mode, seed: 1, executions: 2, timeMs: null, threads, sim });
        expect([r.observed, r.harnessError, r.violation, r.executions, exitCodeOf(r)]).toEqual(['scenario-error', null, null, 0, 3]);
        expect(r.scenarioError?.line).toMatch(expected[variant](lineOf(variant)));
        expect(r.scenarioError?.where).toBe(variant);
        expect(r.scenarioError?.file).toBe(FILE);
      }, 60_000);
    }
  }
});

describe('the command says so', () => {
  const TIMER = join(import.meta.dirname, 'fixtures', 'timer-throw.ts');
  const TIMER_THREW = "a timer or promise the scenario's code started \\(outside the model's schedule\\) threw";

  it.concurrent("a throw from a timer a role started (outside the model's schedule) is the run's scenario error, with its line, after the executions before it", async () => {
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--executions', '2', '--jobs', '2']);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^mmu-stress: timer-throw \/ timer, mode sim, 2 executions from seed 1 /);
    expect(r.out).toMatch(new RegExp(`^  scenario error: ${TIMER_THREW} at test/fixtures/timer-throw\\.ts:${lineOf('timer', TIMER)}:\\d+: Error: thrown from a timer the role started$`, 'm'));
    expect(r.out).not.toMatch(/uncaught|HARNESS ERROR|worker crashed/);
  }, 60_000);

  it.concurrent("one that comes after the run has ended, while its workers leave, is said once on stderr (for the two workers) and is the run's scenario error, in the text and in --json", async () => {
    const late = `scenario error: ${TIMER_THREW} after the run had ended at test/fixtures/timer-throw\\.ts:${lineOf('timer', TIMER)}:\\d+: Error: thrown from a timer the role started`;
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'late', '--executions', '2', '--jobs', '2']);
    expect(r.code, r.err).toBe(3);
    expect(r.out).toMatch(/^mmu-stress: timer-throw \/ late, mode sim, 2 executions from seed 1 /); // what the run finished is kept
    expect(r.out).toMatch(new RegExp(`^SCENARIO ERROR \\(exit 3\\)[^\\n]*\\n {2}${late}$`, 'm'));
    expect(r.err).toMatch(new RegExp(`^mmu-stress: ${late}\n$`));
    const json = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'late', '--executions', '2', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out)).toMatchObject({ exitCode: 3, observed: 'scenario-error', executions: 2, scenarioError: { where: 'timer' } });
  }, 60_000);

  // piscina's workers take their next task without a turn of their event loop: before the
  // drain, each of these ran clean, exit 0
  it.concurrent('threads: a timer that throws at once is the execution\'s scenario error, with its line, as in sim', async () => {
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--mode', 'threads', '--executions', '1']);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`^  scenario error: ${TIMER_THREW} at test/fixtures/timer-throw\\.ts:${lineOf('timer', TIMER)}:\\d+: Error: thrown from a timer the role started$`, 'm'));
    expect(r.out).not.toMatch(/uncaught|HARNESS ERROR/);
  }, 60_000);

  it.concurrent("threads: one due after the run's last role (300 ms) runs when the pool is drained, is said once on stderr, and is the run's scenario error", async () => {
    const late = `scenario error: ${TIMER_THREW} after the run had ended at test/fixtures/timer-throw\\.ts:${lineOf('timer', TIMER)}:\\d+: Error: thrown from a timer the role started`;
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'late', '--mode', 'threads', '--executions', '1']);
    expect(r.code, r.err).toBe(3);
    expect(r.out).toMatch(/^mmu-stress: timer-throw \/ late, mode threads, 1 execution from seed 1 /);
    expect(r.out).toMatch(new RegExp(`^SCENARIO ERROR \\(exit 3\\)[^\\n]*\\n {2}${late}$`, 'm'));
    expect(r.err).toMatch(new RegExp(`^mmu-stress: ${late}\n$`));
  }, 60_000);

  it.concurrent("threads: the same late throw from each of a run's executions is thrown on once (a test runner reports each uncaught one)", async () => {
    // MMU_STRESS_DEBUG prints the stack of every uncaught ScenarioError, the ones the command says once too
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'late', '--mode', 'threads', '--executions', '5'], { env: { MMU_STRESS_DEBUG: '1' } });
    expect(r.code, r.err).toBe(3);
    expect(r.err.match(/^ScenarioError: /gm)).toHaveLength(1);
  }, 60_000);

  for (const [when, limits] of [
    ['once the watchdog period has passed, as in sim', ['--executions', '2', '--watchdog', '1s']],
    ['when the time budget ends first, not as the role looping without an op', ['--time', '1s', '--watchdog', '60s']],
  ] as const) {
    it.concurrent(`threads: a timer that never returns is named as that ${when}`, async () => {
      const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'spin', '--mode', 'threads', ...limits]);
      expect(r.code, r.err).toBe(3);
      expect(r.out).toMatch(/^ {2}scenario error: a timer or promise the scenario's code started \(outside the model's schedule\) of test\/fixtures\/timer-throw\.ts ran for \d+ ms after the executions without returning$/m);
      expect(r.out).not.toMatch(/HARNESS ERROR|no op boundary/);
    }, 60_000);
  }

  for (const [mode, when] of [
    ['threads', 'when the pool is drained'],
    ['sim', 'as its worker leaves (it was terminated unnamed, and the run said clean)'],
  ] as const) {
    it.concurrent(`${mode}: one that never returns, due after the run's last execution, is named with the scenario's file ${when}`, async () => {
      const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'spin-late', '--mode', mode, '--executions', '1']);
      expect(r.code, r.err).toBe(3);
      const stuck = "scenario error: a timer or promise the scenario's code started \\(outside the model's schedule\\) of test/fixtures/timer-throw\\.ts ran for \\d+ ms after the executions without returning";
      expect(r.out).toMatch(new RegExp(`^ {2}${stuck}$`, 'm'));
      expect(r.err).toMatch(new RegExp(`^mmu-stress: ${stuck}, after the run had ended\n$`));
    }, 60_000);
  }

  it('threads: a signal ends the drain at once, and what did not come back is not named', async () => {
    const timers = await loadScenario(TIMER);
    const own = new ThreadsExecutor();
    const stop = new AbortController();
    try {
      // the role's timer comes due 300 ms after it and never returns: the drain at close() meets it
      const r = await run({ scenario: timers, variant: 'spin-late', params: {}, mode: 'threads', seed: 1, executions: 1, timeMs: null, threads: own, abort: stop.signal });
      expect(r.executions).toBe(1);
      stop.abort(); // Ctrl-C once the executions are over, before the pool is closed
      await own.close();
      expect(own.lateErrors).toEqual([]);
    } finally {
      await own.close();
    }
  }, 60_000);

  it("--jobs 2, where one worker's timer throws after a seed the other worker's seeds pass: the run's scenario error all the same", async () => {
    const timers = await loadScenario(TIMER);
    const own = new SimExecutor(); // a worker of its own: the fixture counts the executions each worker ran
    try {
      // seeds 1 and 3 on the first worker, whose second execution starts the timer; seed 2 on the other
      const r = await run({ scenario: timers, variant: 'second', params: {}, mode: 'sim', seed: 1, executions: 3, timeMs: null, sim: own, threads, jobs: 2 });
      expect([r.observed, r.executions, exitCodeOf(r)]).toEqual(['scenario-error', 3, 3]);
      expect(r.scenarioError?.where).toBe('timer');
    } finally {
      await own.close();
    }
  }, 60_000);

  it.concurrent('a timer that never returns is named once the watchdog period passes after the executions, not blamed on setup() or check()', async () => {
    const r = await cliAsync(['run', 'test/fixtures/timer-throw.ts', '--variant', 'spin', '--executions', '2', '--watchdog', '1s']);
    expect(r.code, r.err).toBe(3);
    expect(r.out).toMatch(/^SCENARIO ERROR \(exit 3\): the scenario's own code never returned from a timer or promise it started/m);
    expect(r.out).toMatch(/^ {2}scenario error: a timer or promise the scenario's code started \(outside the model's schedule\) of test\/fixtures\/timer-throw\.ts ran for \d+ ms after the executions without returning$/m);
    expect(r.out).not.toMatch(/HARNESS ERROR|setup\(\)/);
  }, 60_000);

  it.concurrent("a campaign: a row's timer that comes due after its row is named once, after the run had ended, and never taken by a later row on the same worker, in sim or on threads", async () => {
    const r = await cliAsync(['campaign', 'test/fixtures/timer-rows.ts', 'test/fixtures/timer-next.ts', '--jobs', '1', '--threads-time', '100ms', '--quiet']);
    expect(r.code, r.err).toBe(3);
    // soon's rows meet their own timers, in sim and on threads; every other row is clean, the rows run after late's and soon's too
    expect(r.out).toMatch(/^timer-rows\s+soon\s+sim\s+sc\s+ok\s+scenario-error\s/m);
    expect(r.out).toMatch(/^timer-rows\s+soon\s+threads\s+host\s+ok\s+scenario-error\s/m);
    expect(r.out).toMatch(/^timer-rows\s+clean\s+sim\s+sc\s+ok\s+ok\s+20000 ex/m);
    expect(r.out).toMatch(/^timer-next\s+clean\s+threads\s+host\s+ok\s+ok\s/m);
    expect(r.out).toContain('6 of 8 rows as expected');
    expect(r.out).not.toContain('HARNESS ERROR');
    const rows = join(import.meta.dirname, 'fixtures', 'timer-rows.ts');
    const late = (what: string) => `mmu-stress: scenario error: ${TIMER_THREW} after the run had ended at test/fixtures/timer-rows\\.ts:${lineOf(what, rows)}:\\d+: Error: thrown from the ${what} row`;
    // late's timers, after their rows (sim: as its worker left; threads: drained before the next row), said once
    expect(r.err).toMatch(new RegExp(`^${late('late')}\n$`));
  }, 60_000);

  it.concurrent("a campaign's threads rows on one pool: what a row leaves on the workers (a rejected promise, a timer due past the drain, an unref'd one) is never taken by the next row", async () => {
    const file = join(import.meta.dirname, 'fixtures', 'timer-leftovers.ts');
    const r = await cliAsync(['campaign', 'test/fixtures/timer-leftovers.ts', '--jobs', '1', '--threads-time', '500ms', '--quiet']);
    expect(r.code, r.err).toBe(3); // reject's sim row meets its rejection
    expect(r.out).toMatch(/^timer-leftovers\s+reject\s+sim\s+sc\s+ok\s+scenario-error\s/m);
    // before: idle's threads row took reject's rejections, after's took later's or unref's throws, each as its own scenario error
    for (const v of ['reject', 'idle', 'later', 'unref', 'after']) expect(r.out).toMatch(new RegExp(`^timer-leftovers\\s+${v}\\s+threads\\s+host\\s+ok\\s+ok\\s`, 'm'));
    expect(r.out).not.toContain('HARNESS ERROR');
    const late = (what: string) => `mmu-stress: scenario error: ${TIMER_THREW} after the run had ended at test/fixtures/timer-leftovers\\.ts:${lineOf(what, file)}:\\d+: Error: (rejected in|thrown from) the ${what} row`;
    // reject's rejections are met when the pool is drained before the next row; later's timers run in a drain or never
    expect(r.err).toMatch(new RegExp(`^${late('reject')}$`, 'm'));
    for (const line of r.err.trim().split('\n')) expect(line).toMatch(new RegExp(`^(${late('reject')}|${late('later')}|${late('unref')})$`));
  }, 60_000);

  it('text: SCENARIO ERROR with the line and the stack in the scenario, exit 3, not HARNESS ERROR', () => {
    const r = cli(['run', 'test/fixtures/throws.ts', '--variant', 'role', '--executions', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('observed scenario-error');
    expect(r.out).toMatch(/^SCENARIO ERROR \(exit 3\): the scenario's own code threw, so there is no verdict/m);
    expect(r.out).toMatch(new RegExp(`^  scenario error: role 'vcpu' \\(vcpu1\\) threw at test/fixtures/throws\\.ts:${lineOf('role')}:\\d+: TypeError`, 'm'));
    expect(r.out).toMatch(new RegExp(`at Object\\.run \\(test/fixtures/throws\\.ts:${lineOf('role')}:\\d+\\)`));
    expect(r.out).not.toContain('HARNESS ERROR');
    expect(r.out).not.toContain('src/exec/'); // the harness's own frames are left out
  });

  it('--json: observed scenario-error with its own field; a setup() that always throws is error.kind scenario', () => {
    const r = cli(['run', 'test/fixtures/throws.ts', '--variant', 'check', '--mode', 'threads', '--executions', '1', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ exitCode: 3, observed: 'scenario-error', harnessError: null, scenarioError: { where: 'check', thrown: 'Error: check() found the world in a state it cannot read' } });
    const always = cli(['run', 'test/fixtures/throws.ts', '--variant', 'setup-always', '--json']);
    expect(always.code).toBe(3);
    expect(JSON.parse(always.out)).toEqual({
      exitCode: 3,
      error: { kind: 'scenario', message: expect.stringMatching(new RegExp(`^scenario error: setup\\(\\) threw at test/fixtures/throws\\.ts:${lineOf('setup')}:\\d+: RangeError: no slots for this guest`)) },
    });
  });
});

/** A role whose code loops without an op: vcpu0 of test/fixtures/loops.ts. */
const LOOPS = join(import.meta.dirname, 'fixtures', 'loops.ts');
const loops = await loadScenario(LOOPS);
const LOOP_LINE = /^scenario error: role 'vcpu' \(vcpu0\) of test\/fixtures\/loops\.ts reached no op boundary for \d+ ms: its code loops without an op \(every step that touches shared state must be an op\)$/;

describe("a role that never reaches an op boundary is the scenario's error, in both executors", () => {
  for (const mode of ['sim', 'threads'] as const) {
    it(`${mode}: found by the watchdog, named with its role, instance and file; no harness error`, async () => {
      // the watchdog's period is the subject: 1 s, and the run waits for it however slow the machine
      const r = await run({ scenario: loops, variant: 'loop', params: {}, mode, seed: 1, executions: 1, timeMs: null, watchdogMs: 1000, threads, sim });
      expect([r.observed, r.harnessError, r.violation, r.executions, exitCodeOf(r)]).toEqual(['scenario-error', null, null, 0, 3]);
      expect(r.scenarioError).toMatchObject({ where: 'role', how: 'no-op-boundary', role: 'vcpu', task: 'vcpu0', file: LOOPS });
      expect(r.scenarioError?.line).toMatch(LOOP_LINE);
      expect(r.scenarioError?.at).toBeUndefined(); // nothing threw: no line to point at
      // the looping worker was torn down: the executor runs the next scenario
      const next = await run({ scenario: throws, variant: 'check', params: {}, mode, seed: 1, executions: 1, timeMs: null, threads, sim });
      expect(next.scenarioError?.where).toBe('check');
    }, 90_000);
  }

  it.concurrent('the command says SCENARIO ERROR, not HARNESS ERROR', async () => {
    const r = await cliAsync(['run', 'test/fixtures/loops.ts', '--mode', 'threads', '--watchdog', '1s', '--time', '60s']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('observed scenario-error');
    expect(r.out).toMatch(/^SCENARIO ERROR \(exit 3\): the scenario's own code never reached an op boundary, so there is no verdict/m);
    expect(r.out.split('\n').map((l) => l.trim())).toContainEqual(expect.stringMatching(LOOP_LINE));
    expect(r.out).not.toContain('HARNESS ERROR');
  });
});

describe("a throw at a scenario file's top level while it loads is the scenario's error", () => {
  const ON_LOAD = join(import.meta.dirname, 'fixtures', 'throws-on-load.ts');
  const line = lineOf('load', ON_LOAD);
  const message = new RegExp(
    `^scenario error: loading test/fixtures/throws-on-load\\.ts threw at test/fixtures/throws-on-load\\.ts:${line}:\\d+: TypeError: Cannot read properties of undefined \\(reading 'faults'\\)$`,
  );

  it('loadScenario: a ScenarioFailure with the file:line:col of the throw', async () => {
    const e = await loadScenario(ON_LOAD).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScenarioFailure);
    expect((e as Error).message).toMatch(message);
  });

  it("runScenario: exit 3, kind 'scenario'; a missing import or a file that is not a scenario stays bad input", async () => {
    expect(await runScenario({ scenario: 'test/fixtures/throws-on-load.ts' })).toEqual({ exitCode: 3, error: { kind: 'scenario', message: expect.stringMatching(message) } });
    const dir = temp.make();
    writeFileSync(join(dir, 'missing.ts'), "import x from './nowhere.js';\nexport default x;\n");
    writeFileSync(join(dir, 'empty.ts'), 'export const x = 1;\n');
    expect(await runScenario({ scenario: join(dir, 'missing.ts') })).toEqual({ exitCode: 2, error: { kind: 'bad-input', message: expect.stringMatching(/missing\.ts: cannot load it: .*nowhere\.js/) } });
    expect(await runScenario({ scenario: join(dir, 'empty.ts') })).toEqual({ exitCode: 2, error: { kind: 'bad-input', message: expect.stringMatching(/empty\.ts: does not export default defineScenario/) } });
  });

  it('the command: one line, exit 3 (--json: error kind scenario); a syntax error stays exit 2', () => {
    const r = cli(['run', 'test/fixtures/throws-on-load.ts']);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err.trim()).toMatch(new RegExp(`^mmu-stress: ${message.source.slice(1)}`));
    const json = cli(['run', 'test/fixtures/throws-on-load.ts', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.out)).toEqual({ exitCode: 3, error: { kind: 'scenario', message: expect.stringMatching(message) } });
    const dir = temp.make();
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(join(dir, 'broken.ts'), 'const a = ;\nexport default a;\n');
    const broken = cli(['run', join(dir, 'broken.ts')]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/^mmu-stress: .*broken\.ts:1:\d+: syntax error: /);
  });

  it('a TypeScript helper that throws at its top level in a CommonJS project: exit 3, no stack dump (Node reports that throw twice, once uncaught)', () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'package.json'), '{ "name": "mine", "private": true }\n');
    writeFileSync(join(dir, 'helper.ts'), 'const cfg: { faults: number } | undefined = undefined;\nexport const N = (cfg as unknown as { faults: number }).faults;\n');
    const base = JSON.stringify(join(import.meta.dirname, '..', 'scenarios', 'shrinker-vs-fault.ts'));
    writeFileSync(join(dir, 'mine.ts'), `import base from ${base};\nimport { N } from './helper.ts';\nexport default { ...base, name: 'mine', params: { ...base.params, faults: N } };\n`);
    const r = cli(['run', './mine.ts', '--executions', '1'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^mmu-stress: scenario error: loading mine\.ts threw.*TypeError: Cannot read properties of undefined \(reading 'faults'\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});

describe('a failing matcher says why the run has no verdict, in one line', () => {
  it("toFind: the looping role's scenario error", async () => {
    const r = await runScenario({ scenario: 'test/fixtures/loops.ts', watchdog: '1s', executions: 1 });
    expect(r).toMatchObject({ exitCode: 3, observed: 'scenario-error' });
    const m = mmuStressMatchers.toFind(r, 'invariant');
    expect(m.pass).toBe(false);
    expect(m.message()).toMatch(/^expected invariant, got observed scenario-error \(exit 3\): scenario error: role 'vcpu' \(vcpu0\) of test\/fixtures\/loops\.ts reached no op boundary for \d+ ms: its code loops without an op/);
    expect(m.message()).not.toContain('\n');
  }, 90_000);

  it("toBeClean and toFind: a harness error's message, its lines joined", () => {
    // as run --json gives a harness error: a worker that failed for the harness's own reason
    const r = { exitCode: 3, observed: 'harness-error', violations: [], harnessError: 'vcpu1: worker failed: Error: out of memory\nthe workers were terminated', scenarioError: null, incomplete: null } as RunScenarioResult;
    for (const m of [mmuStressMatchers.toBeClean(r), mmuStressMatchers.toFind(r, 'deadlock')]) {
      expect(m.pass).toBe(false);
      expect(m.message()).toMatch(/got observed harness-error \(exit 3\): harness error: vcpu1: worker failed: Error: out of memory; the workers were terminated$/);
    }
  });
});

describe("which throws outside the model's schedule are the scenario's", () => {
  it('one with a frame of the scenario or a module of its own (past any of the package), not one of the harness alone or of a bundle no map names', () => {
    const user = 'Error: thrown by a helper\n    at fail (/home/me/proj/helper.mjs:3:9)\n    at Timeout._onTimeout (/home/me/proj/s.ts:16:49)\n    at listOnTimeout (node:internal/timers:581:17)';
    expect(outsideScheduleError(user)).toMatchObject({ where: 'timer', thrown: 'Error: thrown by a helper' });
    const viaPackage = 'Error: x\n    at lockdep (/x/node_modules/mmu-stress/src/sync/lockdep.ts:10:3)\n    at Timeout._onTimeout (/home/me/proj/s.ts:16:49)';
    expect(outsideScheduleError(viaPackage)).not.toBeNull();
    expect(outsideScheduleError('Error: harness\n    at f (/x/src/exec/sim.ts:1:1)\n    at listOnTimeout (node:internal/timers:581:17)')).toBeNull();
    expect(outsideScheduleError('Error: unmapped\n    at f (/x/node_modules/.cache/mmu-stress/0123abcd.mjs:7150:13)')).toBeNull();
  });
});
