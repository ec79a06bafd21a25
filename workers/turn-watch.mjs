// While a worker gives its event loop turns to run what the scenario's code left (the
// timers of a threads pool's drain, of a sim worker asked to leave), one shared word says
// since when: 0 between turns, else 1 + the milliseconds from `baseEpochMs` to the turn's
// start. A parent whose worker has not come back reads it (src/exec/turn-watch.ts): a turn
// that has lasted long is a callback of the scenario's that does not return.

/** Timers and immediates pending on this thread (Node's own count of its active resources). */
export const pendingTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;

/** `until` resolves after `ms`: a turn of the event loop in which the timers due by then run. */
export const aTurn = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A function that awaits a promise as a watched turn: word `word` of `i32` holds its start meanwhile. */
export function watchedTurns(i32, word, baseEpochMs) {
  return async (wait) => {
    Atomics.store(i32, word, 1 + Math.max(0, Math.floor(performance.timeOrigin + performance.now() - baseEpochMs)));
    await wait;
    Atomics.store(i32, word, 0);
  };
}

/**
 * Turns until no timer is pending, `untilEpochMs` has passed or `stopped()` (the parent's
 * stop): the first one for promises' rejections and what is due now, then one every 10 ms.
 * Resolves to how many are still pending.
 */
export async function runPendingTimers(turn, untilEpochMs, stopped = () => false) {
  const left = () => untilEpochMs - (performance.timeOrigin + performance.now());
  await turn(new Promise((resolve) => setImmediate(resolve)));
  while (pendingTimers() > 0 && left() > 0 && !stopped()) await turn(aTurn(Math.min(10, Math.max(1, left()))));
  return pendingTimers();
}
