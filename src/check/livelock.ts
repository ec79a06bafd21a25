/**
 * Oracle `invariant` (livelock): tasks kept running without a single progress mark for a
 * whole window. Livelock is a lack of progress, never a long time: a scenario says what
 * progress is (ScenarioDef.progress) and its roles mark it. Sim measures the window in
 * scheduling steps, the threads watchdog in wall-clock time; the report is the same.
 */
import { mainViolation, type Violation } from '../rt/violation.js';

export interface LivelockSeen {
  /** What counts as progress in this scenario. */
  progress: string;
  /** The window without a mark, as the executor measures it: "in the last 1000000 scheduling steps", "for 20000 ms". */
  window: string;
  /** Where the last mark was, or that there was none. */
  lastMark: string;
  /** What each task did since that mark, in the executor's unit; tasks that did nothing are left out. */
  since: { task: string; count: number }[];
  unit: 'steps' | 'ops';
}

export function livelockViolation(seen: LivelockSeen, step: number): Violation {
  const busy = seen.since.filter((x) => x.count > 0).map((x) => `${x.task} took ${x.count} ${seen.unit} since then`);
  return mainViolation('invariant', `livelock: no progress (${seen.progress}) ${seen.window}, while tasks kept running`, [seen.lastMark, ...busy], step);
}

/** A task spin-waiting (re-reading words nobody writes), as the spin-wait livelock names it. */
export interface Spinner {
  task: string;
  role: string;
  /** "ready = 0 (never written by WRITE_ONCE, smp_store_release or cmpxchg in this execution)", one per word. */
  words: string[];
  /** How long it has been spinning, in the executor's unit. */
  spinning: string;
  locksHeld: string[];
}

/**
 * Oracle `invariant` (a spin-wait livelock): every task that can still run re-reads words
 * nobody writes (CHESS's rule), and every other task has finished or waits: the store the
 * spinners wait for can never come. Reported at once, not after a progress window.
 */
export function spinLivelockViolation(spinners: Spinner[], others: string[], step: number): Violation {
  const first = spinners[0];
  const what = spinners.map((s) => `${s.task} re-reads ${s.words.map((w) => w.split(' ')[0]).join(', ')}`).join('; ');
  const details = spinners.flatMap((s) => [`${s.task} has been spinning for ${s.spinning}, re-reading:`, ...s.words.map((w) => `  ${w}`)]);
  details.push(...others);
  return {
    kind: 'invariant',
    message: `livelock: every task that can run spin-waits on words nobody writes (${what}); no other task can store to them`,
    details,
    task: first.task,
    role: first.role,
    step,
    locksHeld: first.locksHeld,
  };
}
