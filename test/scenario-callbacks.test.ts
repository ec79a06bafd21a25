/**
 * A scenario's validate(), a role's count() or name(), and summarize() are called by the
 * command itself, outside any execution. A throw from one is the scenario's own error:
 * exit 3, error kind 'scenario', the callback and the file:line in the scenario's source;
 * never "internal error" (the harness's) and never bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { cli } from './cli-helpers.js';

const FILE = join(import.meta.dirname, 'fixtures', 'throws-callbacks.ts');
const SHOWN = 'test/fixtures/throws-callbacks.ts';

function lineOf(what: string): number {
  return readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.endsWith(`// THROWS ${what}`)) + 1;
}

const cases = [
  { what: 'validate', opts: { params: { validate: 1 } }, line: /^scenario error: validate\(\) threw at /, thrown: 'Error: validate() cannot read its limits' },
  { what: 'count', opts: { variant: 'count' }, line: /^scenario error: role 'reader' count\(\) threw at /, thrown: 'RangeError: no readers configured' },
  { what: 'name', opts: { params: { name: 1 } }, line: /^scenario error: role 'reader' name\(\) threw at /, thrown: 'TypeError: names are not ready' },
  { what: 'summarize', opts: { variant: 'summarize' }, line: /^scenario error: summarize\(\) threw at /, thrown: 'Error: summarize() divided by zero' },
] as const;

describe("a throw from the scenario's small callbacks is the scenario's error", () => {
  for (const c of cases) {
    it(`runScenario: ${c.what}()`, async () => {
      const r = await runScenario({ scenario: FILE, executions: 2, ...c.opts });
      expect(r.exitCode).toBe(3);
      expect(r.error?.kind).toBe('scenario');
      expect(r.error?.message).toMatch(c.line);
      expect(r.error?.message).toContain(`${SHOWN}:${lineOf(c.what)}:`);
      expect(r.error?.message).toContain(c.thrown);
    }, 60_000);
  }

  it('the command: one line naming the line, exit 3, no "internal error", no stack', () => {
    const r = cli(['run', SHOWN, '--variant', 'count', '--executions', '1']);
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^mmu-stress: scenario error: role 'reader' count\\(\\) threw at ${SHOWN.replace(/\./g, '\\.')}:${lineOf('count')}:\\d+: RangeError: no readers configured`));
    expect(r.err).not.toContain('internal error');
  }, 90_000);

  it('a clean variant still runs', async () => {
    const r = await runScenario({ scenario: FILE, executions: 2 });
    expect([r.exitCode, r.observed]).toEqual([0, 'ok']);
  }, 60_000);
});
