/**
 * JUnit XML (`--junit FILE`): one test case per campaign row, grouped by scenario, for CI
 * systems that draw test results. A row that is not as expected is a failure: if it
 * found a violation, the failure's message is the violation's one line and its body the
 * text report ending with the replay command; if it missed the one it expects, the
 * message says so. A row that found the violation it expects passes, with the report in
 * its system-out. A harness error or an incomplete row is an error.
 */
import type { Violation } from '../check/violation.js';
import type { RowRecord } from './records.js';
import { violationText } from './text.js';

/** XML 1.0 text: the five entities escaped, characters XML cannot carry dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function report(v: NonNullable<RowRecord['violation']>): string {
  const lines = violationText(v as Violation);
  if (v.replay) lines.push('', `replay: ${v.replay}`);
  return lines.join('\n');
}

function testcase(r: RowRecord): string {
  const head = `    <testcase classname="mmu-stress.${xmlEscape(r.scenario)}" name="${xmlEscape(`${r.variant} / ${r.mode}`)}" time="${(r.elapsedMs / 1000).toFixed(3)}"`;
  const summary = `expect ${r.expect}, observed ${r.observed} after ${r.executions} execution${r.executions === 1 ? '' : 's'} (seed ${r.seed}, memory ${r.memory})`;
  const body: string[] = [];
  if (r.observed === 'harness-error' || r.observed === 'scenario-error' || r.observed === 'incomplete' || r.observed === 'not-run') {
    const why = r.harnessError ?? r.scenarioError ?? r.incomplete?.note ?? r.observed;
    body.push(`      <error message="${xmlEscape(`${r.observed}: ${why.split('\n')[0]}`)}" type="${r.observed}">${xmlEscape(`${summary}\n${why}`)}</error>`);
  } else if (!r.asExpected) {
    if (r.violation) {
      body.push(`      <failure message="${xmlEscape(`${r.violation.kind}: ${r.violation.message}`)}" type="${xmlEscape(r.violation.kind)}">${xmlEscape(`${summary}\n\n${report(r.violation)}`)}</failure>`);
    } else {
      body.push(`      <failure message="${xmlEscape(`expected ${r.expect}, observed ${r.observed}`)}" type="missed">${xmlEscape(summary)}</failure>`);
    }
  }
  body.push(`      <system-out>${xmlEscape(r.violation ? `${summary}\n\n${report(r.violation)}` : summary)}</system-out>`);
  return `${head}>\n${body.join('\n')}\n    </testcase>`;
}

/**
 * `planned`: every row the campaign planned; one that has no result (an interrupted
 * campaign, a shard that did not finish) is an error "not run", so that a CI reading only
 * the XML does not see a partial campaign as green.
 */
export function junitXml(results: RowRecord[], name = 'mmu-stress campaign', planned: string[] = []): string {
  const have = new Set(results.map((r) => r.key));
  const notRun = planned.filter((k) => !have.has(k)).map((key): RowRecord => {
    const [scenario, variant, mode] = key.split(' / ');
    return {
      v: 1, key, scenario, variant, mode: mode as RowRecord['mode'], memory: 'sc', seed: 0, budgetMs: 0, expect: '?', observed: 'not-run', asExpected: false,
      executions: 0, firstViolationMs: null, elapsedMs: 0, violation: null, harnessError: 'not run: the campaign was interrupted, or its shard is missing', incomplete: null, lockdep: [], finishedAt: '',
    };
  });
  const rows = [...results, ...notRun];
  const errored = (r: RowRecord) => r.observed === 'harness-error' || r.observed === 'scenario-error' || r.observed === 'incomplete' || r.observed === 'not-run';
  const failed = (r: RowRecord) => !r.asExpected && !errored(r);
  const secs = (rs: RowRecord[]) => (rs.reduce((t, r) => t + r.elapsedMs, 0) / 1000).toFixed(3);
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const suites = scenarios.map((sc) => {
    const rs = rows.filter((r) => r.scenario === sc);
    return [
      `  <testsuite name="${xmlEscape(sc)}" tests="${rs.length}" failures="${rs.filter(failed).length}" errors="${rs.filter(errored).length}" time="${secs(rs)}">`,
      ...rs.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" tests="${rows.length}" failures="${rows.filter(failed).length}" errors="${rows.filter(errored).length}" time="${secs(rows)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
