/**
 * Worker-thread side of the threads executor: rebuild the execution's frame from the
 * shared buffer and its layout, wait until every role instance has arrived, then
 * drive this instance's generator. Whatever happens comes back as a RoleResult:
 * a thrown error is a result too, never a lost worker.
 */
import { type Dep, LockGraph } from '../sync/lockdep-graph.js';
import { setNames } from '../rt/names.js';
import type { Violation } from '../rt/violation.js';
import { setLockGraph } from '../sync/lockdep.js';
import type { Params, ScenarioDef } from '../scenario.js';
import { Arena, type Layout } from '../shm/arena.js';
import { NOTIFIES, STATE, WAITERS } from '../sync/lock-word.js';
import { type DriveOptions, drive, StepTickets } from './drive.js';
import { RecordingMemory, type SyncEvents } from './sync-record.js';
import { heldAtExit } from './finish.js';
import { isLimit, unrunOpsError } from './limits.js';
import { type ScenarioError, ScenarioThrow } from '../rt/errors.js';
import { buildFrame, CTL_ARRIVED, CTL_STOP, frameTask, SPIN_SLOT, STOP_ERROR, STOP_VIOLATION, startRole } from './frame.js';
import { type ExecHooks, setCurrent, taskRng } from '../rt/task.js';
import { ATOMICS, setShared } from '../rt/shared.js';
import type { KeptThrow } from './threads-drain.js';

export interface RoleTask {
  /** URL of the worker bundle holding this scenario (see bundle.ts). */
  bundle: string;
  buffer: SharedArrayBuffer;
  layout: Layout;
  variant: string;
  params: Params;
  instance: number;
  seed: number;
  drive: DriveOptions;
  /** How long to wait for the other role instances to start. */
  startTimeoutMs: number;
  /** false: lockdep records but reports nothing (the run's graph judges cycles either way). */
  lockdep: boolean;
  /** With drive.recordSteps: the version slots this task records its word events against (sync-record.ts). */
  versions?: SharedArrayBuffer;
  /** The run this execution belongs to (ThreadsExecutor's count): what a throw of a timer or promise the role started is told apart by. */
  run: number;
  /** The control word (frame.ts CTL_OUTSIDE) whose bit `instance` the worker sets while it runs the timers the role left (workers/role-worker.mjs). */
  outsideWord: number;
}

export interface RoleResult {
  instance: number;
  stats: Record<string, number>;
  violation: Violation | null;
  /** Lockdep dependencies this task added, for the run's graph (the main thread judges cycles). */
  deps: Dep[];
  end: 'done' | 'stopped' | 'error';
  /** The harness failed in this worker (its stack). */
  error: string | null;
  /** The scenario's own code threw here (its setup() or this role). */
  scenarioError?: ScenarioError;
  /** The tickets of this task's steps (see StepTickets): a finding is replayed in sim from them. */
  tickets?: Int32Array;
  /** This task's word events (see sync-record.ts), for the replay; absent when not kept. */
  sync?: SyncEvents;
  /**
   * Throws from timers or promises a role on this worker started, met after this role or
   * since the worker's last one (workers/role-worker.mjs): each with the run of the role that
   * started what threw (ThreadsExecutor names this run's as the execution's).
   */
  outside?: KeptThrow[];
}

/** The start barrier: 'go' once every role instance has arrived, 'stopped' if the execution is stopped first. */
function waitForAll(i32: Int32Array, ctl: number, n: number, timeoutMs: number): 'go' | 'stopped' | 'timed-out' {
  const word = ctl + CTL_ARRIVED;
  if (Atomics.add(i32, word, 1) + 1 === n) {
    Atomics.notify(i32, word);
    return 'go';
  }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(i32, word);
    if (v >= n) return 'go';
    if (Atomics.load(i32, ctl + CTL_STOP) !== 0) return 'stopped';
    if (performance.now() > deadline) return 'timed-out';
    Atomics.wait(i32, word, v, 5);
  }
}

export function runRole(def: ScenarioDef<unknown>, job: RoleTask): RoleResult {
  const i32 = new Int32Array(job.buffer);
  let found: Violation | null = null;
  let ctl = -1;
  const graph = new LockGraph(job.seed, 'collect', job.lockdep);
  setLockGraph(graph);
  try {
    const frame = buildFrame(Arena.attach(job.buffer, job.layout), def, job.params, job.variant);
    ctl = frame.ctl;
    setNames(frame.arena.names);
    const inst = frame.instances[job.instance];
    const recording = job.drive.recordSteps && job.versions !== undefined;
    // recording: an unlock frees its lock once the releasing step has ended (lock-word.ts)
    const frees: (() => void)[] = [];
    const stepEnded = () => {
      for (let k = 0; k < frees.length; k++) frees[k]();
      frees.length = 0;
    };
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
        // The first violation stops the execution; one found after a harness limit asked to stop is still kept.
        const before = Atomics.compareExchange(i32, ctl + CTL_STOP, 0, STOP_VIOLATION);
        if (before === 0 || (isLimit(before) && found === null)) found = v;
      },
      ...(recording ? { freeAtStepEnd: (free: () => void) => frees.push(free) } : {}),
    };
    const task = frameTask(frame, inst, job.seed, hooks);
    setCurrent(task);
    const tickets = job.drive.recordSteps ? new StepTickets() : undefined;
    // the threads' memory is the machine's: plain Atomics, each access recorded when a finding is to be replayed
    const memory = tickets && recording ? new RecordingMemory(job.versions as SharedArrayBuffer, tickets) : null;
    setShared(memory ?? ATOMICS);
    const start = waitForAll(i32, ctl, frame.instances.length, job.startTimeoutMs);
    if (start === 'stopped') return { instance: job.instance, stats: task.stats, violation: null, deps: graph.take(), end: 'stopped', error: null };
    if (start === 'timed-out') {
      throw new Error(`not every role instance started within ${job.startTimeoutMs} ms (is the pool smaller than ${frame.instances.length} threads?)`);
    }
    // run as yield* would: a role whose run() returns an op (not a generator of its own) runs it once, counted
    const gen = startRole(def.roles[inst.role].run(frame.world, task, job.params, job.variant), task);
    const end = drive(gen, task, i32, ctl, frame.blocked + inst.id, job.drive, taskRng(job.seed, `${inst.name}:jitter`), tickets, frame.spin + inst.id * SPIN_SLOT, recording ? stepEnded : undefined);
    if (end === 'done') {
      // an op called without yield* did nothing: the execution ran another program than the one written
      const unrun = unrunOpsError(task);
      if (unrun) throw new ScenarioThrow(unrun);
      const v = heldAtExit(task);
      if (v) hooks.report(v);
      task.progress(); // a role that ends has made progress
    }
    // always sent: a lock-order cycle is judged on the main thread, after every role has returned
    return { instance: job.instance, stats: task.stats, violation: found, deps: graph.take(), end, error: null, tickets: tickets?.take() ?? undefined, sync: memory?.take() ?? undefined };
  } catch (e) {
    if (ctl >= 0) Atomics.compareExchange(i32, ctl + CTL_STOP, 0, STOP_ERROR);
    if (e instanceof ScenarioThrow) return { instance: job.instance, stats: {}, violation: found, deps: [], end: 'error', error: null, scenarioError: e.error };
    const err = e as Error;
    return { instance: job.instance, stats: {}, violation: found, deps: [], end: 'error', error: err?.stack ?? String(e) };
  }
}
