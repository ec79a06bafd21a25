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
import { instancesOf, MAX_TASKS } from '../frame.js';
import type { Params, ScenarioDef } from '../../scenario.js';
import { IDLE } from '../../rt/op.js';
import type { SharedMemory } from '../../rt/shared.js';
import { MAX_SEED } from '../seeds.js';
import type { Guide, Strategy } from '../strategy.js';

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

/** The last task can go on: it is runnable and its last step was not an IDLE (switching away from it is a preemption). */
export function couldGoOn(cur: number, curIdle: boolean, n: number, runnable: Int32Array): boolean {
  return !curIdle && runnable.subarray(0, n).includes(cur);
}

/**
 * What ran, step by step: the departures from the default (a guide of it) and the
 * preemptions. Both strategies below write it down as they pick.
 */
class RunRecord {
  step = 0;
  cur = -1;
  curIdle = false;
  /** The guide of what ran: only where it departs from the default. */
  departures: [number, number][] = [];
  /** The steps at which what ran preempted a task that could have gone on. */
  preemptedAt: number[] = [];
  /** Weak loads that had a choice, so far. */
  load = 0;
  /** The weak loads that returned an older store: [load, store]. */
  staleLoads: [number, number][] = [];

  reset(): void {
    this.step = 0;
    this.cur = -1;
    this.curIdle = false;
    this.departures = [];
    this.preemptedAt = [];
    this.load = 0;
    this.staleLoads = [];
  }

  /** A weak load with a choice returned store `c` (0: the newest). */
  chose(c: number): void {
    if (c > 0) this.staleLoads.push([this.load, c]);
    this.load++;
  }

  /** Index `c` of `runnable` is picked where the default would have picked `d`. */
  picked(c: number, d: number, n: number, runnable: Int32Array): void {
    if (c !== d) this.departures.push([this.step, runnable[c]]);
    if (runnable[c] !== this.cur && couldGoOn(this.cur, this.curIdle, n, runnable)) this.preemptedAt.push(this.step);
  }

  stepped(task: number, result: number): void {
    this.step++;
    this.cur = task;
    this.curIdle = result === IDLE;
  }

  defaultPick(n: number, runnable: Int32Array): number {
    return defaultPick(this.cur, this.curIdle, n, runnable);
  }
}

/** Follows a guide; a listed task that cannot run at its step is ignored. */
export class GuidedStrategy implements Strategy {
  readonly name = 'guided';
  private next = 0;
  private nextLoad = 0;
  /** What really ran (a departure that no longer applied is not in it). */
  readonly ran = new RunRecord();

  constructor(private readonly guide: Guide) {}

  start(): void {
    this.next = 0;
    this.nextLoad = 0;
    this.ran.reset();
  }

  pick(n: number, runnable: Int32Array): number {
    const e = this.guide.entries;
    while (this.next < e.length && e[this.next][0] < this.ran.step) this.next++;
    const d = this.ran.defaultPick(n, runnable);
    let c = d;
    if (this.next < e.length && e[this.next][0] === this.ran.step) {
      const want = runnable.subarray(0, n).indexOf(e[this.next][1]);
      if (want >= 0) c = want;
    }
    this.ran.picked(c, d, n, runnable);
    return c;
  }

  choose(n: number): number {
    const l = this.guide.loads ?? [];
    while (this.nextLoad < l.length && l[this.nextLoad][0] < this.ran.load) this.nextLoad++;
    const c = this.nextLoad < l.length && l[this.nextLoad][0] === this.ran.load ? Math.min(l[this.nextLoad][1], n - 1) : 0;
    this.ran.chose(c);
    return c;
  }

  stepped(task: number, result: number): void {
    this.ran.stepped(task, result);
  }
}

/** Wraps any strategy and writes down, as a guide, the schedule it produced. */
export class GuideRecorder implements Strategy {
  readonly name: string;
  readonly ran = new RunRecord();

  constructor(private readonly inner: Strategy) {
    this.name = inner.name;
  }

  start(seed: number, tasks?: number): void {
    this.inner.start(seed, tasks);
    this.ran.reset();
  }

  pick(n: number, runnable: Int32Array): number {
    const c = this.inner.pick(n, runnable);
    if (c >= 0) this.ran.picked(c, this.ran.defaultPick(n, runnable), n, runnable);
    return c;
  }

  idle(task: number): void {
    this.inner.idle?.(task);
  }

  choose(n: number): number {
    const c = this.inner.choose?.(n) ?? 0;
    this.ran.chose(c);
    return c;
  }

  memory(i32: Int32Array, modelBase: number): SharedMemory | undefined {
    return this.inner.memory?.(i32, modelBase);
  }

  stepped(task: number, result: number): void {
    this.inner.stepped?.(task, result);
    this.ran.stepped(task, result);
  }

  end(): void {
    this.inner.end?.();
  }
}

/**
 * g2: the default schedule switches away from a spin-wait step (a re-read of unchanged
 * words counts as IDLE), so a g1 token, printed before that rule, may depart from the
 * schedule it once named.
 */
const TOKEN_VERSION = 'g2';

/** The digits of a token's check: 36^5, some 60 million values, so another run's check matches by chance once in that many. */
const FIT_DIGITS = 5;
const FIT = new RegExp(`^h([0-9a-z]{${FIT_DIGITS}})$`);

/**
 * The check a token carries of what it was recorded on: a hash (FNV-1a, 32 bits) of the
 * scenario's name, the variant, the tasks' names in id order and every parameter's value.
 * A schedule names tasks by index and steps by number, so it can run on another scenario
 * whose task count is as large, or on other parameters (fewer items, another rate), and
 * say "ok": the check tells it apart before anything runs.
 */
export function scheduleFit(def: Pick<ScenarioDef<unknown>, 'name' | 'roles'>, params: Params, variant: string): string {
  const values = Object.keys(params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join(',');
  const text = [def.name, variant, instancesOf(def as ScenarioDef<unknown>, params, variant).map((i) => i.name).join(','), values].join('\n');
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return (h % 36 ** FIT_DIGITS).toString(36).padStart(FIT_DIGITS, '0');
}

/**
 * A guide as one shell-safe word: `g2.<seed>.h<check>.<step>-<task>.<step>-<task>...`,
 * the check (scheduleFit; a token printed before it has none) then each step counted
 * from the previous entry's, in base 36; weak loads that returned an older
 * store follow as `<load>_<store>`, each load counted from the previous one's. A guide
 * that lists its rare events (exec/rare.ts) ends in `.r` and one `<event>+<opportunity>`
 * for each that happened (none: `.r` alone, every opportunity passed).
 */
export function guideToken(g: Guide): string {
  let prev = 0;
  const parts = [TOKEN_VERSION, g.seed.toString(36), ...(g.fit ? [`h${g.fit}`] : [])];
  for (const [step, task] of g.entries) {
    parts.push(`${(step - prev).toString(36)}-${task.toString(36)}`);
    prev = step;
  }
  prev = 0;
  for (const [load, store] of g.loads ?? []) {
    parts.push(`${(load - prev).toString(36)}_${store.toString(36)}`);
    prev = load;
  }
  if (g.rare) parts.push('r', ...g.rare.map(([name, j]) => `${name}+${j.toString(36)}`));
  return parts.join('.');
}

/** The most stores back a weak load's choice can name: a choice is one byte (ChoiceLog). */
const MAX_STORE = 255;

/**
 * The guide of a token, or a one-line reason it is not one. Everything a token can get
 * wrong without the scenario is refused here: its kind, its seed (0..MAX_SEED), each
 * entry's form, steps and loads that do not go up, a task past MAX_TASKS, a store past
 * MAX_STORE. What needs the scenario (its number of tasks, its memory model) is
 * `guideFits`; a replay that departs from its token is `CheckedGuide`'s.
 */
export function parseGuideToken(token: string): Guide | string {
  const text = token.trim();
  const shown = text.length > 48 ? `${text.slice(0, 45)}...` : text;
  if (/\s/.test(text)) return `a schedule token is one word ('${TOKEN_VERSION}.<seed>.<step>-<task>...'), not '${shown}': give only what follows --schedule in a replay line`;
  const parts = text.split('.');
  const kind = /^([a-z])(\d+)$/.exec(parts[0]);
  if (kind && parts[0] !== TOKEN_VERSION) {
    if (parts[0] === 'g1') {
      return `'${shown}' is a schedule token of an earlier mmu-stress (g1), whose default schedule did not yet count a spin-wait as IDLE: replay that finding with the version that printed it, or rerun its seed ('--seed N --executions 1') to get a ${TOKEN_VERSION} token`;
    }
    return kind[1] === 'g'
      ? `'${shown}' is a schedule token of version ${parts[0]}; this mmu-stress replays ${TOKEN_VERSION} tokens only`
      : `'${shown}' is not a schedule token of this mmu-stress: its tokens are guided sim schedules, '${TOKEN_VERSION}.<seed>...' (a pct, dfs or random finding replays from the flags of its replay line)`;
  }
  if (parts[0] !== TOKEN_VERSION || parts.length < 2 || parts[1] === '') return `not a schedule token (it begins '${TOKEN_VERSION}.<seed>'): '${shown}'`;
  const num = (digits: string): number => (/^[0-9a-z]+$/.test(digits) ? Number.parseInt(digits, 36) : Number.NaN);
  const seed = num(parts[1]);
  if (!Number.isSafeInteger(seed) || seed > MAX_SEED) return `schedule token: bad seed '${parts[1]}' (base 36, 0 to ${MAX_SEED.toString(36)})`;
  const entries: [number, number][] = [];
  const loads: [number, number][] = [];
  let step = 0;
  let load = 0;
  let rare: [string, number][] | null = null;
  // the check, right after the seed, when the token carries one
  const fit = parts.length > 2 ? FIT.exec(parts[2])?.[1] : undefined;
  if (fit === undefined && parts.length > 2 && /^h[0-9a-z]*$/.test(parts[2])) return `schedule token: '${parts[2]}' after the seed is not a check (h and ${FIT_DIGITS} base-36 digits)`;
  const first = fit === undefined ? 2 : 3;
  for (const [k, p] of parts.slice(first).entries()) {
    const at = `schedule token: entry ${k + 1} '${p.length > 20 ? `${p.slice(0, 17)}...` : p}'`;
    if (p === 'r' && rare === null) {
      rare = [];
      continue;
    }
    if (rare !== null) {
      const e = /^([a-z][a-z0-9-]*)\+([0-9a-z]+)$/.exec(p);
      const j = e ? num(e[2]) : Number.NaN;
      if (!e || !Number.isSafeInteger(j)) return `${at} is not <event>+<opportunity> (the rare events follow '.r.')`;
      rare.push([e[1], j]);
      continue;
    }
    const m = /^([0-9a-z]+)([-_])([0-9a-z]+)$/.exec(p);
    if (!m) return `${at} is not <step>-<task> or <load>_<store> (base 36 digits 0-9 a-z)`;
    const delta = num(m[1]);
    const value = num(m[3]);
    if (m[2] === '-') {
      if (loads.length) return `${at} comes after the loads; the steps come first`;
      // each step is counted from the one before; two choices at one step cannot be
      if (entries.length > 0 && delta === 0) return `${at} repeats step ${step}: each entry's step is counted from the one before and must go up`;
      step += delta;
      if (!Number.isSafeInteger(step)) return `${at}: step past ${Number.MAX_SAFE_INTEGER}`;
      if (value >= MAX_TASKS) return `${at} names task ${value}; an execution has at most ${MAX_TASKS} tasks (0..${MAX_TASKS - 1})`;
      entries.push([step, value]);
    } else {
      if (loads.length > 0 && delta === 0) return `${at} repeats load ${load}: each entry's load is counted from the one before and must go up`;
      load += delta;
      if (!Number.isSafeInteger(load)) return `${at}: load past ${Number.MAX_SAFE_INTEGER}`;
      // store 0 is the newest, which a load returns unless the token says otherwise: never written
      if (value === 0 || value > MAX_STORE) return `${at}: store ${value} is not an older store (1..${MAX_STORE})`;
      loads.push([load, value]);
    }
  }
  return { seed, ...(fit !== undefined ? { fit } : {}), entries, ...(loads.length ? { loads } : {}), ...(rare ? { rare } : {}) };
}

/**
 * Does a guide fit the execution it is to replay: its check, when it carries one, is the
 * run's own (`fit`: scheduleFit of this scenario, variant and parameters), every task it
 * names exists there, and its weak loads have a weak memory to choose in. A one-line
 * reason when it does not.
 */
export function guideFits(g: Guide, taskNames: string[], memory: 'sc' | 'weak', fit?: { check: string; scenario: string; variant: string }): string | null {
  const n = taskNames.length;
  if (g.fit !== undefined && fit !== undefined && g.fit !== fit.check) {
    return `the token was recorded on another scenario, variant, set of tasks or parameters: its check h${g.fit} is not h${fit.check}, the check of ${fit.scenario} / ${fit.variant} with tasks ${taskNames.join(', ')} and these parameters (replay it with the --variant and --param of the line that printed it)`;
  }
  const bad = g.entries.findIndex(([, task]) => task >= n);
  if (bad >= 0) {
    const [step, task] = g.entries[bad];
    return `the token's choice ${bad + 1} (scheduling step ${step}) names task ${task}, but this execution has ${n} task${n === 1 ? '' : 's'} (${taskNames.map((t, k) => `${k} ${t}`).join(', ')}); it was recorded with another variant, other parameters or another version of the scenario`;
  }
  if (g.loads?.length && memory !== 'weak') return `the token has ${g.loads.length} weak-load choice${g.loads.length === 1 ? '' : 's'} (its '<load>_<store>' entries): it was recorded under --memory weak; give --memory weak`;
  return null;
}
