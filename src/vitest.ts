/**
 * Vitest matchers for lock-order and race regression tests, one line each:
 *
 *   import 'mmu-stress/vitest';
 *   expect(await runScenario({ scenario: './my.ts', variant: 'fixed' })).toBeClean();
 *   expect(await runScenario({ scenario: './my.ts', variant: 'abba' })).toFind('lock-order-cycle');
 *
 * A failure message carries the violation in kernel terms and its replay command.
 */
import { expect } from 'vitest';
import type { RunScenarioResult } from './api.js';
import type { ViolationKind } from './rt/violation.js';
import { grouped } from './report/numbers.js';

function describeRun(r: RunScenarioResult): string {
  return describeOutcome(r) + (r.notes?.length ? `\n  notes before the run:\n  ${r.notes.join('\n  ')}` : '');
}

function describeOutcome(r: RunScenarioResult): string {
  if (r.error) return `exit ${r.exitCode}: ${r.error.kind}: ${r.error.message}`;
  const v = r.violations?.[0];
  if (v) return `${v.kind}: ${v.message}\n  ${v.details.join('\n  ')}\n  replay: ${v.replay ?? '-'}`;
  const why = reasonOf(r);
  return `observed ${r.observed} (exit ${r.exitCode})${why ? `: ${why}` : evidenceOf(r)}`;
}

/** What a clean run rests on, so that a toFind() that failed says whether the budget could have been too small. */
function evidenceOf(r: RunScenarioResult): string {
  const e = r.evidence as { executions?: number; steps?: number; stepUnit?: string } | null | undefined;
  if (!e || typeof e.executions !== 'number') return '';
  const of = (n: number) => grouped(n);
  const steps = typeof e.steps === 'number' ? `, ${of(e.steps)} ${e.stepUnit ?? 'steps'}` : '';
  const executions = [of(e.executions), r.mode, `execution${e.executions === 1 ? '' : 's'}`].filter(Boolean).join(' ');
  // sim's memory model: a clean run of an ordering bug's variant under sc memory rests on nothing
  const memory = r.mode === 'sim' && r.memory ? ` under ${r.memory} memory` : '';
  return ` after ${executions}${memory}${steps}, from seed ${r.firstSeed}`;
}

/**
 * Why a run without a violation has no verdict, in one line: the scenario's error (its line
 * names the file, the line and what was thrown, or the role that looped without an op), the
 * harness's error, or the limit that cut an execution short.
 */
function reasonOf(r: RunScenarioResult): string | null {
  const scenario = r.scenarioError as { line?: string; thrown?: string } | null | undefined;
  if (scenario) return scenario.line ?? scenario.thrown ?? null;
  if (typeof r.harnessError === 'string') return `harness error: ${r.harnessError.split('\n').join('; ')}`;
  const cut = r.incomplete as { limit?: string; note?: string } | null | undefined;
  return cut ? `stopped by the ${cut.limit} limit${cut.note ? `: ${cut.note}` : ''}` : null;
}

export const mmuStressMatchers = {
  /** The run finished with no violation (exit 0, observed ok). */
  toBeClean(received: RunScenarioResult) {
    const pass = received.exitCode === 0 && received.observed === 'ok';
    return { pass, message: () => (pass ? 'expected a violation, the run was clean' : `expected a clean run, got ${describeRun(received)}`) };
  },
  /** The run found a violation of this kind. */
  toFind(received: RunScenarioResult, kind: ViolationKind) {
    const pass = received.observed === kind && received.violations?.[0]?.kind === kind;
    return { pass, message: () => (pass ? `expected no ${kind}, found ${describeRun(received)}` : `expected ${kind}, got ${describeRun(received)}`) };
  },
};

expect.extend(mmuStressMatchers);

interface MmuStressMatchers<R = unknown> {
  toBeClean(): R;
  toFind(kind: ViolationKind): R;
}

// vitest 3.2 and later type custom matchers through `Matchers`, which its `Assertion` extends
declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the default must match vitest's own declaration to merge with it
  interface Matchers<T = any> extends MmuStressMatchers<T> {}
}
