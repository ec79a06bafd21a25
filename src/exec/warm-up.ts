/**
 * A threads pool made ready for a scenario before a budget that should only measure its
 * executions starts: every worker of the pool started and holding the scenario's bundle.
 * One warm-up task per worker imports the bundle and then waits at a barrier (a counter
 * on a SharedArrayBuffer) until all have it; since a worker takes one task at a time, the
 * barrier is also what gives each worker its own task (workers/warm-up.mjs). The wait is
 * bounded three ways: the run's deadline, a time-out for a stuck worker, and the signal.
 */
import type { Piscina } from 'piscina';
import { sourceStack } from '../load/stack.js';
import { type RunLimits, STOP_GRACE_MS } from './limits.js';

/** The barrier's words (workers/warm-up.mjs): workers that hold the bundle, and the parent's stop. */
const WARM_LOADED = 0;
const WARM_STOP = 1;

/** What a warm-up task is sent. */
export interface WarmTask {
  bundle: string;
  barrier: SharedArrayBuffer;
  /** How many workers meet at the barrier: the pool's size. */
  workers: number;
  /** The worker's own bound on its wait (the parent stops it sooner). */
  timeoutMs: number;
}

/** How a warm-up ended: `loaded` is how many workers held the bundle by then. */
export type WarmOutcome =
  | { end: 'ready' }
  | { end: 'interrupted'; loaded: number }
  | { end: 'deadline'; loaded: number }
  | { end: 'timed-out'; loaded: number; timeoutMs: number }
  | { end: 'failed'; errors: string[] };

/**
 * Warms `workers` threads of `pool` with `bundle`. Any end but 'ready' leaves `unsettled`
 * true when some task still runs (a worker still importing, or stuck): its caller then
 * tears the pool down, so that nothing of this warm-up outlives it.
 */
export async function warmPool(pool: Piscina, workers: number, bundle: string, limits: RunLimits, timeoutMs: number): Promise<WarmOutcome & { unsettled: boolean }> {
  const barrier = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const i32 = new Int32Array(barrier);
  const loaded = () => Math.min(workers, Atomics.load(i32, WARM_LOADED));
  const failures: string[] = [];
  let ready = 0;
  let pending = workers;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // the first of: every worker ready, one failed, the signal, the run's deadline, the time-out
  type First = 'ready' | 'failed' | 'interrupted' | 'bound';
  let allSettled: () => void = () => {};
  const settled = new Promise<void>((res) => {
    allSettled = res;
  });
  const first = await new Promise<First>((resolve) => {
    for (let k = 0; k < workers; k++) {
      (pool.run({ bundle, barrier, workers, timeoutMs } satisfies WarmTask) as Promise<string>).then(
        (end) => {
          if (end === 'ready' && ++ready === workers) resolve('ready');
          if (--pending === 0) allSettled();
        },
        (e) => {
          failures.push(failure(e));
          resolve('failed');
          if (--pending === 0) allSettled();
        },
      );
    }
    onAbort = () => resolve('interrupted');
    if (limits.abort?.aborted) resolve('interrupted');
    limits.abort?.addEventListener('abort', onAbort);
    const bound = limits.until === null ? timeoutMs : Math.min(timeoutMs, Math.max(0, limits.until - performance.now()));
    timer = setTimeout(() => resolve('bound'), bound);
  });
  clearTimeout(timer);
  if (onAbort) limits.abort?.removeEventListener('abort', onAbort);
  if (first === 'ready') return { end: 'ready', unsettled: false };
  // not ready: the workers at the barrier leave it; after a signal nothing more is waited for
  Atomics.store(i32, WARM_STOP, 1);
  Atomics.notify(i32, WARM_LOADED);
  if (first !== 'interrupted' && pending > 0) {
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      settled,
      new Promise((res) => {
        grace = setTimeout(res, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
  }
  const unsettled = pending > 0;
  if (first === 'interrupted') return { end: 'interrupted', loaded: loaded(), unsettled };
  if (failures.length > 0) return { end: 'failed', errors: [...new Set(failures)], unsettled };
  if (limits.until !== null && performance.now() >= limits.until) return { end: 'deadline', loaded: loaded(), unsettled };
  return { end: 'timed-out', loaded: loaded(), timeoutMs, unsettled };
}

function failure(reason: unknown): string {
  return `worker failed loading the scenario's bundle: ${sourceStack(String((reason as Error)?.stack ?? reason))}`;
}
