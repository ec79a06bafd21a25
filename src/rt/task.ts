/**
 * A task is one role instance (vcpu0, shrinker0, ...). The executor running it sets
 * `current` before every resume, so the sync primitives and oracles can find the
 * task, its held locks and its trace ring without the model passing them around,
 * as `current` does in the kernel.
 */
import seedrandom from 'seedrandom';
import type { Violation } from './violation.js';
import type { TraceRing } from './trace.js';
import type { RareAnswer } from './rare.js';

export const MODE_SPIN = 0;
export const MODE_READ = 1;
export const MODE_WRITE = 2;
export const MODE_MUTEX = 3;
/** Inside srcu_read_lock() .. srcu_read_unlock(): held like a lock, but may sleep. */
export const MODE_SRCU_READ = 4;
/** Blocked in synchronize_srcu(), waiting for the readers that began before it. */
export const MODE_SRCU_SYNC = 5;
/** A percpu rw-semaphore (cpus_read_lock / cpus_write_lock): sleeps, and a waiting writer blocks new readers. */
export const MODE_SEM_READ = 6;
export const MODE_SEM_WRITE = 7;
/** A lockdep map held across a section (fs_reclaim): never blocks, may sleep. */
export const MODE_MAP = 8;
/** Asleep in wait_event() until a wake_up(). */
export const MODE_WAIT = 9;
export const MODE_NAMES = ['spin', 'read', 'write', 'mutex', 'srcu read', 'synchronize', 'down_read', 'down_write', 'map', 'wait'];

export interface HeldLock {
  lock: number;
  mode: number;
  step: number;
  /** The model function that took it, where the caller says (lockdep's acquisition site). */
  site?: string;
  /** Taken with a trylock: lockdep adds no edge into it, and looks past it for the next edge's source. */
  trylock?: boolean;
  /** Taken by a read_lock() that lockdep sees as a recursive read (an rwlock made with `recursiveRead`). */
  recursive?: boolean;
}

/** What the executor provides to the primitives. */
export interface ExecHooks {
  /** Clock for wait statistics: scheduled steps in sim, microseconds in threads. */
  readonly clockUnit: 'steps' | 'us';
  clock(): number;
  /** Lock `lock` (first word `word`) was released: let the tasks blocked on it try again. */
  wake(lock: number, word: number): void;
  /** An oracle found a violation; the first one of an execution wins. */
  report(v: Violation): void;
  /** A task made a progress mark (sim keeps the step of the last one). */
  progressed?(): void;
  /** Answers rt/rare.ts's seam (sim with forced placement, or a token's placements); absent: the task's own coin. */
  rare?: RareAnswer;
  /**
   * threads, recording for a replay in sim (exec/sync-record.ts): an unlock frees its
   * lock's words only once the running step has ended, by calling `free` then. Absent
   * otherwise: the unlock frees at once.
   */
  freeAtStepEnd?(free: () => void): void;
}

export type Rng = seedrandom.PRNG;

/**
 * Spin-wait detection (CHESS's rule): how many words a task's spin loop may read in
 * turn (`while (!READ_ONCE(a) && !READ_ONCE(b))`) and still be seen re-reading them.
 */
export const SPIN_WORDS = 4;
/** Task.readKind after a step: no load (0), a load of a word new to the set or changed since (READ_NEW), a re-read of an unchanged word (READ_AGAIN). */
export const READ_NEW = 1;
export const READ_AGAIN = 2;

/**
 * The last STORE_LOG marked stores (WRITE_ONCE, smp_store_release, cmpxchg, a plain
 * store the model names), while an executor keeps them (sim): a ring of word, task and
 * the task's last trace step, three typed-array writes a store. Only a spin-wait
 * livelock report reads it, to say who last stored to the words spun on.
 */
export const STORE_LOG = 1 << 16;
export class StoreLog {
  readonly word = new Int32Array(STORE_LOG);
  readonly task = new Int32Array(STORE_LOG);
  readonly step = new Float64Array(STORE_LOG);
  n = 0;

  note(idx: number, t: Task): void {
    const at = this.n++ & (STORE_LOG - 1);
    this.word[at] = idx;
    this.task[at] = t.id;
    this.step[at] = t.lastStep;
  }

  /** The last store to word `idx` still in the ring, or null. */
  last(idx: number): { task: number; step: number } | null {
    for (let k = this.n - 1; k >= 0 && k >= this.n - STORE_LOG; k--) {
      const at = k & (STORE_LOG - 1);
      if (this.word[at] === idx) return { task: this.task[at], step: this.step[at] };
    }
    return null;
  }
}

export let storeLog: StoreLog | null = null;

export function setStoreLog(log: StoreLog | null): void {
  storeLog = log;
}

/** One generator per role instance, derived from the execution seed and never shared. */
export function taskRng(seed: number, name: string): Rng {
  return seedrandom.alea(`${seed}:${name}`, { state: true });
}

export class Task {
  readonly held: HeldLock[] = [];
  readonly stats: Record<string, number> = Object.create(null);
  /** Step of the last op this task recorded. */
  lastStep = 0;
  /** The lock whose lockdep dependencies this task recorded when it first blocked on it (-1: none). */
  lockdepRecorded = -1;
  private marks = 0;
  /**
   * Spin-wait detection: the words (and the values seen) this task has loaded with
   * READ_ONCE / smp_load_acquire since it last did anything else; `readKind` says what
   * the load of the step that is running did (READ_NEW, READ_AGAIN). The executor
   * clears the set after a step without a load and `readKind` after every step.
   */
  spinN = 0;
  // small arrays, not typed ones: a Task is made per task per execution, and a typed array costs more to make
  readonly spinWords: number[] = [0, 0, 0, 0];
  readonly spinValues: number[] = [0, 0, 0, 0];
  readKind = 0;
  /** The lock, unlock and READ_ONCE/WRITE_ONCE ops (rt/op.ts, OpMachine) this task made, those it ran under `yield*`, and those it ran again. */
  opsMade = 0;
  opsRun = 0;
  opsRerun = 0;
  private rngMade: Rng | undefined = undefined;

  constructor(
    readonly id: number,
    readonly role: string,
    readonly index: number,
    readonly name: string,
    /** Makes the task's rng: only at its first use, since most roles draw nothing and seeding costs. */
    private readonly makeRng: () => Rng,
    readonly ring: TraceRing,
    readonly hooks: ExecHooks,
    /** Where this task publishes its progress marks, for the threads watchdog: [i32, word]. */
    private readonly progressWord: { i32: Int32Array; word: number } | null = null,
  ) {}

  /**
   * A progress mark: the role finished a unit of work the scenario counts as progress
   * (ScenarioDef.progress), e.g. a fault that returned. An execution whose tasks keep
   * taking steps without any progress mark for a whole window is a livelock.
   */
  progress(): void {
    this.marks++;
    if (this.progressWord) Atomics.store(this.progressWord.i32, this.progressWord.word, this.marks);
    this.hooks.progressed?.();
  }

  /**
   * A READ_ONCE / smp_load_acquire of word `idx` returned `v`. A word already in the set
   * with the same value is a re-read nobody has written in between (as far as values
   * show): the step is a spin, a wait for others (READ_AGAIN). A changed value means
   * someone wrote it: the set starts over from this load.
   */
  noteRead(idx: number, v: number): void {
    const n = this.spinN;
    const words = this.spinWords;
    for (let j = 0; j < n; j++) {
      if (words[j] !== idx) continue;
      if (this.spinValues[j] === v) {
        this.readKind = READ_AGAIN;
        return;
      }
      this.spinN = 0;
      break;
    }
    const at = this.spinN < SPIN_WORDS ? this.spinN : 0;
    words[at] = idx;
    this.spinValues[at] = v;
    this.spinN = at + 1;
    this.readKind = READ_NEW;
  }

  /** The task's own random numbers, derived from the execution seed and never shared. */
  get rng(): Rng {
    this.rngMade ??= this.makeRng();
    return this.rngMade;
  }

  trace(op: number, a: number, b: number): number {
    this.lastStep = this.ring.record(op, a, b);
    return this.lastStep;
  }

  count(stat: string, by = 1): void {
    this.stats[stat] = (this.stats[stat] ?? 0) + by;
  }

  max(stat: string, v: number): void {
    if (v > (this.stats[stat] ?? Number.NEGATIVE_INFINITY)) this.stats[stat] = v;
  }
}

/** The task whose generator is running now. */
export let current: Task = undefined as unknown as Task;

/** `undefined`: no task runs (the scenario's setup() and check()). */
export function setCurrent(t: Task | undefined): void {
  current = t as Task;
}
