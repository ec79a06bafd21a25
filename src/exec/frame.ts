/**
 * The frame of one execution in the arena: control words, per-task "blocked on"
 * words and trace rings, then the scenario's own model. Built identically in the
 * main thread and in every worker.
 */
import type { Op } from '../rt/op.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { Arena, type Layout } from '../shm/arena.js';
import { ScenarioThrow, scenarioCall, scenarioValueFailure, thrownBy } from '../rt/errors.js';
import { roleCountProblem } from '../rt/scenario-values.js';
import { type ExecHooks, SPIN_WORDS, Task, taskRng } from '../rt/task.js';
import { TraceRing } from '../rt/trace.js';

// Each control word sits on its own 64-byte cache line: every op bumps CTL_SEQ and
// reads CTL_STOP, and sharing a line would make every thread's read miss.
export const CTL_SEQ = 0; // global trace sequence number
export const CTL_STOP = 16; // why the execution must stop (STOP_*), 0 while running
export const CTL_ARRIVED = 32; // start barrier for worker threads
export const CTL_SLEEP = 48; // never notified: a word to sleep on for jitter
export const CTL_OUTSIDE = 49; // threads: bit k set while task k's worker runs the timers its role started, after the role (workers/role-worker.mjs)
export const CTL_TICKET = 64; // threads: one ticket per step, in the order the steps began
const CTL_WORDS = 80;

/** Why an execution must stop (the value of CTL_STOP). */
export const STOP_VIOLATION = 1;
export const STOP_WATCHDOG = 2;
export const STOP_ERROR = 3;
/** Harness limits: the execution stops without a verdict (an incomplete execution). */
export const STOP_EXECUTION_LIMIT = 4;
export const STOP_DEADLINE = 5;
export const STOP_SIGNAL = 6;

/**
 * A task's spin slot (threads): SPIN_STATE is nonzero while the task spin-waits (a new
 * number each time it begins), SPIN_STEPS counts its spinning steps, then the words it
 * re-reads (SPIN_SET) and the values it sees (SPIN_SET + SPIN_WORDS), written when it
 * begins to spin. The worker writes them only then and while it spins, so a step costs
 * nothing more; the watchdog reads them.
 */
export const SPIN_STATE = 0;
export const SPIN_STEPS = 1;
export const SPIN_SET = 2;
export const SPIN_SLOT = SPIN_SET + 2 * SPIN_WORDS;

/** The most tasks an execution may have (rwlock reader masks are one Int32). */
export const MAX_TASKS = 30;

export interface Instance {
  id: number;
  role: string;
  index: number;
  name: string;
}

export interface Frame<W> {
  arena: Arena;
  world: W;
  instances: Instance[];
  ctl: number;
  /** blocked[id]: lock id + 1 the task is waiting on in threads mode, 0 if none. */
  blocked: number;
  /** progress[id]: how many progress marks the task has made (Task.progress). */
  progress: number;
  /** spin + id * SPIN_SLOT: the task's spin slot (threads). */
  spin: number;
  rings: TraceRing[];
  /** The first word of the scenario's own model: below it, the harness's control words and trace rings. */
  modelBase: number;
}

/**
 * The role instances of an execution. Every count is read here, and a count that is not a
 * whole number >= 0, or no instance at all, is the scenario's error: a loop over undefined,
 * NaN or -1 instances would run no task, and an execution with no task is "clean". A
 * loaded scenario's count() says so first, with its line (load/guard-callbacks.ts); this is
 * the check for a definition that did not come through the loader.
 */
export function instancesOf(s: ScenarioDef<unknown>, p: Params, variant: string): Instance[] {
  const out: Instance[] = [];
  for (const [role, def] of Object.entries(s.roles)) {
    const n = def.count(p, variant);
    const bad = roleCountProblem(n);
    if (bad) throw scenarioValueFailure({ where: 'count', how: 'bad-value', role, thrown: bad, stack: '' }, `scenario error: role '${role}' count() of scenario '${s.name}' ${bad}`);
    for (let index = 0; index < n; index++) out.push({ id: out.length, role, index, name: def.name?.(index, p) ?? `${role}${index}` });
  }
  if (out.length === 0) {
    // one role a parameter turns off is fine; all of them leaves nothing to run
    const counts = Object.keys(s.roles).map((role) => `${role}: 0`);
    const thrown = `no role instance to run: every role's count() returned 0 (${counts.join(', ')}) for variant '${variant}' with params ${JSON.stringify(p)}`;
    throw scenarioValueFailure({ where: 'count', how: 'bad-value', thrown, stack: '' }, `scenario error: scenario '${s.name}' has ${thrown}`);
  }
  return out;
}

export function buildFrame<W>(arena: Arena, s: ScenarioDef<W>, p: Params, variant: string): Frame<W> {
  const instances = instancesOf(s as ScenarioDef<unknown>, p, variant);
  // Reader masks and lock owners hold task ids in one Int32 word.
  if (instances.length > MAX_TASKS) throw new Error(`${s.name}: ${instances.length} role instances; at most ${MAX_TASKS}`);
  const ctl = arena.region('ctl', CTL_WORDS);
  const blocked = arena.region('blocked', instances.length);
  const progress = arena.region('progress', instances.length);
  const spin = arena.region('spin', instances.length * SPIN_SLOT);
  const rings = instances.map((i) => new TraceRing(arena.i32, TraceRing.layout(arena, i.name), ctl + CTL_SEQ));
  arena.names.tasks = instances.map((i) => i.name);
  const modelBase = arena.used;
  const world = scenarioCall('setup', () => s.setup(arena, p, variant));
  return { arena, world, instances, ctl, blocked, progress, spin, rings, modelBase };
}

/** The task of role instance `inst` in this execution, with its rng derived from the execution seed. */
export function frameTask<W>(frame: Frame<W>, inst: Instance, seed: number, hooks: ExecHooks): Task {
  const progress = { i32: frame.arena.i32, word: frame.progress + inst.id };
  return new Task(inst.id, inst.role, inst.index, inst.name, () => taskRng(seed, inst.name), frame.rings[inst.id], hooks, progress);
}

/** Progress marks made so far by every task of the execution. */
export function progressMarks<W>(frame: Frame<W>): number {
  let sum = 0;
  for (let k = 0; k < frame.instances.length; k++) sum += Atomics.load(frame.arena.i32, frame.progress + k);
  return sum;
}

const layouts = new Map<string, Layout>();

/** The layout for (scenario, params, variant), measured once and then reused. */
export function layoutFor(s: ScenarioDef<unknown>, p: Params, variant: string): Layout {
  const key = `${s.name}\0${variant}\0${JSON.stringify(p)}`;
  let l = layouts.get(key);
  if (!l) {
    const a = Arena.measure();
    buildFrame(a, s, p, variant);
    l = a.layout();
    layouts.set(key, l);
  }
  return l;
}

/** A fresh, initialised arena and frame for one execution; in `spare`, when it is a buffer of the right size no one else uses. */
export function newFrame<W>(s: ScenarioDef<W>, p: Params, variant: string, spare?: SharedArrayBuffer): { frame: Frame<W>; layout: Layout } {
  const layout = layoutFor(s as ScenarioDef<unknown>, p, variant);
  const arena = spare?.byteLength === layout.words * 4 ? Arena.reuse(spare) : Arena.create(layout.words);
  const frame = buildFrame(arena, s, p, variant);
  return { frame, layout };
}

/**
 * A role instance's code, started as `yield*` would start it (its iterator asked for once:
 * a run() that returns an op rather than a generator of its own runs that op, counted as
 * run). A run() that returns no iterator at all (written without its `*`) is the
 * scenario's error, said plainly, in both executors.
 */
export function startRole(made: unknown, task: Task): Op {
  const iterator = (made as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator];
  if (typeof iterator !== 'function') {
    const what = made === null ? 'null' : typeof made;
    throw new ScenarioThrow(thrownBy(new TypeError(`run() returned ${what}, not a generator: write it as *run(world, self, params, variant) { ... }`), 'role', task));
  }
  return iterator.call(made) as Op;
}
