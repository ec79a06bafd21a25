// Threads-mode worker (a piscina task handler). Plain JavaScript, no TypeScript loader:
// each task names the compiled bundle of its scenario (src/load/bundle.ts). A task with a
// `barrier` is the pool's warm-up (warm-up.mjs), or with `drain` too, its drain (below).
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadBundle } from './load-bundle.mjs';
import { aTurn, pendingTimers, runPendingTimers, watchedTurns } from './turn-watch.mjs';
import { warmUp, waitForAll } from './warm-up.mjs';

// A timer or promise a role started runs outside the model's schedule, on this worker's
// event loop, and piscina's workers take their next task without a turn of it. So after a
// role that left timers pending, the worker lets them run (those whose time has come) before
// the role's result goes back. A throw there must neither end the worker nor fail a task:
// it is kept, with the run of the role that started it, and handed back with this role's
// result, or the next one's, or the pool's drain (src/exec/threads.ts names it).
const outside = [];
/**
 * The run (RoleTask.run) of the role whose code started the timer or promise running now: a
 * role runs inside it, and what it starts keeps it (Node carries an AsyncLocalStorage's value
 * to timers, immediates and promise callbacks, and to the uncaughtException and
 * unhandledRejection they end in). A timer the worker cannot see pending (unref'd: Node's
 * count leaves it out) may come due during a later run's role: it is still its own run's.
 */
const roleRun = new AsyncLocalStorage();
/** The run of the role this worker ran last: for what no role started (a bundle's top level). */
let lastRun = null;
const keep = (e) => outside.push({ stack: e?.stack ?? String(e), run: roleRun.getStore() ?? lastRun });
process.on('uncaughtException', keep);
process.on('unhandledRejection', keep);

export default async function roleWorker(job) {
  if (job.drain) return await drain(job);
  if (job.barrier) return await warmUp(job);
  const api = await loadBundle(job.bundle);
  lastRun = job.run;
  const r = roleRun.run(job.run, () => api.runRole(job));
  if (pendingTimers() > 0) {
    // the role's timers whose time has come run now; meanwhile its bit says so, for the
    // watchdog to name one that never returns (src/exec/frame.ts CTL_OUTSIDE)
    const i32 = new Int32Array(job.buffer);
    const bit = 1 << job.instance;
    Atomics.or(i32, job.outsideWord, bit);
    await aTurn(0); // a timer of 0 ms comes after every timer already due
    Atomics.and(i32, job.outsideWord, ~bit);
  }
  // what is still pending is drained before another run takes the pool (src/exec/threads-drain.ts)
  return outside.length > 0 ? { ...r, outside: outside.splice(0) } : r;
}

/**
 * The pool's drain (src/exec/threads-drain.ts): one task to each worker (the barrier spreads
 * them, as the warm-up's), which lets the timers the roles left pending run until the
 * drain's deadline, and hands back what they and any promise threw. Its turns are watched
 * (turn-watch.mjs): one the parent finds still going at its bound is a callback that has not
 * returned.
 */
async function drain(job) {
  const left = job.untilEpochMs - (performance.timeOrigin + performance.now());
  const met = waitForAll({ ...job, timeoutMs: Math.max(0, left) });
  if (met !== 'ready') return { end: met, outside: outside.splice(0) };
  const i32 = new Int32Array(job.barrier);
  const turn = watchedTurns(i32, job.turns + Atomics.add(i32, job.slots, 1), job.baseEpochMs);
  const still = await runPendingTimers(turn, job.untilEpochMs, () => Atomics.load(i32, job.stop) !== 0);
  return { end: still > 0 ? 'timers-left' : 'ready', outside: outside.splice(0) };
}
