/**
 * What a threads pool's workers still hold of the scenario's code before the pool goes, or
 * before another run takes it: timers its roles started that had not come due when their
 * roles ended, and promises that rejected with nothing to catch them. Piscina's workers
 * take their next task without a turn of their event loop, so these run only when one is
 * given: one drain task to each worker (met at a barrier, as the warm-up's tasks are), which
 * lets them run for up to `graceMs` and hands back what they threw (workers/role-worker.mjs).
 */
import type { Piscina } from 'piscina';
import { STOP_GRACE_MS } from './limits.js';

/** A throw a worker kept: its stack, and the run (RoleTask.run) of the role that started what threw (else the worker's last). */
export interface KeptThrow {
  stack: string;
  run: number | null;
}

/** The barrier's words (as workers/warm-up.mjs reads them): workers arrived, the parent's stop. */
const ARRIVED = 0;
const STOP = 1;

export interface Drained {
  kept: KeptThrow[];
  /** How long a worker ran something of the scenario's without returning, when one did (its pool must be torn down). */
  stuckMs: number | null;
  /** A worker still had timers pending, not due within `graceMs` (workers/role-worker.mjs 'timers-left'). */
  timersLeft: boolean;
}

/** One drain task to each of `workers` workers of `pool`; resolves within about `graceMs` + STOP_GRACE_MS. */
export async function drainPool(pool: Piscina, workers: number, graceMs: number): Promise<Drained> {
  const barrier = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const i32 = new Int32Array(barrier);
  const kept: KeptThrow[] = [];
  let timersLeft = false;
  const started = performance.now();
  const runs = Array.from({ length: workers }, () =>
    (pool.run({ drain: true, barrier, workers, timeoutMs: STOP_GRACE_MS, graceMs }) as Promise<{ end: string; outside: KeptThrow[] }>).then((r) => {
      kept.push(...r.outside);
      if (r.end === 'timers-left') timersLeft = true;
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs + STOP_GRACE_MS);
  });
  const end = await Promise.race([Promise.allSettled(runs).then(() => 'all' as const), bound]);
  clearTimeout(timer);
  if (end === 'all') return { kept, stuckMs: null, timersLeft };
  // a worker still inside a timer of the scenario's (or stuck at the barrier behind one)
  Atomics.store(i32, STOP, 1);
  Atomics.notify(i32, ARRIVED);
  return { kept, stuckMs: performance.now() - started, timersLeft };
}
