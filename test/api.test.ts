/**
 * The library, the engine's own API: runScenario and runCampaign take every option their
 * command takes (strategy, depth, memory among them), call the engine without the command
 * line, report progress, and answer bad input with exit 2 and one line; an option they do
 * not know is bad input rather than a run with the defaults, and a failing matcher names a
 * scenario's own throw by its line.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { type CampaignProgress, runCampaign, runScenario } from '../src/api.js';
import { mmuStressMatchers } from '../src/vitest.js';

// Which command-line modules get loaded: the library must load none (it neither spawns nor
// parses the CLI). Each mock records its module being loaded and then gives the real one.
const cliLoaded = vi.hoisted(() => [] as string[]);
vi.mock('../src/cli/run.js', async (real) => {
  cliLoaded.push('cli/run');
  return await real();
});
vi.mock('../src/cli/main.js', async (real) => {
  cliLoaded.push('cli/main');
  return await real();
});
vi.mock('../src/cli/campaign.js', async (real) => {
  cliLoaded.push('cli/campaign');
  return await real();
});

describe('runScenario', () => {
  it('passes strategy, depth, memory and shrink on to the run', async () => {
    const r = await runScenario({ scenario: 'lazy-rmaps', variant: 'merged', strategy: 'pct', depth: 2, memory: 'weak', executions: 20, shrink: false });
    expect(r).toMatchObject({ exitCode: 0, observed: 'ok', memory: 'weak' });
    expect(r.pct).toMatchObject({ depth: 2 });
    // the k of the bound is the largest any execution drew over, and the report says how long the longest was
    const pct = r.pct as { k: number; longest: number };
    expect(pct.longest).toBeGreaterThan(0);
    expect(pct.longest).toBeLessThanOrEqual(pct.k);
    const dfs = await runScenario({ scenario: 'test/fixtures/spin-abba.ts', variant: 'set', strategy: 'dfs', preemptions: 1 });
    expect(dfs.observed).toBe('lock-order-cycle');
    expect(dfs.dfs).toMatchObject({ preemptions: 1 });
  }, 60_000);

  it('an option it does not know is bad input (exit 2), not a run with the defaults', async () => {
    const r = await runScenario({ scenario: 'lazy-rmaps', executons: 5 } as unknown as Parameters<typeof runScenario>[0]);
    expect(r.exitCode).toBe(2);
    expect(r.error).toMatchObject({ kind: 'bad-input' });
    expect(r.error?.message).toMatch(/^runScenario: unknown option 'executons'; valid: scenario, variant, .*executions/);
    const bad = await runScenario({ scenario: 'lazy-rmaps', strategy: 'bogus' as 'pct' });
    expect(bad.exitCode).toBe(2);
  });

  it("toBeClean's failure names a scenario's own throw by its file and line", async () => {
    const r = await runScenario({ scenario: 'test/fixtures/throws.ts', variant: 'role', executions: 1 });
    expect(r.observed).toBe('scenario-error');
    const m = mmuStressMatchers.toBeClean(r);
    expect(m.pass).toBe(false);
    expect(m.message()).toMatch(/expected a clean run, got observed scenario-error \(exit 3\): scenario error: role .* threw at test\/fixtures\/throws\.ts:\d+:\d+: /);
  }, 60_000);

  it("toFind's failure on a clean run says what the run rested on: its executions, steps and first seed", async () => {
    const r = await runScenario({ scenario: 'shrinker-vs-fault', variant: 'cache-lock', executions: 3, seed: 7 });
    expect(r.observed).toBe('ok');
    const m = mmuStressMatchers.toFind(r, 'cache-empty-under-lock');
    expect(m.pass).toBe(false);
    expect(m.message()).toMatch(/^expected cache-empty-under-lock, got observed ok \(exit 0\) after 3 sim executions under sc memory, [\d,]+ scheduling steps, from seed 7$/);
    // and which memory model: an ordering bug's variant run without memory: 'weak' is clean under sc, and said so
    const fixed = await runScenario({ scenario: 'test/fixtures/mp-weak.ts', variant: 'wmb-rmb', executions: 3, seed: 7 });
    expect(mmuStressMatchers.toFind(fixed, 'invariant').message()).toMatch(/ after 3 sim executions under weak memory, /);
  }, 60_000);

  it('a scenario given as its file: URL (new URL(path, import.meta.url)) runs as its path would', async () => {
    const r = await runScenario({ scenario: new URL('./fixtures/throws.ts', import.meta.url), variant: 'role', executions: 1 });
    expect(r.observed).toBe('scenario-error');
    expect((r.scenarioError as { line?: string }).line).toMatch(/threw at test\/fixtures\/throws\.ts:\d+:\d+: /);
  }, 60_000);

  it('pct at depth 3 under weak memory finds a built-in bug, reports progress, and returns the typed result with its replay line', async () => {
    const seen: number[] = [];
    const r = await runScenario({
      scenario: 'shrinker-vs-fault',
      variant: 'no-cache-lock',
      strategy: 'pct',
      depth: 3,
      memory: 'weak',
      executions: 50,
      onProgress: (p) => seen.push(p.executions),
    });
    expect(r).toMatchObject({ exitCode: 1, scenario: 'shrinker-vs-fault', variant: 'no-cache-lock', mode: 'sim', memory: 'weak', observed: 'cache-empty-under-lock', asExpected: true });
    expect(r.pct).toMatchObject({ depth: 3 });
    expect(seen.length).toBe(r.executions);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, k) => k + 1));
    const v = r.violations?.[0];
    expect(v?.kind).toBe('cache-empty-under-lock');
    // the variant runs under sc by default: the replay line keeps the weak memory it was found under
    expect(v?.replay).toMatch(/ run shrinker-vs-fault --variant no-cache-lock --mode sim --schedule g2\.\S+ --memory weak$/);
  }, 60_000);

  it('never loads the command line', async () => {
    await runScenario({ scenario: 'shrinker-vs-fault', variant: 'removed', executions: 2 });
    expect(cliLoaded).toEqual([]);
    await runCampaign({ scenarios: ['zap-oldest'], variants: ['nope'] });
    expect(cliLoaded).toEqual([]);
  }, 60_000);

  it("runCampaign runs a user's own scenario file's variants against their expectations, with a built-in beside it; the command takes them as arguments", async () => {
    const file = join(import.meta.dirname, 'fixtures', 'spin-abba.ts');
    const r = await runCampaign({ scenarios: [file, 'zap-oldest'], variants: ['set', 'clean', 'forward'], modes: ['sim'], jobs: 1 });
    if (r.error) throw new Error(r.error.message);
    expect(r.exitCode).toBe(0);
    expect(r.rows.map((x) => [x.scenario, x.variant, x.observed, x.status])).toEqual([
      ['spin-abba', 'set', 'lock-order-cycle', 'as-expected'],
      ['spin-abba', 'clean', 'ok', 'as-expected'],
      ['zap-oldest', 'forward', expect.any(String), 'as-expected'],
    ]);
    // the replay line names the file as given
    expect(r.records[0].violation?.replay).toContain(`run ${file} --variant set --mode sim`);
    // a file named twice would write one scenario's rows twice
    const twice = await runCampaign({ scenarios: [file, file] });
    expect(twice.error?.message).toBe(`${file} and ${file} are both scenario 'spin-abba': a campaign names its rows by scenario, so give each scenario once`);
  }, 120_000);

  it('runCampaign runs the rows a filter leaves, with their statuses, and tells its progress', async () => {
    const events: CampaignProgress[] = [];
    const r = await runCampaign({
      scenarios: ['shrinker-vs-fault'],
      variants: ['no-cache-lock', 'lock-after-topup', 'shrinker-mutex-lock'],
      modes: ['sim'],
      jobs: 1,
      onProgress: (e) => events.push(e),
    });
    if (r.error) throw new Error(r.error.message);
    expect(r.exitCode).toBe(0);
    expect(r.rowsPlanned).toBe(3);
    expect(r.rows.map((x) => [x.variant, x.mode, x.observed, x.status])).toEqual([
      ['no-cache-lock', 'sim', 'cache-empty-under-lock', 'as-expected'],
      ['lock-after-topup', 'sim', 'cache-empty-under-lock', 'as-expected'],
      ['shrinker-mutex-lock', 'sim', 'lock-order-cycle', 'as-expected'],
    ]);
    expect(r.statusCounts['as-expected']).toBe(3);
    // each row's whole record: the violation with the line that replays it
    expect(r.records.map((x) => x.violation?.replay)).toEqual(r.records.map((x) => expect.stringContaining(`run shrinker-vs-fault --variant ${x.variant} --mode sim`)));
    expect(events[0]).toEqual({ kind: 'planned', planned: 3, kept: [] });
    const ended = events.filter((e) => e.kind === 'row-ended');
    expect(ended.map((e) => e.key).sort()).toEqual(r.records.map((x) => x.key).sort());
    expect(events.some((e) => e.kind === 'execution')).toBe(true);
  }, 120_000);

  it('progress over --jobs 2 counts each execution once, going up (workers report as they finish, the run takes them in seed order)', async () => {
    const seen: number[] = [];
    const r = await runScenario({ scenario: 'shrinker-vs-fault', variant: 'cache-lock', executions: 20, jobs: 2, onProgress: (p) => seen.push(p.executions) });
    expect(r.exitCode).toBe(0);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
  }, 60_000);

  it('bad options give exit 2 and one line, from runScenario and runCampaign alike', async () => {
    const cases = [
      [await runScenario({ scenario: 'shrinker-vs-fault', strategy: 'dfs', mode: 'threads' }), /^--strategy chooses the sim scheduler/],
      [await runScenario({ scenario: 'shrinker-vs-fault', memory: 'weak', mode: 'threads' }), /^--memory weak needs --mode sim/],
      [await runScenario({ scenario: 'shrinker-vs-fault', depth: 3 }), /^--depth and --pct-steps go with --strategy pct$/],
      [await runScenario({ scenario: 'shrinker-vs-fault', schedule: 'g2.1.37-2', seed: 4 }), /^--schedule replays one sim execution/],
      [await runScenario({ scenario: 'shrinker-vs-fault', seed: 1.5 }), /^--seed must be a whole number from 0 to \d+, not '1\.5'$/],
      [await runScenario({ scenario: 'shrinker-vs-fault', params: { levels: 3 } }), /levels must be 4 or 5/],
      [await runScenario({} as unknown as Parameters<typeof runScenario>[0]), /^runScenario: scenario is required/],
      [await runScenario({ scenario: 'shrinker-vs-fault', jitter: 0.5 }), /^--jitter perturbs threads mode's timing/],
      [await runScenario({ scenario: new URL('https://example.com/my.ts') }), /^runScenario: scenario must be a built-in name, a file's path or a file: URL, not https: URL/],
      [await runScenario({ scenario: 'test/fixtures/misuse.ts', variant: 'clean', params: { vcpus: 31 } }), /^[\w-]+ \/ clean: 31 role instances \(vcpu 31\) with these parameters; at most 30$/],
      [await runCampaign({ timePerVariant: '10' }), /^--time-per-variant must be a duration with a unit.*did you mean 10s/],
      [await runCampaign({ scenarios: ['nope'] }), /^unknown scenario 'nope'; known scenarios: /],
      [await runCampaign({ variants: ['nope'] }), /^variants: no scenario of this campaign has a variant 'nope'$/],
      [await runCampaign({ resume: true }), /^--resume goes with --out FILE/],
      [await runCampaign({ timePerVariant: '1s', bogus: 1 } as unknown as Parameters<typeof runCampaign>[0]), /^runCampaign: unknown option 'bogus'; valid: timePerVariant, /],
    ] as const;
    for (const [r, line] of cases) {
      expect(r.exitCode).toBe(2);
      expect(r.error?.kind).toBe('bad-input');
      expect(r.error?.message).toMatch(line);
      expect(r.error?.message).not.toContain('\n');
    }
  }, 60_000);

  it('an aborted signal stops the run and the campaign as SIGINT would (exit 130)', async () => {
    const r = await runScenario({ scenario: 'shrinker-vs-fault', executions: 5, signal: AbortSignal.abort() });
    expect(r).toMatchObject({ exitCode: 130, interrupted: 'SIGINT', observed: 'incomplete' });
    const c = await runCampaign({ scenarios: ['zap-oldest'], modes: ['sim'], signal: AbortSignal.abort() });
    expect(c).toMatchObject({ exitCode: 130, interrupted: 'SIGINT', rows: [] });
  }, 60_000);
});

describe('the options runScenario takes', () => {
  it('include every flag of every strategy the registry holds, by its option name', async () => {
    const { RUN_OPTION_NAMES, optionName } = await import('../src/exec/config.js');
    const { cliStrategies } = await import('../src/exec/strategies/index.js');
    const flags = cliStrategies().flatMap((e) => Object.keys(e.flags ?? {}).map(optionName));
    expect(flags).toContain('urwEstimates');
    for (const f of flags) expect(RUN_OPTION_NAMES as readonly string[]).toContain(f);
  });
});
