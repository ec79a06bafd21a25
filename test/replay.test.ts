/**
 * Replay always replays: every replay line a run prints runs as printed and gives the same
 * violation at the same step in sim (random, shrunk and not, pct, dfs, --jobs, seeds past
 * 2^31, a threads finding's sim line); a --schedule token that does not fit the run is bad
 * input (exit 2) with one line, and a replay that departs from its token says where.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../src/api.js';
import { classify } from '../src/cli/main.js';
import { cli, expectBadInput } from './cli-helpers.js';
import { runCommand } from '../src/cli/run.js';
import { MAX_SEED } from '../src/exec/seeds.js';
import { PRUNE } from '../src/exec/strategy.js';
import { CheckedGuide } from '../src/exec/strategies/checked-guide.js';
import { guideFits, guideToken, parseGuideToken } from '../src/exec/strategies/guided.js';
import { replayLines } from '../src/report/campaign.js';

const ABBA = join(import.meta.dirname, 'fixtures', 'abba.ts');

// biome-ignore lint/suspicious/noExplicitAny: the command's JSON document, read field by field as a user's script would
type Doc = Record<string, any>;

/** The run command in this process, as `mmu-stress run ... --json` would answer (argv without 'run'). */
async function runDoc(argv: string[]): Promise<{ code: number; doc: Doc; text: string }> {
  const interrupt = { signal: new AbortController().signal, received: null, exitCode: null };
  try {
    const json = argv.includes('--json');
    const out = await runCommand(argv, interrupt);
    return { code: out.code, doc: json ? JSON.parse(out.stdout) : {}, text: json ? '' : out.stdout };
  } catch (e) {
    const { code, kind, message } = classify(e);
    return { code, doc: { exitCode: code, error: { kind, message } }, text: message };
  }
}

/** A printed replay line as the arguments of `run` (the lines quote nothing these tests use). */
function argsOf(line: string): string[] {
  const words = line.split(' ');
  const at = words.indexOf('run');
  expect(at).toBeGreaterThan(0);
  return words.slice(at + 1);
}

/** Run `line` and expect the violation `v` again: same kind, task, seed and step. */
async function expectReplays(line: string, v: { kind: string; task: string; step: number; seed?: number }): Promise<void> {
  const again = await runDoc([...argsOf(line), '--json']);
  expect(again.doc.error, line).toBeUndefined();
  expect(again.code, line).toBe(1);
  const w = again.doc.violations[0];
  expect([w.kind, w.task, w.step, w.seed], line).toEqual([v.kind, v.task, v.step, v.seed]);
}

describe('every printed replay line runs and gives the same violation at the same step', () => {
  const sim: [string, string[]][] = [
    ['random, shrunk (a token)', ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--seed', '3']],
    ['random, --no-shrink (the seed, not shrunk again)', ['shrinker-vs-fault', '--variant', 'lock-after-topup', '--no-shrink']],
    ['pct', ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'pct', '--seed', '5', '--executions', '200']],
    ['pct, --no-shrink (strategy, depth and k)', ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'pct', '--no-shrink', '--executions', '200']],
    ['dfs', ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'dfs', '--param', 'vcpus=2', '--param', 'faults=2']],
    ['--jobs 2', ['shrinker-vs-fault', '--variant', 'lock-after-topup', '--seed', '11', '--executions', '40', '--jobs', '2']],
    ['--jobs 2, --no-shrink', ['shrinker-vs-fault', '--variant', 'lock-after-topup', '--seed', '11', '--executions', '40', '--jobs', '2', '--no-shrink']],
    // the issue's run: its finding's seed is past 2^31 - 1, which --seed once refused
    ['a seed past 2^31 - 1', ['lazy-rmaps', '--variant', 'plain-flag', '--seed', '2147483647', '--executions', '50', '--no-shrink']],
    ['a seed at the top of the range', ['shrinker-vs-fault', '--variant', 'lock-after-topup', '--seed', String(MAX_SEED - 3), '--executions', '4', '--no-shrink']],
    ['a lock-order cycle', [ABBA, '--variant', 'abba', '--param', 'iterations=3']],
  ];
  for (const [what, args] of sim) {
    it(`sim, ${what}`, async () => {
      const r = await runDoc([...args, '--json']);
      expect(r.doc.error).toBeUndefined();
      expect(r.code).toBe(1);
      const v = r.doc.violations[0];
      expect(v.replay).toMatch(/ run /);
      await expectReplays(v.replay, v);
    }, 120_000);
  }

  it('the seeds past 2^31 - 1 are the seeds the run reached, and the line names one', async () => {
    const r = await runDoc(['lazy-rmaps', '--variant', 'plain-flag', '--seed', '2147483647', '--executions', '50', '--no-shrink', '--json']);
    const v = r.doc.violations[0];
    expect(v.seed).toBeGreaterThan(2 ** 31 - 1);
    expect(v.replay).toContain(`--seed ${v.seed} --executions 1`);
  }, 120_000);

  it("threads: the last line is the sim's exact replay (or says there is none), the threads re-run is labelled as one", async () => {
    // --time is only a cap: real threads find it in well under a second when the machine is idle
    const args = ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--mode', 'threads', '--time', '90s'];
    const r = await runDoc([...args]);
    expect(r.code).toBe(1);
    // the re-run on threads says what it is (it once was the last, "replay:" line, and a user's copy of it said ok)
    const rerun = /^ {2}re-run on threads \(the cores choose the interleaving; it need not meet the bug again\): (.*)$/m.exec(r.text)?.[1] as string;
    expect(rerun).toMatch(/--mode threads --seed \d+ --executions 1$/);
    const threadsAgain = await runDoc([...argsOf(rerun), '--json']);
    expect(threadsAgain.doc.error).toBeUndefined();
    expect([0, 1]).toContain(threadsAgain.code); // real cores pick the interleaving: it runs, whatever it meets
    const last = r.text.trim().split('\n').at(-1) as string;
    const met = /^reproduced in sim: /m.test(r.text);
    if (met) {
      // the last line replays the finding in sim: the same violation at the same step, twice
      expect(last).toMatch(/^replay: .* --mode sim --schedule g2\.\S+/);
      const replay = last.slice('replay: '.length);
      const first = await runDoc([...argsOf(replay), '--json']);
      expect(first.code).toBe(1);
      await expectReplays(replay, first.doc.violations[0]);
    } else {
      expect(last).toMatch(/^no exact replay: the sim did not meet this violation/);
    }
    expect(r.text).not.toMatch(/^replay: .*--mode threads/m);
  }, 180_000);

  it('threads, --no-reproduce: no line claims to replay the finding; --json keeps the re-run apart from the replay', async () => {
    const args = ['shrinker-vs-fault', '--variant', 'no-cache-lock', '--mode', 'threads', '--executions', '2000', '--no-reproduce'];
    const r = await runDoc(args);
    expect(r.code).toBe(1);
    expect(r.text.trim().split('\n').at(-1)).toBe(
      'no exact replay: with --no-reproduce nothing of the interleaving was recorded for the sim to replay; the re-run on threads above may meet it again',
    );
    const j = await runDoc([...args, '--json']);
    const v = j.doc.violations[0];
    expect(v.replay).toBeNull();
    expect(v.rerun).toMatch(/ --mode threads --seed \d+ --executions 1$/);
  }, 180_000);
});

describe('--schedule: a token that does not fit is bad input (exit 2), in one line', () => {
  it('what the token itself gets wrong is refused before anything runs', () => {
    const bad: [string, RegExp][] = [
      ['g2.1.2-1.0-1', /entry 2 '0-1' repeats step 2/],
      ['g2.1.1-u', /entry 1 '1-u' names task 30; an execution has at most 30 tasks/],
      ['g2.1.5_0', /store 0 is not an older store/],
      ['g2.1.1-1.1-1x', /names task 69/],
      [`g2.${(MAX_SEED + 1).toString(36)}`, /bad seed/],
      ['g2.1.2_1.3-0', /comes after the loads/],
      ['g3.1.1-0', /version g3; this mmu-stress replays g2 tokens only/],
      ['g1.1.1-0', /an earlier mmu-stress \(g1\), whose default schedule did not yet count a spin-wait as IDLE/],
      ['p1.5', /not a schedule token of this mmu-stress/],
      ['run x --schedule g2.1', /a schedule token is one word/],
      ['g2.', /not a schedule token/],
    ];
    for (const [token, re] of bad) {
      const g = parseGuideToken(token);
      expect(typeof g, token).toBe('string');
      expect(g as string, token).toMatch(re);
    }
    const g = { seed: MAX_SEED, entries: [[0, 2], [37, 1]] as [number, number][], loads: [[0, 1], [4, 3]] as [number, number][] };
    expect(parseGuideToken(guideToken(g))).toEqual(g);
    // the check of what a token was recorded on: h and 5 base-36 digits after the seed, kept through a round trip
    const checked = { ...g, fit: '0z9ab' };
    expect(guideToken(checked)).toMatch(/^g2\.2gosa7pa2gv\.h0z9ab\.0-2\./);
    expect(parseGuideToken(guideToken(checked))).toEqual(checked);
    expect(parseGuideToken('g2.1.habc.1-0')).toMatch(/'habc' after the seed is not a check \(h and 5 base-36 digits\)/);
  });

  it('a token printed with a check replays on its own scenario, variant, tasks and parameters, and is refused on any other', async () => {
    const found = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--json']);
    const token: string = found.doc.shrink.token;
    expect(token).toMatch(/^g2\.1\.h[0-9a-z]{5}\./);
    expect(found.doc.violations[0].replay).toContain(`--schedule ${token}`);
    await expectReplays(found.doc.violations[0].replay, found.doc.violations[0]);
    // cache-lock has the same three tasks, and this schedule ran there to "ok" (exit 0) before the check
    const other = await runDoc(['shrinker-vs-fault', '--variant', 'cache-lock', '--schedule', token, '--json']);
    expect(other.doc).toEqual({
      exitCode: 2,
      error: {
        kind: 'bad-input',
        message: expect.stringMatching(/^--schedule: the token was recorded on another scenario, variant, set of tasks or parameters: its check h[0-9a-z]{5} is not h[0-9a-z]{5}, the check of shrinker-vs-fault \/ cache-lock with tasks vcpu0, vcpu1, shrinker0 and these parameters/),
      },
    });
    // another task set (a fourth vCPU) is another check
    const more = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--vcpus', '3', '--schedule', token, '--json']);
    expect(more.doc.error?.message).toMatch(/the check of shrinker-vs-fault \/ no-cache-lock with tasks vcpu0, vcpu1, vcpu2, shrinker0/);
    // the same tasks on other parameters (fewer faults) is another execution: refused, not run to "ok"
    const fewer = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--param', 'faults=3', '--schedule', token, '--json']);
    expect(fewer.doc.error?.message).toMatch(/^--schedule: the token was recorded on another scenario, variant, set of tasks or parameters/);
    // a token of an earlier mmu-stress, without a check, is still read and replayed
    const unchecked = token.replace(/\.h[0-9a-z]{5}/, '');
    const old = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--schedule', unchecked, '--json']);
    expect([old.code, old.doc.violations[0].kind, old.doc.violations[0].step]).toEqual([1, found.doc.violations[0].kind, found.doc.violations[0].step]);
    expect(old.doc.violations[0].replay).toContain(`--schedule ${token}`);
  }, 120_000);

  it('what needs the scenario: a task it does not have, weak loads under sc memory', () => {
    expect(guideFits({ seed: 1, entries: [[115, 9]] }, ['vcpu0', 'vcpu1', 'shrinker0'], 'sc')).toMatch(
      /the token's choice 1 \(scheduling step 115\) names task 9, but this execution has 3 tasks \(0 vcpu0, 1 vcpu1, 2 shrinker0\)/,
    );
    expect(guideFits({ seed: 1, entries: [], loads: [[0, 1]] }, ['a'], 'sc')).toMatch(/recorded under --memory weak; give --memory weak/);
    expect(guideFits({ seed: 1, entries: [[3, 1]], loads: [[0, 1]] }, ['a', 'b'], 'weak')).toBeNull();
    const here = { check: 'aaaaa', scenario: 's', variant: 'v' };
    expect(guideFits({ seed: 1, entries: [], fit: 'bbbbb' }, ['a'], 'sc', here)).toMatch(/its check hbbbbb is not haaaaa, the check of s \/ v with tasks a/);
    expect(guideFits({ seed: 1, entries: [], fit: 'aaaaa' }, ['a'], 'sc', here)).toBeNull();
    expect(guideFits({ seed: 1, entries: [] }, ['a'], 'sc', here)).toBeNull();
  });

  it('the command: a task index that does not exist, a step the execution never reaches, exit 2 and no verdict', async () => {
    const cases: [string[], RegExp][] = [
      [['shrinker-vs-fault', '--variant', 'shrinker-mutex-lock', '--schedule', 'g2.1.37-9'], /--schedule: the token's choice 1 \(scheduling step 115\) names task 9, but this execution has 3 tasks/],
      [['shrinker-vs-fault', '--schedule', 'g2.1.zz-2'], /--schedule: the token's choice 1 \(scheduling step 1295\) names task 2, but this execution has 2 tasks/],
      [['shrinker-vs-fault', '--param', 'faults=3', '--schedule', 'g2.1.zz-1'], /the replay departs from its token: the execution ended \(without a violation\) at scheduling step \d+ with 1 of the token's 1 choices unused: the token's choice 1 of 1 runs task 1 \(vcpu1\) at step 1295/],
      [['shrinker-vs-fault', '--schedule', 'g2.1.1-1.2_1'], /recorded under --memory weak/],
    ];
    for (const [args, re] of cases) {
      const r = await runDoc([...args, '--json']);
      expect(r.doc, args.join(' ')).toEqual({ exitCode: 2, error: { kind: 'bad-input', message: expect.stringMatching(re) } });
    }
  }, 120_000);

  it('a replay that departs says where: the step, the choice, what the token wanted and what could run', async () => {
    // abba with 3 iterations deadlocks on g2.1.0-1.1-0.2-1 (steps 0 ba0, 1 ab0, 3 ba0); ab0 blocks at step 4
    const base = [ABBA, '--variant', 'abba', '--param', 'iterations=3', '--lockdep', 'off'];
    const fits = await runDoc([...base, '--schedule', 'g2.1.0-1.1-0.2-1', '--json']);
    expect([fits.code, fits.doc.observed]).toEqual([1, 'deadlock']);
    const blocked = await runDoc([...base, '--schedule', 'g2.1.0-1.1-0.2-1.1-0.1-0']);
    expect(blocked.code).toBe(2);
    expect(blocked.text).toMatch(/^--schedule: the replay departs from its token: at scheduling step 5, the token's choice 5 of 5 runs task 0 \(ab0\), but only task 1 \(ba0\) could run there; the token does not fit abba \/ abba/);
    const unused = await runDoc([...base, '--schedule', 'g2.1.0-1.1-0.2-1.3-0']);
    expect(unused.code).toBe(2);
    expect(unused.text).toMatch(/the execution ended \(in deadlock\) at scheduling step 6 with 1 of the token's 4 choices unused: the token's choice 4 of 4 runs task 0 \(ab0\) at step 6/);
  }, 120_000);

  it('a listed task that cannot run where two others can stops the execution there', () => {
    const g = new CheckedGuide({ seed: 1, entries: [[1, 2]] }, ['a0', 'a1', 'b0']);
    g.start();
    expect(g.pick(3, Int32Array.from([0, 1, 2]))).toBe(0); // step 0: the default, task 0 goes on
    g.stepped(0, -1);
    expect(g.pick(2, Int32Array.from([0, 1]))).toBe(PRUNE); // step 1: task 2 is blocked
    expect(g.departure).toBe("at scheduling step 1, the token's choice 1 of 1 runs task 2 (b0), which cannot run there (runnable: task 0 (a0), task 1 (a1))");
    expect(g.finish('stopped')).toBe(g.departure);
  });
});

describe('the seed range: 0 to 2^53 - 1, the same in every parser', () => {
  it('--seed takes a seed past 2^31 - 1, and refuses a run that would pass the top', async () => {
    const r = await runDoc(['shrinker-vs-fault', '--variant', 'cache-lock', '--seed', '2147483686', '--executions', '1', '--json']);
    expect([r.code, r.doc.firstSeed]).toEqual([0, 2147483686]);
    const over = await runDoc(['shrinker-vs-fault', '--seed', String(MAX_SEED), '--executions', '2', '--json']);
    expect(over.doc.error).toEqual({ kind: 'bad-input', message: `--seed ${MAX_SEED} --executions 2 would run seeds past ${MAX_SEED}, the highest seed; give at most --executions 1 from this seed` });
    const past = await runDoc(['shrinker-vs-fault', '--seed', String(MAX_SEED + 1), '--json']);
    expect(past.doc.error.message).toMatch(/--seed must be a whole number from 0 to 9007199254740991/);
  }, 60_000);

  it('campaign --seed refuses a seed from which a row would run past the top, instead of a shorter budget', () => {
    expectBadInput(cli(['campaign', '--seed', String(MAX_SEED), '--shard', '1/31']), /--seed 9007199254740991: a row runs up to \d+ executions, one seed each, and only 1 seed is left up to 9007199254740991, the highest; give at most --seed \d+/);
  }, 60_000);
});

describe('a campaign row\'s replay line', () => {
  it('a threads row\'s finding has no replay line, only its labelled re-run on threads; the sim row\'s replays', { timeout: 120_000 }, async () => {
    const r = await runCampaign({ scenarios: ['kvm-lock-order'], variants: ['abba-arch-vs-mmu'], threadsTime: '2s', jobs: 1 });
    if (r.error) throw new Error(r.error.message);
    const threads = r.records.find((x) => x.mode === 'threads');
    const sim = r.records.find((x) => x.mode === 'sim');
    expect(threads?.violation?.kind).toBe('lock-order-cycle');
    expect(threads?.violation?.replay).toBeNull();
    expect(threads?.violation?.rerun).toMatch(/^npx mmu-stress run kvm-lock-order --variant abba-arch-vs-mmu --mode threads --seed \d+ --executions 1$/);
    expect(sim?.violation?.replay).toMatch(/^npx mmu-stress run kvm-lock-order --variant abba-arch-vs-mmu --mode sim /);
    expect(replayLines({ replay: null, rerun: 'x' })).toEqual(['  re-run on threads (the cores choose the interleaving; it need not meet the bug again): x']);
    expect(replayLines({ replay: 'y', rerun: 'x' })).toEqual(['  replay: y']);
  });
});
