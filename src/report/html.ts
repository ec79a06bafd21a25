/**
 * The HTML report (`--html FILE`, `mmu-stress report results.jsonl -o FILE`): one
 * self-contained file, no network. The rows are embedded as JSON (every `<` escaped, so
 * no string from the model or the user can close the script element) and drawn by a
 * small script with DOM text nodes only, never markup built from data: the campaign
 * table, then for each violation a swimlane timeline (a lane per task, each traced op a
 * mark at its step, held locks as bars from acquire to release, blocked waits shaded,
 * the violating op highlighted, hovering a mark shows the op), its detail lines and
 * its replay command with a copy button.
 */
import { lockSpans } from './lock-spans.js';
import type { RowRecord } from './records.js';
import { budgetText } from './text.js';
import { evidenceText, statusWords } from './verdict.js';

/** JSON that can sit inside a <script> element: no `<`, no line or paragraph separators raw. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** What the page needs of a row (its lock orders stay in the results file). */
function pageRow(r: RowRecord) {
  const { key, scenario, variant, mode, memory, seed, expect, observed, asExpected, status, executions, steps, firstViolationMs, elapsedMs, violation, harnessError, incomplete } = r;
  const scenarioError = r.scenarioError ?? null;
  const spans = violation?.trace ? lockSpans(violation.trace) : [];
  // the words are the table's and JUnit's (report/verdict.ts), worked out here rather than in the page
  const result = statusWords(status, r.budget.threadsMs);
  const budget = budgetText(r.budget);
  const evidence = r.evidence ? evidenceText(r.evidence) : null;
  return {
    key, scenario, variant, mode, memory, seed, expect, observed, asExpected, status, result, budget, executions, steps, evidence,
    firstViolationMs, elapsedMs, violation, spans, harnessError, scenarioError, incomplete,
  };
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f24; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 2em; }
table.rows { border-collapse: collapse; } table.rows td, table.rows th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
tr.mismatch td, tr.harness-error td, tr.scenario-error td { background: #fde8e8; } tr.incomplete td { background: #fff4d6; } tr.not-reproduced td { background: #eef2f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.timeline { overflow-x: auto; border: 1px solid #ccc; margin: 0.5em 0; max-height: 70vh; overflow-y: auto; }
.lane-label { font: 12px monospace; fill: #333; }
.lane-line { stroke: #e3e3e3; }
.hold { fill: #9ecbff; opacity: 0.7; } .blocked { fill: #f2b8b5; opacity: 0.6; }
.mark { fill: #555; cursor: pointer; } .mark:hover { fill: #000; }
.mark.violation { fill: #d1242f; stroke: #7a0010; stroke-width: 2; }
#tip { position: fixed; pointer-events: none; background: #1b1f24; color: #fff; padding: 4px 8px; border-radius: 4px; font: 12px monospace; display: none; max-width: 60em; z-index: 10; }
pre { background: #f6f8fa; padding: 8px; white-space: pre-wrap; }
.replay { display: flex; gap: 8px; align-items: center; } .replay code { background: #f6f8fa; padding: 4px 6px; }
.legend span { display: inline-block; margin-right: 1em; }
`;

/** The page's script: reads the embedded rows and builds everything with text nodes. */
const SCRIPT = String.raw`
'use strict';
const data = JSON.parse(document.getElementById('mmu-stress-data').textContent);
const root = document.getElementById('report');
const tip = document.getElementById('tip');
const SVG = 'http://www.w3.org/2000/svg';
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}
const secs = (ms) => (ms === null ? '-' : (ms / 1000).toFixed(2) + ' s');
root.appendChild(el('h1', {}, data.title));
const ok = data.rows.filter((r) => r.asExpected).length;
const count = (st) => data.rows.filter((r) => r.status === st).length;
const others = [['not-reproduced', 'not reproduced on threads'], ['incomplete', 'incomplete (no verdict)'], ['scenario-error', 'scenario errors'], ['harness-error', 'harness errors'], ['mismatch', 'MISMATCH']]
  .filter(([st]) => count(st) > 0)
  .map(([st, words]) => count(st) + ' ' + words);
root.appendChild(el('p', { id: 'summary' }, ok + ' of ' + data.rows.length + ' rows as expected' + (others.length ? '; ' + others.join(', ') : '') + (data.planned > data.rows.length ? ' (' + (data.planned - data.rows.length) + ' planned rows missing)' : '')));
const table = el('table', { class: 'rows', id: 'rows' });
const head = el('tr');
for (const h of ['scenario', 'variant', 'mode', 'memory', 'expect', 'observed', 'budget', 'executions', 'steps', 'first violation', 'result']) head.appendChild(el('th', {}, h));
table.appendChild(head);
data.rows.forEach((r, i) => {
  const tr = el('tr', { class: r.asExpected ? 'ok' : r.status });
  const cells = [r.scenario, r.variant, r.mode, r.memory, r.expect, r.observed, r.budget, String(r.executions), r.steps === null ? '-' : r.steps.toLocaleString('en-US'), secs(r.firstViolationMs), r.result];
  cells.forEach((c, k) => {
    const td = el('td', k >= 6 && k <= 9 ? { class: 'num' } : {});
    if (r.evidence && k === 10) td.setAttribute('title', r.evidence);
    if (k === 5 && r.violation) {
      const a = el('a', { href: '#violation-' + i }, c);
      td.appendChild(a);
    } else td.textContent = c;
    tr.appendChild(td);
  });
  table.appendChild(tr);
});
root.appendChild(table);

function timeline(v, spans, id) {
  const trace = v.trace || [];
  const tasks = [];
  for (const t of trace) if (!tasks.includes(t.task)) tasks.push(t.task);
  if (!tasks.includes(v.task) && v.task !== 'main') tasks.push(v.task);
  const steps = [...new Set(trace.map((t) => t.step))].sort((a, b) => a - b);
  const col = new Map(steps.map((s, k) => [s, k]));
  const X0 = 110, DX = 14, LH = 28;
  const width = X0 + Math.max(steps.length, 1) * DX + 40;
  const height = tasks.length * LH + 20;
  const box = el('div', { class: 'timeline', id: id });
  const s = svg('svg', { width: width, height: height, role: 'img' });
  const x = (step) => X0 + (col.get(step) ?? 0) * DX + DX / 2;
  tasks.forEach((task, lane) => {
    const y = 10 + lane * LH + LH / 2;
    const g = svg('g', { class: 'lane', 'data-task': task });
    const label = svg('text', { x: 4, y: y + 4, class: 'lane-label' });
    label.textContent = task;
    g.appendChild(label);
    g.appendChild(svg('line', { x1: X0, x2: width - 10, y1: y, y2: y, class: 'lane-line' }));
    const mine = trace.filter((t) => t.task === task);
    // held locks (acquire to release) and blocked waits, computed when the report was written
    const end = width - 10;
    for (const sp of spans.filter((p) => p.task === task)) {
      const from = sp.from === null ? X0 : x(sp.from);
      const to = sp.to === null ? end : x(sp.to);
      const r = svg('rect', { x: from, y: y - (sp.kind === 'hold' ? 7 : 10), width: Math.max(to - from, 3), height: sp.kind === 'hold' ? 14 : 20, class: sp.kind, 'data-lock': sp.lock });
      const t = svg('title');
      t.textContent = (sp.kind === 'hold' ? 'holds ' : 'blocked on ') + sp.lock;
      r.appendChild(t);
      g.appendChild(r);
    }
    for (const t of mine) {
      const hit = t.step === v.step && t.task === v.task;
      const c = svg('circle', { cx: x(t.step), cy: y, r: hit ? 7 : 4, class: hit ? 'mark violation' : 'mark', 'data-step': t.step, 'data-op': t.op });
      c.addEventListener('mouseenter', (e) => {
        tip.textContent = 'step ' + t.step + ' · ' + t.task + ' · ' + t.op + (hit ? '  (the violation)' : '');
        tip.style.display = 'block';
        tip.style.left = e.clientX + 12 + 'px';
        tip.style.top = e.clientY + 12 + 'px';
      });
      c.addEventListener('mouseleave', () => {
        tip.style.display = 'none';
      });
      g.appendChild(c);
    }
    s.appendChild(g);
  });
  box.appendChild(s);
  return box;
}

data.rows.forEach((r, i) => {
  if (!r.violation) return;
  const v = r.violation;
  const sec = el('section', { id: 'violation-' + i, class: 'violation' });
  sec.appendChild(el('h2', {}, r.key + ': ' + v.kind + (r.asExpected ? ' (as expected)' : ' (NOT expected: ' + r.expect + ')')));
  sec.appendChild(el('p', { class: 'message' }, v.message));
  sec.appendChild(el('p', { class: 'where' }, 'step ' + v.step + ', execution seed ' + v.seed + ', in ' + v.task + (v.locksHeld && v.locksHeld.length ? '; holding ' + v.locksHeld.join(', ') : '')));
  const legend = el('p', { class: 'legend' });
  legend.appendChild(el('span', {}, '● an op (hover for it)'));
  legend.appendChild(el('span', {}, 'blue: a lock held'));
  legend.appendChild(el('span', {}, 'red shade: waiting for a lock'));
  legend.appendChild(el('span', {}, 'red ring: the violating op'));
  sec.appendChild(legend);
  sec.appendChild(timeline(v, r.spans, 'timeline-' + i));
  if (v.details && v.details.length) sec.appendChild(el('pre', { class: 'details' }, v.details.join('\n')));
  if (v.replay) {
    const line = el('div', { class: 'replay' });
    line.appendChild(el('code', {}, v.replay));
    const b = el('button', { type: 'button' }, 'copy');
    b.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(v.replay);
        b.textContent = 'copied';
      } catch {
        const range = document.createRange();
        range.selectNodeContents(line.firstChild);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        b.textContent = 'selected: copy it';
      }
    });
    line.appendChild(b);
    sec.appendChild(line);
  }
  root.appendChild(sec);
});
`;

export function htmlReport(rows: RowRecord[], opts: { title: string; planned?: number }): string {
  const data = { title: opts.title, planned: opts.planned ?? rows.length, rows: rows.map(pageRow) };
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // no network: nothing loads from anywhere, the page's own script and style only
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">`,
    `<title>${opts.title.replace(/[<>&"]/g, '')}</title>`,
    `<style>${STYLE}</style></head><body>`,
    '<div id="report"></div><div id="tip"></div>',
    `<script type="application/json" id="mmu-stress-data">${scriptJson(data)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
