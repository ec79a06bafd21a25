/**
 * The parent's side of workers/turn-watch.mjs: how long a worker that has not come back has
 * been inside one turn of its event loop, where the scenario's timers run.
 */

/**
 * A turn this long is a callback of the scenario's that does not return, not a slow
 * machine's scheduling: a watched turn runs the timers due within 10 ms.
 */
export const STUCK_TURN_MS = 250;

/** How long the turn word `word` of `i32` (based at `baseEpochMs`) has shown one turn, or null between turns. */
export function turnLastedMs(i32: Int32Array, word: number, baseEpochMs: number): number | null {
  const v = Atomics.load(i32, word);
  return v === 0 ? null : performance.timeOrigin + performance.now() - (baseEpochMs + v - 1);
}

/** The longest of `words` turn words from `first` that has lasted STUCK_TURN_MS or more, or null. */
export function stuckTurnMs(i32: Int32Array, first: number, words: number, baseEpochMs: number): number | null {
  let stuck: number | null = null;
  for (let k = 0; k < words; k++) {
    const ms = turnLastedMs(i32, first + k, baseEpochMs);
    if (ms !== null && ms >= STUCK_TURN_MS && (stuck === null || ms > stuck)) stuck = ms;
  }
  return stuck;
}
