/**
 * JUnit XML (`--junit FILE`): one test case per campaign row, grouped by scenario, for CI
 * systems that draw test results. A row that is not as expected is a failure: if it
 * found a violation, the failure's message is the violation's one line and its body the
 * text report ending with the replay command; if it missed the one it expects, the
 * message says so. A row that found the violation it expects passes, with the report in
 * its system-out. A harness error or an incomplete row is an error. A threads row of a
 * bug variant that did not reproduce it within its time (status not-reproduced) is
 * skipped, with the time and the executions in its message: real cores gave no evidence
 * either way, which is neither a pass nor a failure (the campaign's exit code is 0 for it).
 */
import type { Violation } from '../rt/violation.js';
import type { RowRecord } from './records.js';
import { violationText } from './text.js';
import { evidenceText, statusWords } from './verdict.js';
import { replayLines } from './campaign.js';

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
  const replay = replayLines(v, '');
  if (replay.length) lines.push('', ...replay);
  return lines.join('\n');
}

/** A row as JUnit sees it: its status, or not-run for a planned row with no result. */
type Case = RowRecord['status'] | 'not-run';
const caseOf = (r: RowRecord): Case => (r.observed === 'not-run' ? 'not-run' : r.status);

function testcase(r: RowRecord): string {
  const head = `    <testcase classname="mmu-stress.${xmlEscape(r.scenario)}" name="${xmlEscape(`${r.variant} / ${r.mode}`)}" time="${(r.elapsedMs / 1000).toFixed(3)}"`;
  const summary = `expect ${r.expect}, observed ${r.observed} after ${r.executions} execution${r.executions === 1 ? '' : 's'} (seed ${r.seed}, memory ${r.memory})`;
  const body: string[] = [];
  const c = caseOf(r);
  if (c === 'not-reproduced') {
    body.push(`      <skipped message="${xmlEscape(`${statusWords(c, r.budget.threadsMs)}: ${r.executions} execution${r.executions === 1 ? '' : 's'} on real threads, none found ${r.expect}`)}"/>`);
  } else if (c === 'harness-error' || c === 'scenario-error' || c === 'incomplete' || c === 'not-run') {
    const why = r.harnessError ?? r.scenarioError ?? r.incomplete?.note ?? r.observed;
    body.push(`      <error message="${xmlEscape(`${r.observed}: ${why.split('\n')[0]}`)}" type="${r.observed}">${xmlEscape(`${summary}\n${why}`)}</error>`);
  } else if (!r.asExpected) {
    if (r.violation) {
      body.push(`      <failure message="${xmlEscape(`${r.violation.kind}: ${r.violation.message}`)}" type="${xmlEscape(r.violation.kind)}">${xmlEscape(`${summary}\n\n${report(r.violation)}`)}</failure>`);
    } else {
      body.push(`      <failure message="${xmlEscape(`expected ${r.expect}, observed ${r.observed}`)}" type="missed">${xmlEscape(summary)}</failure>`);
    }
  }
  const evidence = r.evidence ? `\n${evidenceText(r.evidence)}` : '';
  body.push(`      <system-out>${xmlEscape(r.violation ? `${summary}\n\n${report(r.violation)}` : `${summary}${evidence}`)}</system-out>`);
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
      v: 2, key, scenario, variant, mode: mode as RowRecord['mode'], memory: 'sc', seed: 0, budgetMs: 0, budget: { executions: null, threadsMs: null }, expect: '?', observed: 'not-run', asExpected: false,
      status: 'incomplete', executions: 0, steps: null, evidence: null, firstViolationMs: null, elapsedMs: 0, violation: null, harnessError: 'not run: the campaign was interrupted, or its shard is missing', incomplete: null, lockdep: [], finishedAt: '',
    };
  });
  const rows = [...results, ...notRun];
  const errored = (r: RowRecord) => ['harness-error', 'scenario-error', 'incomplete', 'not-run'].includes(caseOf(r));
  const failed = (r: RowRecord) => caseOf(r) === 'mismatch';
  const skipped = (r: RowRecord) => caseOf(r) === 'not-reproduced';
  const secs = (rs: RowRecord[]) => (rs.reduce((t, r) => t + r.elapsedMs, 0) / 1000).toFixed(3);
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const suites = scenarios.map((sc) => {
    const rs = rows.filter((r) => r.scenario === sc);
    return [
      `  <testsuite name="${xmlEscape(sc)}" tests="${rs.length}" failures="${rs.filter(failed).length}" errors="${rs.filter(errored).length}" skipped="${rs.filter(skipped).length}" time="${secs(rs)}">`,
      ...rs.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" tests="${rows.length}" failures="${rows.filter(failed).length}" errors="${rows.filter(errored).length}" skipped="${rows.filter(skipped).length}" time="${secs(rows)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
