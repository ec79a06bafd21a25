/**
 * Oracle `deadlock`: tasks blocked on locks whose holders are themselves blocked (or
 * gone). Explains each wait as "A waits for L held by B" and finds the wait-for
 * cycle if there is one. Used by sim (no task runnable) and by the threads watchdog.
 */
import type { NameTable } from '../shm/arena.js';
import { OWNER, READERS } from '../sync/lock-word.js';
import { mainViolation, type Violation } from '../rt/violation.js';
import { shared } from '../rt/shared.js';

/**
 * Who `waiter` waits for on `lock`: its exclusive owner and its readers. An srcu_struct's
 * owner is the updater running a grace period, which other updaters wait for; the owner
 * itself waits for the readers only.
 */
function holders(i32: Int32Array, names: NameTable, lock: number, waiter: number): number[] {
  const l = names.locks[lock];
  const owner = shared.load(i32, l.word + OWNER) - 1;
  const out = owner >= 0 && !(l.kind === 'struct srcu_struct' && owner === waiter) ? [owner] : [];
  const mask = shared.load(i32, l.word + READERS);
  for (let t = 0; t < 31; t++) if (mask & (1 << t)) out.push(t);
  return out;
}

export interface WaitGraph {
  lines: string[];
  cycle: number[] | null;
}

/**
 * `blockedOn[task]` is the lock id a task waits on, or -1. In sim the state is frozen,
 * so a waiter on a free lock was really never woken; in threads the words are sampled
 * while threads run, so a free lock is reported as seen, without a cause: the driver
 * checks every futex wait for a lost wake-up itself.
 */
export function waitGraph(i32: Int32Array, names: NameTable, blockedOn: ArrayLike<number>, mode: 'sim' | 'threads'): WaitGraph {
  const lines: string[] = [];
  const next = new Map<number, number[]>();
  for (let t = 0; t < blockedOn.length; t++) {
    const lock = blockedOn[t];
    if (lock < 0) continue;
    const hs = holders(i32, names, lock, t);
    next.set(t, hs);
    const l = names.locks[lock].name;
    if (hs.length) lines.push(`${names.tasks[t]} waits for ${l} held by ${hs.map((h) => names.tasks[h]).join(', ')}`);
    else if (mode === 'sim') lines.push(`${names.tasks[t]} waits for ${l}, which is free: the waiter was never woken`);
    else lines.push(`${names.tasks[t]} waits for ${l}, free when sampled`);
  }
  return { lines, cycle: findCycle(next) };
}

/** A cycle in the waits-for graph (task -> every holder of the lock it waits on), by depth-first search. */
function findCycle(next: Map<number, number[]>): number[] | null {
  // a task waiting for a lock it holds itself says the most: name it first
  for (const [t, hs] of next) if (hs.includes(t)) return [t];
  const done = new Set<number>();
  const path: number[] = [];
  const visit = (t: number): number[] | null => {
    const at = path.indexOf(t);
    if (at >= 0) return path.slice(at);
    if (done.has(t)) return null;
    path.push(t);
    for (const h of next.get(t) ?? []) {
      const c = visit(h);
      if (c) return c;
    }
    path.pop();
    done.add(t);
    return null;
  };
  for (const t of next.keys()) {
    const c = visit(t);
    if (c) return c;
  }
  return null;
}

/** `how` says what was seen; with a cycle the message names it first. */
export function deadlockViolation(g: WaitGraph, names: NameTable, step: number, how: string): Violation {
  const cycle = g.cycle ? [...g.cycle, g.cycle[0]].map((t) => names.tasks[t]).join(' -> ') : null;
  const self = g.cycle?.length === 1 ? `a self-deadlock: ${names.tasks[g.cycle[0]]} waits for a lock it holds itself; ` : '';
  return mainViolation('deadlock', cycle ? `deadlock: ${cycle} (${self}${how})` : how, g.lines, step);
}
