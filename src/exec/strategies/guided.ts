/**
 * `guided`: a schedule written as the few places where it departs from a fixed
 * default, so that it can be shrunk, printed as a short token and replayed exactly.
 *
 * The default at each scheduling step: the task that ran last goes on if it can (it
 * is runnable and its last step was not an IDLE); otherwise the next runnable task
 * after it, in id order, round the ring. A guide lists (step, task) where the
 * schedule picks another task than the default; a listed task that cannot run at its
 * step is ignored. Any schedule becomes a guide by running it once (`GuideRecorder`),
 * and that guide replays it step for step.
 *
 * A preemption is a switch away from a task that could have gone on.
 */
import { IDLE } from '../op.js';
import type { Strategy } from '../strategy.js';

export interface Guide {
  seed: number;
  /** [scheduling step, task] pairs, steps ascending. */
  entries: [number, number][];
}

/** The task the default picks: the last one if it can go on, else the next runnable after it. */
export function defaultPick(cur: number, curIdle: boolean, n: number, runnable: Int32Array): number {
  let next = -1;
  for (let c = 0; c < n; c++) {
    const t = runnable[c];
    if (t === cur && !curIdle) return c;
    // the first runnable after cur in the ring (runnable is in id order)
    if (t > cur && next < 0) next = c;
  }
  if (next >= 0) return next;
  // wrap round the ring; an idle cur comes last, only when nothing else can run
  for (let c = 0; c < n; c++) if (runnable[c] !== cur) return c;
  return 0;
}

/** Follows a guide; counts the steps and preemptions of what it ran, and records the guide of what really ran. */
export class GuidedStrategy implements Strategy {
  readonly name = 'guided';
  private step = 0;
  private next = 0;
  private cur = -1;
  private curIdle = false;
  /** The guide of the execution that really ran (only where it departs from the default). */
  ran: [number, number][] = [];
  /** The steps at which what ran preempted a task that could have gone on. */
  preemptedAt: number[] = [];

  constructor(private readonly guide: Guide) {}

  get preemptions(): number {
    return this.preemptedAt.length;
  }

  start(): void {
    this.step = 0;
    this.next = 0;
    this.cur = -1;
    this.curIdle = false;
    this.ran = [];
    this.preemptedAt = [];
  }

  pick(n: number, runnable: Int32Array): number {
    const e = this.guide.entries;
    while (this.next < e.length && e[this.next][0] < this.step) this.next++;
    const d = defaultPick(this.cur, this.curIdle, n, runnable);
    let c = d;
    if (this.next < e.length && e[this.next][0] === this.step) {
      const want = runnable.subarray(0, n).indexOf(e[this.next][1]);
      if (want >= 0) c = want;
    }
    if (c !== d) this.ran.push([this.step, runnable[c]]);
    if (runnable[c] !== this.cur && !this.curIdle && runnable.subarray(0, n).includes(this.cur)) this.preemptedAt.push(this.step);
    return c;
  }

  stepped(task: number, result: number): void {
    this.step++;
    this.cur = task;
    this.curIdle = result === IDLE;
  }
}

/** Wraps any strategy and writes down, as a guide, the schedule it produced. */
export class GuideRecorder implements Strategy {
  readonly name: string;
  private step = 0;
  private cur = -1;
  private curIdle = false;
  entries: [number, number][] = [];
  preemptions = 0;

  constructor(private readonly inner: Strategy) {
    this.name = inner.name;
  }

  start(seed: number, tasks?: number): void {
    this.inner.start(seed, tasks);
    this.step = 0;
    this.cur = -1;
    this.curIdle = false;
    this.entries = [];
    this.preemptions = 0;
  }

  pick(n: number, runnable: Int32Array): number {
    const c = this.inner.pick(n, runnable);
    if (c < 0) return c;
    if (c !== defaultPick(this.cur, this.curIdle, n, runnable)) this.entries.push([this.step, runnable[c]]);
    if (runnable[c] !== this.cur && !this.curIdle && runnable.subarray(0, n).includes(this.cur)) this.preemptions++;
    return c;
  }

  idle(task: number): void {
    this.inner.idle?.(task);
  }

  observe(i32: Int32Array, modelBase: number): void {
    this.inner.observe?.(i32, modelBase);
  }

  stepped(task: number, result: number): void {
    this.inner.stepped?.(task, result);
    this.step++;
    this.cur = task;
    this.curIdle = result === IDLE;
  }

  end(): void {
    this.inner.end?.();
  }
}

const TOKEN_VERSION = 'g1';

/**
 * A guide as one shell-safe word: `g1.<seed>.<step>-<task>.<step>-<task>...`, each step
 * counted from the previous entry's, in base 36.
 */
export function guideToken(g: Guide): string {
  let prev = 0;
  const parts = [TOKEN_VERSION, g.seed.toString(36)];
  for (const [step, task] of g.entries) {
    parts.push(`${(step - prev).toString(36)}-${task.toString(36)}`);
    prev = step;
  }
  return parts.join('.');
}

/** The guide of a token, or a one-line reason it is not one. */
export function parseGuideToken(token: string): Guide | string {
  const parts = token.trim().split('.');
  if (parts[0] !== TOKEN_VERSION || parts.length < 2) return `not a schedule token (it begins '${TOKEN_VERSION}.<seed>'): '${token.slice(0, 40)}'`;
  const seed = Number.parseInt(parts[1], 36);
  if (!/^[0-9a-z]+$/.test(parts[1]) || !Number.isSafeInteger(seed)) return `schedule token: bad seed '${parts[1]}'`;
  const entries: [number, number][] = [];
  let step = 0;
  for (const p of parts.slice(2)) {
    const m = /^([0-9a-z]+)-([0-9a-z]+)$/.exec(p);
    if (!m) return `schedule token: bad entry '${p}' (want <step>-<task> in base 36)`;
    step += Number.parseInt(m[1], 36);
    entries.push([step, Number.parseInt(m[2], 36)]);
  }
  return { seed, entries };
}
