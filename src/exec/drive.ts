/**
 * The threads-mode driver: runs one task's generator straight through on this
 * worker thread. At an op boundary it may inject seeded jitter (spins, rarely a short
 * sleep) to widen race windows; when the task is blocked on a lock it retries a few
 * times, then futex-waits on exactly the word and value the lock saw, with a bounded
 * timeout so that a stop request or a lost wake-up can never hang it.
 */
import { CTL_SLEEP, CTL_STOP } from './frame.js';
import { blocked, type Op, POINT } from './op.js';
import type { Rng } from './task.js';
import { WAITERS } from '../sync/lock-word.js';

export interface Jitter {
  /** Probability of a jitter at each op boundary (0 = none). */
  prob: number;
  /** Upper bound of a spin, in loop iterations. */
  spin: number;
  /** Fraction of jitters that sleep 20..220 µs instead of spinning. */
  sleepFraction: number;
}

export const DEFAULT_JITTER: Jitter = { prob: 0.03, spin: 2000, sleepFraction: 0.01 };

/** Retries of a taken lock before futex-waiting: spinning only pays while runnable threads <= cores. */
const SPINS_BEFORE_WAIT = 1000;
const WAIT_MS = 2;

let sink = 0;

export type DriveEnd = 'done' | 'stopped';

export function drive(gen: Op, i32: Int32Array, ctl: number, blockedWord: number, jitter: Jitter, jr: Rng): DriveEnd {
  const stop = ctl + CTL_STOP;
  let spins = 0;
  let r = gen.next();
  while (!r.done) {
    if (Atomics.load(i32, stop) !== 0) return 'stopped';
    if (r.value === POINT) {
      spins = 0;
      if (jitter.prob > 0 && jr() < jitter.prob) {
        if (jr() < jitter.sleepFraction) Atomics.wait(i32, ctl + CTL_SLEEP, 0, 0.02 + jr() * 0.2);
        else for (let k = Math.floor(jr() * jitter.spin); k > 0; k--) sink = (sink + k) | 0;
      }
    } else if (++spins > SPINS_BEFORE_WAIT) {
      spins = 0;
      const { word, value } = blocked;
      Atomics.store(i32, blockedWord, r.value + 1);
      Atomics.add(i32, word + WAITERS, 1);
      Atomics.wait(i32, word, value, WAIT_MS);
      Atomics.sub(i32, word + WAITERS, 1);
      Atomics.store(i32, blockedWord, 0);
    }
    r = gen.next();
  }
  return 'done';
}
