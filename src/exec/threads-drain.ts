/**
 * What a threads pool's workers still hold of the scenario's code before the pool goes, or
 * before another run takes it: timers its roles started that had not come due when their
 * roles ended, and promises that rejected with nothing to catch them. Piscina's workers
 * take their next task without a turn of their event loop, so these run only when one is
 * given: one drain task to each worker (met at a barrier, as the warm-up's tasks are), which
 * lets them run within a bound and hands back what they threw (workers/role-worker.mjs).
 */
import type { Piscina } from 'piscina';
import { stuckTurnMs } from './turn-watch.js';

/** A throw a worker kept: its stack, and the run (RoleTask.run) of the role that started what threw (else the worker's last). */
export interface KeptThrow {
  stack: string;
  run: number | null;
}

/**
 * The drain's shared words: workers arrived (as workers/warm-up.mjs reads them), the parent's
 * stop, the next turn word to give out, and from TURNS on one turn word per worker
 * (turn-watch.ts: since when that worker has been inside a turn of its event loop).
 */
const ARRIVED = 0;
const STOP = 1;
const SLOTS = 2;
const TURNS = 3;

/** How long workers told to stop have to answer before the pool goes: they stop at their next turn (10 ms). */
const LEAVE_MS = 200;

export interface Drained {
  kept: KeptThrow[];
  /** How long a worker had been inside one turn of its event loop at the bound, when that is STUCK_TURN_MS or more: a callback of the scenario's that does not return (its pool must be torn down). */
  stuckMs: number | null;
  /** A worker still had timers pending when its share of the bound was up (workers/role-worker.mjs 'timers-left'), or had not come back. */
  timersLeft: boolean;
  /** The signal came first: nothing more is waited for, and nothing is named. */
  aborted: boolean;
}

/**
 * One drain task to each of `workers` workers of `pool`, all within `boundMs`: each worker
 * lets its timers run until 0.6 of the bound (a deadline both threads read alike), which
 * leaves it the rest to come back. One still inside a turn at the bound that has lasted
 * STUCK_TURN_MS is inside a callback that does not return. `abort` ends the drain at once.
 */
export async function drainPool(pool: Piscina, workers: number, boundMs: number, abort?: AbortSignal): Promise<Drained> {
  // interrupted before it began: no task is sent (one still running as the pool goes would be answered to no one)
  if (abort?.aborted) return { kept: [], stuckMs: null, timersLeft: true, aborted: true };
  const barrier = new SharedArrayBuffer((TURNS + workers) * Int32Array.BYTES_PER_ELEMENT);
  const i32 = new Int32Array(barrier);
  const kept: KeptThrow[] = [];
  let timersLeft = false;
  const baseEpochMs = performance.timeOrigin + performance.now();
  const untilEpochMs = baseEpochMs + 0.6 * boundMs;
  const runs = Array.from({ length: workers }, () =>
    (pool.run({ drain: true, barrier, workers, baseEpochMs, untilEpochMs, slots: SLOTS, turns: TURNS, stop: STOP }) as Promise<{ end: string; outside: KeptThrow[] }>).then((r) => {
      kept.push(...r.outside);
      if (r.end !== 'ready') timersLeft = true;
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<'late' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('late'), boundMs);
    onAbort = () => resolve('aborted');
    if (abort?.aborted) onAbort();
    abort?.addEventListener('abort', onAbort);
  });
  const settled = Promise.allSettled(runs).then(() => 'all' as const);
  const end = await Promise.race([settled, cut]);
  clearTimeout(timer);
  if (onAbort) abort?.removeEventListener('abort', onAbort);
  if (end === 'all') return { kept, stuckMs: null, timersLeft, aborted: false };
  // the workers leave the barrier and their turns; one inside a turn is inside a callback
  Atomics.store(i32, STOP, 1);
  Atomics.notify(i32, ARRIVED);
  const stuckMs = end === 'late' ? stuckTurnMs(i32, TURNS, workers, baseEpochMs) : null;
  // the others answer before the pool goes (piscina throws, uncaught, at an answer to a task
  // of a pool torn down); one inside a callback never does, and is not waited for
  if (stuckMs === null || end === 'aborted') await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, LEAVE_MS))]);
  return { kept, stuckMs, timersLeft: true, aborted: end === 'aborted' };
}
