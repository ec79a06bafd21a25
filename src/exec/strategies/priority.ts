/**
 * The choice pct and pos share: the runnable task of highest priority, passing over the
 * tasks that only wait (they yielded IDLE and nobody has done work since), as long as a
 * task that does not wait can run.
 */

/** The index into `runnable` of the highest-priority task not waiting; -1 when every one waits. */
export function highestNotWaiting(n: number, runnable: Int32Array, priority: ArrayLike<number>, waiting: ArrayLike<boolean | number>): number {
  let best = -1;
  for (let c = 0; c < n; c++) {
    const t = runnable[c];
    if (waiting[t]) continue;
    if (best < 0 || priority[t] > priority[runnable[best]]) best = c;
  }
  return best;
}
