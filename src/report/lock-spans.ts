/**
 * Held locks and blocked waits of a violation's trace, as spans per task: from an
 * acquire (or a successful trylock) to its release, and from "blocks in ...(L)" to the
 * acquire of L. A span still open at the end of the trace runs to its end (`to` null);
 * a release whose acquire fell out of the trace window starts at its start (`from`
 * null). The HTML timeline and the Chrome trace export both draw these.
 */
import type { TraceLine } from '../rt/trace.js';

export interface LockSpan {
  task: string;
  lock: string;
  kind: 'hold' | 'blocked';
  from: number | null;
  to: number | null;
}

const ACQ = /^(spin_lock|read_lock|write_lock|mutex_lock|srcu_read_lock|percpu_down_read|percpu_down_write|lock_map_acquire|wait_event)\((.*)\)( in atomic context)?$/;
const TRY = /^mutex_trylock\((.*)\) = 1$/;
const REL = /^(spin_unlock|read_unlock|write_unlock|mutex_unlock|srcu_read_unlock|percpu_up_read|percpu_up_write|lock_map_release)\((.*)\)$/;
const BLOCK = /^blocks in [a-z_]+\((.*)\)$/;

export function lockSpans(trace: TraceLine[]): LockSpan[] {
  const out: LockSpan[] = [];
  const open = new Map<string, number>(); // task\0lock -> step
  const waiting = new Map<string, number>();
  for (const t of trace) {
    const block = BLOCK.exec(t.op);
    const acq = block ? null : (ACQ.exec(t.op) ?? TRY.exec(t.op));
    const rel = block || acq ? null : REL.exec(t.op);
    if (block) {
      waiting.set(`${t.task}\0${block[1]}`, t.step);
    } else if (acq) {
      const lock = acq.length > 3 ? acq[2] : acq[1];
      const k = `${t.task}\0${lock}`;
      const w = waiting.get(k);
      if (w !== undefined) {
        out.push({ task: t.task, lock, kind: 'blocked', from: w, to: t.step });
        waiting.delete(k);
      }
      if (!t.op.startsWith('wait_event')) open.set(k, t.step);
    } else if (rel) {
      const k = `${t.task}\0${rel[2]}`;
      out.push({ task: t.task, lock: rel[2], kind: 'hold', from: open.get(k) ?? null, to: t.step });
      open.delete(k);
    }
  }
  for (const [k, from] of open) out.push({ task: k.split('\0')[0], lock: k.split('\0')[1], kind: 'hold', from, to: null });
  for (const [k, from] of waiting) out.push({ task: k.split('\0')[0], lock: k.split('\0')[1], kind: 'blocked', from, to: null });
  return out;
}
