/**
 * `--trace-out FILE.json`: a violation's interleaving in the Chrome trace event format
 * (the JSON Perfetto and chrome://tracing open): one track per task, each traced op an
 * instant event, each held lock a slice from acquire to release and each blocked wait a
 * slice of its own (async slices: holds need not nest), the violating op an instant event
 * marked as such. Time is the global step: one step is drawn as one microsecond.
 */
import type { Violation } from '../rt/violation.js';
import { lockSpans } from './lock-spans.js';

interface TraceEvent {
  name: string;
  ph: 'b' | 'e' | 'i' | 'M';
  id?: number;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't' | 'g';
  cat?: string;
  args?: Record<string, unknown>;
}

export function chromeTrace(v: Violation, title: string): { traceEvents: TraceEvent[]; displayTimeUnit: 'ns'; otherData: Record<string, string> } {
  const trace = v.trace ?? [];
  const tasks: string[] = [];
  for (const t of trace) if (!tasks.includes(t.task)) tasks.push(t.task);
  if (!tasks.includes(v.task)) tasks.push(v.task);
  const tid = (task: string) => tasks.indexOf(task) + 1;
  const first = trace.length ? trace[0].step : v.step;
  const last = Math.max(v.step, ...trace.map((t) => t.step));
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: title } }];
  tasks.forEach((task, k) => {
    events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: k + 1, args: { name: task } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: 1, tid: k + 1, args: { sort_index: k } });
  });
  // holds need not nest (a task may release its locks in another order than it took them),
  // so each is an async slice of its own (b/e with an id), drawn on the task's track
  lockSpans(trace).forEach((sp, k) => {
    const from = sp.from ?? first;
    const to = Math.max(sp.to ?? last + 1, from + 1);
    const name = sp.kind === 'hold' ? sp.lock : `waits for ${sp.lock}`;
    const cat = sp.kind === 'hold' ? 'lock' : 'blocked';
    events.push({ name, cat, ph: 'b', id: k + 1, ts: from, pid: 1, tid: tid(sp.task), args: { lock: sp.lock, task: sp.task } });
    events.push({ name, cat, ph: 'e', id: k + 1, ts: to, pid: 1, tid: tid(sp.task) });
  });
  for (const t of trace) {
    const hit = t.step === v.step && t.task === v.task;
    events.push({ name: hit ? `VIOLATION ${v.kind}: ${t.op}` : t.op, cat: hit ? 'violation' : 'op', ph: 'i', s: hit ? 'g' : 't', ts: t.step, pid: 1, tid: tid(t.task), args: { step: t.step } });
  }
  if (!trace.some((t) => t.step === v.step && t.task === v.task)) {
    events.push({ name: `VIOLATION ${v.kind}`, cat: 'violation', ph: 'i', s: 'g', ts: v.step, pid: 1, tid: tid(v.task), args: { message: v.message } });
  }
  return { traceEvents: events, displayTimeUnit: 'ns', otherData: { violation: `${v.kind}: ${v.message}`, replay: v.replay ?? '' } };
}
