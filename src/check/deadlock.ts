/**
 * Oracle `deadlock`: tasks blocked on locks whose holders are themselves blocked (or
 * gone). Explains each wait as "A waits for L held by B" and finds the wait-for
 * cycle if there is one. Used by sim (no task runnable) and by the threads watchdog.
 */
import type { NameTable } from '../shm/arena.js';
import { OWNER, READERS } from '../sync/lock-word.js';
import { mainViolation, type Violation } from './violation.js';

function holders(i32: Int32Array, names: NameTable, lock: number): number[] {
  const l = names.locks[lock];
  const owner = Atomics.load(i32, l.word + OWNER) - 1;
  const out = owner >= 0 ? [owner] : [];
  const mask = Atomics.load(i32, l.word + READERS);
  for (let t = 0; t < 31; t++) if (mask & (1 << t)) out.push(t);
  return out;
}

export interface WaitGraph {
  lines: string[];
  cycle: number[] | null;
}

/** `blockedOn[task]` is the lock id a task waits on, or -1. */
export function waitGraph(i32: Int32Array, names: NameTable, blockedOn: ArrayLike<number>): WaitGraph {
  const lines: string[] = [];
  const next = new Map<number, number[]>();
  for (let t = 0; t < blockedOn.length; t++) {
    const lock = blockedOn[t];
    if (lock < 0) continue;
    const hs = holders(i32, names, lock);
    next.set(t, hs);
    const who = hs.length ? hs.map((h) => names.tasks[h]).join(', ') : 'nobody (it was released; the waiter was not woken)';
    lines.push(`${names.tasks[t]} waits for ${names.locks[lock].name} held by ${who}`);
  }
  // Follow waits-for edges from each blocked task looking for a cycle.
  for (const start of next.keys()) {
    const path: number[] = [];
    let t: number | undefined = start;
    while (t !== undefined && !path.includes(t)) {
      path.push(t);
      t = next.get(t)?.[0];
    }
    if (t !== undefined) return { lines, cycle: path.slice(path.indexOf(t)) };
  }
  return { lines, cycle: null };
}

export function deadlockViolation(g: WaitGraph, names: NameTable, step: number, how: string): Violation {
  const cycle = g.cycle ? g.cycle.map((t) => names.tasks[t]).join(' -> ') : null;
  return mainViolation(
    'deadlock',
    cycle ? `deadlock: ${cycle} -> ${names.tasks[g.cycle?.[0] ?? 0]} (${how})` : `no task can make progress (${how})`,
    g.lines,
    step,
  );
}
