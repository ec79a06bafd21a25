/**
 * Worker-thread side of the threads executor: rebuild the execution's frame from the
 * shared buffer and its layout, wait until every role instance has arrived, then
 * drive this instance's generator. Whatever happens comes back as a RoleResult:
 * a thrown error is a result too, never a lost worker.
 */
import { setNames, type Violation } from '../check/violation.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { importScenario } from '../scenarios.js';
import { Arena, type Layout } from '../shm/arena.js';
import { type DriveOptions, drive } from './drive.js';
import { heldAtExit } from './finish.js';
import { buildFrame, CTL_ARRIVED, CTL_STOP, STOP_ERROR, STOP_VIOLATION } from './frame.js';
import { type ExecHooks, setCurrent, Task, taskRng } from './task.js';
import { NOTIFIES, STATE, WAITERS } from '../sync/lock-word.js';

export interface RoleTask {
  buffer: SharedArrayBuffer;
  layout: Layout;
  file: string;
  variant: string;
  params: Params;
  instance: number;
  seed: number;
  drive: DriveOptions;
  /** How long to wait for the other role instances to start. */
  startTimeoutMs: number;
}

export interface RoleResult {
  instance: number;
  stats: Record<string, number>;
  violation: Violation | null;
  end: 'done' | 'stopped' | 'error';
  error: string | null;
}

const scenarios = new Map<string, Promise<ScenarioDef<unknown>>>();

function waitForAll(i32: Int32Array, word: number, n: number, timeoutMs: number): boolean {
  if (Atomics.add(i32, word, 1) + 1 === n) {
    Atomics.notify(i32, word);
    return true;
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(i32, word);
    if (v >= n) return true;
    if (performance.now() > deadline) return false;
    Atomics.wait(i32, word, v, 5);
  }
}

export default async function runRole(job: RoleTask): Promise<RoleResult> {
  const i32 = new Int32Array(job.buffer);
  let found: Violation | null = null;
  let ctl = -1;
  try {
    let s = scenarios.get(job.file);
    if (!s) {
      s = importScenario(job.file);
      scenarios.set(job.file, s);
    }
    const def = await s;
    const frame = buildFrame(Arena.attach(job.buffer, job.layout), def, job.params, job.variant);
    ctl = frame.ctl;
    setNames(frame.arena.names);
    const inst = frame.instances[job.instance];
    const hooks: ExecHooks = {
      clockUnit: 'us',
      clock: () => performance.now() * 1000,
      wake(_lock, word) {
        if (Atomics.load(i32, word + WAITERS) > 0) {
          Atomics.add(i32, word + NOTIFIES, 1);
          Atomics.notify(i32, word + STATE);
        }
      },
      report(v) {
        if (Atomics.compareExchange(i32, ctl + CTL_STOP, 0, STOP_VIOLATION) === 0) found = v;
      },
    };
    const task = new Task(inst.id, inst.role, inst.index, inst.name, taskRng(job.seed, inst.name), frame.rings[inst.id], hooks);
    setCurrent(task);
    if (!waitForAll(i32, ctl + CTL_ARRIVED, frame.instances.length, job.startTimeoutMs)) {
      throw new Error(`not every role instance started within ${job.startTimeoutMs} ms (is the pool smaller than ${frame.instances.length} threads?)`);
    }
    const gen = def.roles[inst.role].run(frame.world, task, job.params, job.variant);
    const end = drive(gen, task, i32, ctl, frame.blocked + inst.id, job.drive, taskRng(job.seed, `${inst.name}:jitter`));
    if (end === 'done') {
      const v = heldAtExit(task);
      if (v) hooks.report(v);
    }
    return { instance: job.instance, stats: task.stats, violation: found, end, error: null };
  } catch (e) {
    if (ctl >= 0) Atomics.compareExchange(i32, ctl + CTL_STOP, 0, STOP_ERROR);
    const err = e as Error;
    return { instance: job.instance, stats: {}, violation: found, end: 'error', error: err?.stack ?? String(e) };
  }
}
