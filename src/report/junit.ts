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
  if (r.observed === 'harness-error' || r.observed === 'incomplete') {
    const why = r.harnessError ?? r.incomplete?.note ?? r.observed;
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

export function junitXml(rows: RowRecord[], name = 'mmu-stress campaign'): string {
  const failed = (r: RowRecord) => !r.asExpected && r.observed !== 'harness-error' && r.observed !== 'incomplete';
  const errored = (r: RowRecord) => r.observed === 'harness-error' || r.observed === 'incomplete';
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
