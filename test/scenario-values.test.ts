/**
 * Values a scenario's callbacks return that the harness cannot use are the scenario's
 * error (exit 3, no verdict), named with the callback, the value and the line: a role's
 * count() that is not a whole number >= 0 (a typo reading params.consumer gives undefined)
 * or a scenario with no role instance at all, which used to run no task and be "clean";
 * a check() that returns a string, and a region of 1.5 words, which used to be the
 * harness's own TypeError or RangeError. Never clean, never a harness error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign, runScenario } from '../src/api.js';
import { instancesOf } from '../src/exec/frame.js';
import { ScenarioFailure } from '../src/rt/errors.js';
import type { ScenarioDef } from '../src/scenario.js';
import { mmuStressMatchers } from '../src/vitest.js';
import { cli } from './cli-helpers.js';

const fixture = (name: string) => ({ file: join(import.meta.dirname, 'fixtures', `${name}.ts`), shown: `test/fixtures/${name}.ts` });
const COUNT = fixture('bad-count');
const CHECK = fixture('bad-check');
const REGION = fixture('bad-region');

/** The line of `file` that ends with `// <marker>`. */
function lineOf(file: string, marker: string): number {
  const at = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.endsWith(`// ${marker}`));
  if (at < 0) throw new Error(`no '// ${marker}' in ${file}`);
  return at + 1;
}
const at = (f: { file: string; shown: string }, marker: string) => `at ${f.shown}:${lineOf(f.file, marker)}:`;

describe("a role's count() that is not a whole number >= 0 is the scenario's error", () => {
  const cases = [
    { variant: 'typo', site: 'READ typo', value: 'returned undefined', also: "it read params.consumer, which scenario 'bad-count' does not declare; its params: consumers" },
    { variant: 'negative', site: 'COUNT consumer', value: 'returned -1', also: 'a whole number of instances >= 0' },
    { variant: 'fraction', site: 'COUNT consumer', value: 'returned 1.5', also: 'a whole number of instances >= 0' },
  ];
  for (const c of cases) {
    it(`${c.variant}: exit 3, naming the role, the value and count()'s line`, async () => {
      const r = await runScenario({ scenario: COUNT.file, variant: c.variant, executions: 2 });
      expect(r.exitCode).toBe(3);
      expect(r.error?.kind).toBe('scenario');
      const m = r.error?.message ?? '';
      expect(m).toMatch(/^scenario error: role 'consumer' count\(\) /);
      expect(m).toContain(at(COUNT, c.site));
      expect(m).toContain(c.value);
      expect(m).toContain(c.also);
    }, 60_000);
  }

  it('every role counting 0 is "no role instance to run", never clean', async () => {
    const r = await runScenario({ scenario: COUNT.file, variant: 'none', executions: 2 });
    expect([r.exitCode, r.error?.kind]).toEqual([3, 'scenario']);
    expect(r.error?.message).toContain("scenario 'bad-count' has no role instance to run: every role's count() returned 0 (producer: 0, consumer: 0)");
  }, 60_000);

  it('one role counting 0 beside another is fine (a role a parameter turns off)', async () => {
    const r = await runScenario({ scenario: COUNT.file, variant: 'off', executions: 2 });
    expect([r.exitCode, r.observed, r.error]).toEqual([0, 'ok', undefined]);
  }, 60_000);

  it('toBeClean fails with the line, in threads mode too', async () => {
    for (const mode of ['sim', 'threads'] as const) {
      const r = await runScenario({ scenario: COUNT.file, variant: 'typo', mode, executions: 2 });
      const m = mmuStressMatchers.toBeClean(r);
      expect(m.pass).toBe(false);
      expect(m.message()).toContain(at(COUNT, 'READ typo'));
    }
  }, 60_000);

  it('a definition that did not come through the loader is checked where the counts are read', async () => {
    const raw = (await import('./fixtures/bad-count.js')).default as ScenarioDef<unknown>;
    const p = { consumers: 2 };
    expect(() => instancesOf(raw, p, 'negative')).toThrow(ScenarioFailure);
    expect(() => instancesOf(raw, p, 'negative')).toThrow("role 'consumer' count() of scenario 'bad-count' returned -1");
    expect(() => instancesOf(raw, p, 'none')).toThrow('no role instance to run');
    expect(instancesOf(raw, p, 'off').map((i) => i.name)).toEqual(['producer0']);
  });

  it('the command: one line, exit 3, no "internal error", no verdict', () => {
    const r = cli(['run', COUNT.shown, '--variant', 'typo', '--executions', '1']);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(`mmu-stress: scenario error: role 'consumer' count() ${at(COUNT, 'READ typo')}`);
    expect(r.err + r.out).not.toMatch(/internal error|HARNESS ERROR|clean after/);
  }, 90_000);

  it('a campaign records each as a scenario-error row; the row that runs keeps its verdict; exit 3', async () => {
    const c = await runCampaign({ scenarios: [COUNT.file], modes: ['sim'], jobs: 1 });
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(c.exitCode).toBe(3);
    const status = Object.fromEntries(c.records.map((r) => [r.variant, r.status]));
    expect(status).toEqual({ typo: 'scenario-error', none: 'scenario-error', negative: 'scenario-error', fraction: 'scenario-error', off: 'as-expected' });
    const typo = c.records.find((r) => r.variant === 'typo');
    expect(typo?.executions).toBe(0);
    expect(typo?.scenarioError?.split('\n')[0]).toContain(`role 'consumer' count() ${at(COUNT, 'READ typo')}`);
  }, 120_000);
});

describe('a check() that returns something that is not a violation is the scenario\'s error', () => {
  for (const mode of ['sim', 'threads'] as const) {
    it(`${mode}: a string and an unknown kind name check() and its line; a real violation still counts`, async () => {
      const str = await runScenario({ scenario: CHECK.file, variant: 'string', mode, executions: 2 });
      const kind = await runScenario({ scenario: CHECK.file, variant: 'kind', mode, executions: 2 });
      for (const r of [str, kind]) {
        expect([r.exitCode, r.observed, r.harnessError]).toEqual([3, 'scenario-error', null]);
        const se = r.scenarioError as { where: string; how: string; line: string };
        expect([se.where, se.how]).toEqual(['check', 'bad-value']);
        expect(se.line).toMatch(/^scenario error: check\(\) /);
        expect(se.line).toContain(at(CHECK, 'CHECK'));
        expect(se.line).toContain('check() must return null or undefined (no violation) or a violation');
      }
      expect((str.scenarioError as { line: string }).line).toContain("returned 'not a violation' (a string)");
      expect((kind.scenarioError as { line: string }).line).toContain("kind is 'lock-order'");
      const fine = await runScenario({ scenario: CHECK.file, variant: 'fine', mode, executions: 2 });
      expect([fine.exitCode, fine.observed]).toEqual([1, 'invariant']);
    }, 90_000);
  }

  it('a campaign row is scenario-error, not a harness error', async () => {
    const c = await runCampaign({ scenarios: [CHECK.file], variants: ['string'], modes: ['sim'], jobs: 1 });
    if (c.error) throw new Error(`the campaign stopped: ${c.error.message}`);
    expect(c.records.map((r) => r.status)).toEqual(['scenario-error']);
    expect(c.records[0].scenarioError).toContain(at(CHECK, 'CHECK'));
    expect(c.exitCode).toBe(3);
  }, 120_000);
});

describe("a region whose size is not a whole number of words is setup()'s error", () => {
  const cases = [
    { name: 'arena.region(name, 1.5)', opts: { variant: 'fraction' }, site: 'REGION fraction', got: "arena.region('half', 1.5)" },
    { name: 'a size from --param consumers=2.5', opts: { variant: 'sized', params: { consumers: 2.5 } }, site: 'REGION sized', got: "arena.region('per consumer', 2.5)" },
  ];
  for (const c of cases) {
    for (const mode of ['sim', 'threads'] as const) {
      it(`${c.name} (${mode}): exit 3, naming setup() and the region's line`, async () => {
        const r = await runScenario({ scenario: REGION.file, mode, executions: 2, ...c.opts });
        expect([r.exitCode, r.error?.kind]).toEqual([3, 'scenario']);
        const m = r.error?.message ?? '';
        expect(m).toMatch(/^scenario error: setup\(\) threw /);
        expect(m).toContain(at(REGION, c.site));
        expect(m).toContain(`${c.got}: a region's size must be a whole number of words >= 0, got`);
        expect(m).not.toContain('Int32Array');
      }, 60_000);
    }
  }

  it('the same size as a whole number runs clean', async () => {
    const r = await runScenario({ scenario: REGION.file, variant: 'sized', executions: 2 });
    expect([r.exitCode, r.observed]).toEqual([0, 'ok']);
  }, 60_000);
});
