/**
 * Which store a finding's last loads read, when that store is older than the trace shows.
 *
 * A violation's trace keeps each task's last few ops. A lost update is often decided
 * earlier: another task stored the value the violating task then read (a stale count
 * written back, a flag set too soon), and that store has scrolled out of its task's window
 * by the time the violation is reported (shrinking can lengthen a schedule while it removes
 * preemptions). The rings still hold it, so the report names it in one line per word:
 * "READ_ONCE(q->count) = 2 at step 40 read what producer0 stored at step 12:
 * WRITE_ONCE(q->count, 2) (before the trace above)".
 */
import { formatOp, type TraceLine, type TraceRing } from '../rt/trace.js';
import type { NameTable } from '../shm/arena.js';
import { T_READ_ONCE, T_STORE_RELEASE, T_WRITE_ONCE } from '../sync/trace-ops.js';

/**
 * Sim under sc memory only (the caller's to decide): there a step runs whole and its trace
 * step is its place in the one order of the execution, so the newest traced store before a
 * READ_ONCE is the one it read, unless an untraced store came between, which the values
 * tell (a line is written only where the load returned the value that store wrote). Under
 * weak memory a load may read an older store (the weak model explains those itself), and
 * on threads a step's trace step is taken apart from its access.
 */
const STORES = new Set([T_WRITE_ONCE, T_STORE_RELEASE]);
/** The most lines: one per word the task's shown loads read. */
const MOST = 4;

/**
 * For each word the violating task (`task`, an index into `rings`) read with READ_ONCE in
 * the ops the trace shows, the store that load read when another task made it and the
 * trace does not show it: one line each, newest load first.
 */
export function storesReadFrom(rings: readonly TraceRing[], names: NameTable, task: number, trace: readonly TraceLine[], upTo: number, perTask: number): string[] {
  const shown = new Set(trace.map((l) => l.step));
  const mine = rings[task]?.entries().filter((e) => e.seq <= upTo) ?? [];
  const loads = mine.slice(Math.max(0, mine.length - perTask)).filter((e) => e.op === T_READ_ONCE);
  if (loads.length === 0) return [];
  const all = rings.map((r) => r.entries());
  const every = all.map((entries) => entries.filter((e) => STORES.has(e.op)));
  // a ring that wrapped has lost its ops before its oldest kept one: a newer store may be among them
  const keptFrom = all.map((entries, k) => (rings[k].count() > entries.length ? (entries[0]?.seq ?? 0) : 0));
  const out: string[] = [];
  const done = new Set<number>();
  for (const load of loads.reverse()) {
    const word = load.a;
    if (done.has(word) || out.length >= MOST) continue;
    done.add(word);
    let store: { seq: number; op: number; a: number; b: number; task: number } | null = null;
    for (let k = 0; k < every.length; k++) {
      for (const e of every[k]) if (e.a === word && e.seq < load.seq && (store === null || e.seq > store.seq)) store = { ...e, task: k };
    }
    // its own store, one the trace shows, or another value than the load returned (an untraced store came between): nothing to add
    if (store === null || store.task === task || shown.has(store.seq) || store.b !== load.b) continue;
    // another task's ring that lost ops after that store may have lost a newer one (the violating task's own: the value tells)
    if (keptFrom.some((from, k) => k !== task && from > store.seq)) continue;
    const who = names.tasks[store.task] ?? `task${store.task}`;
    out.push(`${formatOp(load.op, load.a, load.b, names)} at step ${load.seq} read what ${who} stored at step ${store.seq}: ${formatOp(store.op, store.a, store.b, names)} (before the trace above)`);
  }
  return out;
}
