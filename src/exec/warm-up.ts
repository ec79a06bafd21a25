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
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const runs = Array.from({ length: workers }, () => pool.run({ bundle, barrier, workers, timeoutMs } satisfies WarmTask) as Promise<string>);
  let unsettled = true;
  const settled = Promise.allSettled(runs).then(() => {
    unsettled = false;
  });
  // the first of: every worker ready, one failed, the signal, the run's deadline, the time-out
  const first = await new Promise<'ready' | 'failed' | 'interrupted' | 'deadline' | 'timed-out'>((resolve) => {
    for (const run of runs) {
      run.then(
        (end) => {
          if (end === 'ready' && ++ready === workers) resolve('ready');
        },
        (e) => {
          failures.push(failure(e));
          resolve('failed');
        },
      );
    }
    onAbort = () => resolve('interrupted');
    if (limits.abort?.aborted) resolve('interrupted');
    limits.abort?.addEventListener('abort', onAbort);
    const left = limits.until === null ? Number.POSITIVE_INFINITY : Math.max(0, limits.until - performance.now());
    timer = left < timeoutMs ? setTimeout(() => resolve('deadline'), left) : setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  clearTimeout(timer);
  if (onAbort) limits.abort?.removeEventListener('abort', onAbort);
  if (first === 'ready') return { end: 'ready', unsettled: false };
  // not ready: the workers at the barrier leave it; after a signal nothing more is waited for
  Atomics.store(i32, WARM_STOP, 1);
  Atomics.notify(i32, WARM_LOADED);
  if (first !== 'interrupted' && unsettled) {
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      settled,
      new Promise((res) => {
        grace = setTimeout(res, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
  }
  if (first === 'interrupted') return { end: 'interrupted', loaded: loaded(), unsettled };
  if (failures.length > 0) return { end: 'failed', errors: [...new Set(failures)], unsettled };
  if (first === 'deadline') return { end: 'deadline', loaded: loaded(), unsettled };
  return { end: 'timed-out', loaded: loaded(), timeoutMs, unsettled };
}

function failure(reason: unknown): string {
  return `worker failed loading the scenario's bundle: ${sourceStack(String((reason as Error)?.stack ?? reason))}`;
}
