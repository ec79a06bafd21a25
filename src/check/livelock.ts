/**
 * Oracle `invariant` (livelock): tasks kept running without a single progress mark for a
 * whole window. Livelock is a lack of progress, never a long time: a scenario says what
 * progress is (ScenarioDef.progress) and its roles mark it. Sim measures the window in
 * scheduling steps, the threads watchdog in wall-clock time; the report is the same.
 */
import { mainViolation, type Violation } from './violation.js';

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
