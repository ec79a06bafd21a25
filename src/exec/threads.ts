/**
 * The threads executor: every role instance of an execution runs in its own worker
 * thread of one reused piscina pool, over the execution's SharedArrayBuffer, with
 * real Atomics. A watchdog in this (main) thread looks for wait-for cycles, starved
 * and livelocked tasks, and ends an execution at the run's limits (time budget,
 * execution limit, a signal) as an incomplete one.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { type Dep, knownCycleLines, type LockGraph, mergeDeps, newLockGraph } from '../sync/lockdep-graph.js';
import { setNames } from '../rt/names.js';
import type { Violation } from '../rt/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { PACKAGE_ROOT } from '../paths.js';
import { workerBundle } from '../load/bundle.js';
import { THREADS_DEFAULTS, type ThreadsOptions } from './drive.js';
import { syncVersions } from './sync-record.js';
import { closeExecution, lastStep } from './finish.js';
import { CTL_ARRIVED, CTL_OUTSIDE, CTL_STOP, instancesOf, newFrame, STOP_DEADLINE, STOP_SIGNAL, STOP_WATCHDOG } from './frame.js';
import { isLimit, LIMIT_DEFAULTS, limitOf, noOpBoundary, noOpBoundaryError, type RunLimits, STOP_GRACE_MS, stopReason } from './limits.js';
import { addStats, type ExecutionResult } from './result.js';
import { type ScenarioError, ScenarioThrow } from '../rt/errors.js';
import { lateOutsideScheduleStuck, lateOutsideScheduleThrow, locateScenarioError, outsideScheduleError, outsideScheduleStuck, sourceStack } from '../load/stack.js';
import { drainPool, type KeptThrow } from './threads-drain.js';
import { LateErrors } from './late-errors.js';
import { Watchdog, type WatchdogFinding } from './watchdog.js';
import type { RoleResult, RoleTask } from './worker.js';
import type { RunConfig } from './config.js';
import type { Executor, ExecutorEnd, ExecutorHooks } from './executor.js';
import { type Reproduction, reproduceInSim, unrecorded } from './reproduce.js';
import { warmPool } from './warm-up.js';

const WORKER = join(PACKAGE_ROOT, 'workers', 'role-worker.mjs');

export { THREADS_DEFAULTS, type ThreadsOptions } from './drive.js';

/**
 * Retries of a taken lock before a futex wait when there are more role threads than
 * cores: the holder may be waiting for a core, so a long spin only delays it, but a
 * short one still catches most hand-offs without a sleep. Measured on 2 cores with
 * bench/vcpus.ts (16 vCPUs): 20 retries 0.34x the 2-vCPU rate, 50-200 0.41-0.43x,
 * 1000 (the default when threads <= cores) 0.31x.
 */
const OVERSUBSCRIBED_SPINS = 100;

/** How long every role instance has to start (load its bundle) on a new pool. */
const START_TIMEOUT_MS = 30_000;
export const WATCHDOG_TICK_MS = 100;

export class ThreadsExecutor implements Executor {
  readonly mode = 'threads';
  private pool: Piscina | null = null;
  /** The word-version slots of executions that record for a replay (sync-record.ts): one buffer, zeroed per execution. */
  private versions: SharedArrayBuffer | null = null;
  private threads = 0;
  private readonly cores = availableParallelism();
  /** Runs so far on this executor (RoleTask.run), each one's scenario file, and the one running. */
  private runs = 0;
  private readonly runFiles = new Map<number, string>();
  private running = 0;
  /**
   * Roles have run on the pool since its last drain: what they left (a timer, a promise that
   * rejected with nothing to catch it: a role's worker meets a rejection only in a turn of its
   * event loop, which a role without timers does not take) is drained before another run
   * takes the pool, so that it is said as its own run's, never met in the next run's roles.
   */
  private used = false;
  /** The signal of the run in hand (RunLimits.abort): it ends a drain at once. */
  private abort: AbortSignal | undefined;
  /** What the scenario's timers and promises threw, or ran without returning, after their run had ended. */
  private readonly late = new LateErrors();
  get lateErrors(): readonly ScenarioError[] {
    return this.late.list;
  }

  /** One pool for every execution; grown (never shrunk) when an execution needs more threads. */
  private async poolFor(n: number): Promise<Piscina> {
    if (this.pool && this.threads >= n) return this.pool;
    await this.pool?.destroy();
    this.threads = Math.max(n, this.threads);
    // execArgv: [] keeps a parent's loader (tsx, vitest) out of the workers: they load compiled bundles.
    this.pool = new Piscina({ filename: WORKER, minThreads: this.threads, maxThreads: this.threads, idleTimeout: Number.POSITIVE_INFINITY, execArgv: [] });
    return this.pool;
  }

  /**
   * Ends the pool, once what the scenario's code left on its workers has run (drain): a throw
   * there is said as the scenario's, after its run had ended (lateErrors).
   */
  async close(): Promise<void> {
    await this.drain();
    await this.teardown();
  }

  /** Ends the pool at once: after a failure, with workers that may be stuck. */
  private async teardown(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    this.threads = 0;
    await p?.destroy();
  }

  /** Lets the pool's workers run the timers and promises the scenario's roles left, and names what they threw (threads-drain.ts). */
  private async drain(): Promise<void> {
    this.used = false;
    if (!this.pool) return;
    const d = await drainPool(this.pool, this.threads, STOP_GRACE_MS, this.abort);
    for (const k of d.kept) this.lateThrow(k);
    // interrupted: nothing more is waited for, and what did not come back is not named
    if (d.aborted) return await this.teardown();
    // timers not yet due would run in the next run's roles, and be taken for its own: the
    // workers go with them, so they never run (as a sim worker retired with timers pending)
    if (d.stuckMs === null && d.timersLeft) await this.teardown();
    if (d.stuckMs !== null) {
      // the last run's scenario, as lateThrow names one with no run of its own
      const { error, scenarioError } = lateOutsideScheduleStuck(d.stuckMs, this.runFiles.get(this.running) ?? null);
      this.late.say(error, scenarioError);
      await this.teardown();
    }
  }

  /**
   * A throw a worker kept from the scenario's timers or promises that belongs to no execution
   * of the run in hand: said late (LateErrors), the scenario's named so with its line
   * (lateOutsideScheduleThrow), any other as thrown.
   */
  private lateThrow(k: KeptThrow): void {
    const file = (k.run !== null ? this.runFiles.get(k.run) : undefined) ?? this.runFiles.get(this.running);
    const located = file !== undefined ? lateOutsideScheduleThrow(k.stack, file) : null;
    const error = located?.error ?? Object.assign(new Error(k.stack.split('\n')[0]), { stack: k.stack });
    // each execution of a role that starts a timer adds one: said once per place and run
    this.late.say(error, located?.scenarioError ?? null, `${k.run}\n${k.stack}`);
  }

  /**
   * What a role's worker met from timers and promises (RoleResult.outside): one of this run's,
   * from the scenario's code, is the execution's scenario error, as in sim; any other is said
   * after its run (lateThrow).
   */
  private outsideMet(r: RoleResult, sc: LoadedScenario): void {
    for (const k of r.outside ?? []) {
      const own = k.run === this.running ? outsideScheduleError(k.stack) : null;
      if (own) r.scenarioError ??= locateScenarioError(own, sc.file);
      else this.lateThrow(k);
    }
  }

  /**
   * The pool ready for `config`'s executions before they are timed: as many threads as an
   * execution's role instances (or the pool's own size, if larger), each one holding the
   * scenario's bundle. A warm-up that does not end ready tears the pool down (nothing of it
   * runs on) and gives what ends the run: a worker that failed loading the bundle is the
   * harness's error, as in an execution; the deadline is an incomplete run.
   */
  async warm(config: RunConfig, sc: LoadedScenario, limits: RunLimits): Promise<ExecutionResult | null> {
    this.abort = limits.abort;
    if (this.used) await this.drain(); // an earlier run's, said as its own, before this run's roles start
    let n: number;
    try {
      n = instancesOf(sc.def, config.params, config.variant).length;
    } catch {
      return null; // the scenario's count() is wrong: the first execution reports it, as without a warm-up
    }
    const bundle = await workerBundle(sc.file);
    const pool = await this.poolFor(n);
    const size = this.threads;
    const w = await warmPool(pool, size, bundle, limits, START_TIMEOUT_MS);
    if (w.end === 'ready') return null;
    if (w.unsettled || w.end === 'failed') await this.teardown();
    const seed = config.seed;
    switch (w.end) {
      case 'interrupted':
        return null;
      case 'failed':
        return { seed, violation: null, stats: {}, steps: 0, harnessError: w.errors.join('\n') };
      case 'deadline':
        return { seed, violation: null, stats: {}, steps: 0, incomplete: { limit: 'time', note: `the worker threads were still starting (${w.loaded} of ${size} ready)` } };
      case 'timed-out':
        return { seed, violation: null, stats: {}, steps: 0, harnessError: `not every worker thread loaded the scenario within ${w.timeoutMs} ms (${w.loaded} of ${size} ready): they were terminated` };
    }
  }

  /**
   * A run's executions, one after another with seeds N, N+1, ..., while the run wants
   * another; lockdep's graph spans them. A finding is replayed in sim (unless the
   * configuration says not to), from the order its steps began in.
   */
  async run(config: RunConfig, sc: LoadedScenario, hooks: ExecutorHooks): Promise<ExecutorEnd> {
    this.abort = hooks.limits.abort;
    if (this.used) await this.drain(); // an earlier run's, said as its own, before this run's roles start
    this.running = ++this.runs;
    this.runFiles.set(this.running, sc.file);
    const lockGraph = newLockGraph(sc.def, config.seed, 'report', config.lockdep, config.variant);
    // every step takes a ticket so that a finding can be replayed in sim, unless it will not be
    const base = hooks.threadsOptions ?? THREADS_DEFAULTS;
    const drive = { ...base.drive, jitter: { ...base.drive.jitter, prob: config.jitter }, recordSteps: base.drive.recordSteps && config.reproduce };
    const options = { ...base, drive };
    let reproduced: Reproduction | undefined;
    for (let seed = config.seed; hooks.another(); seed++) {
      const r = await this.execute(sc, config.params, config.variant, seed, options, hooks.limits, lockGraph);
      hooks.take(r);
      if (r.violation && config.reproduce) {
        reproduced = r.order ? await reproduceInSim(sc, config, { ...r, order: r.order }, { ...hooks.limits, until: null }) : unrecorded();
      }
    }
    return { harnessError: null, lockdep: lockGraph.all(), exhausted: false, ...(reproduced ? { reproduced } : {}) };
  }

  async execute(
    sc: LoadedScenario,
    p: Params,
    variant: string,
    seed: number,
    opts: ThreadsOptions = THREADS_DEFAULTS,
    limits: RunLimits = LIMIT_DEFAULTS,
    /** Lockdep's graph of the run (default: a fresh one for this execution). */
    lockGraph: LockGraph = newLockGraph(sc.def, seed, 'report', true, variant),
  ): Promise<ExecutionResult> {
    try {
      const r = await this.executeOnce(sc, p, variant, seed, opts, limits, lockGraph);
      if (r.scenarioError) r.scenarioError = locateScenarioError(r.scenarioError, sc.file);
      return r;
    } catch (e) {
      // the scenario's setup() (laying out the execution here) or check() (closing it) threw
      if (e instanceof ScenarioThrow) return { seed, violation: null, stats: {}, steps: 0, scenarioError: locateScenarioError(e.error, sc.file) };
      throw e;
    }
  }

  private async executeOnce(
    sc: LoadedScenario,
    p: Params,
    variant: string,
    seed: number,
    opts: ThreadsOptions,
    limits: RunLimits,
    lockGraph: LockGraph,
  ): Promise<ExecutionResult> {
    const s = sc.def;
    const bundle = await workerBundle(sc.file);
    const { frame, layout } = newFrame(s, p, variant);
    const names = frame.arena.names;
    setNames(names);
    const i32 = frame.arena.i32;
    const n = frame.instances.length;
    const pool = await this.poolFor(n);
    const drive = n <= this.cores ? opts.drive : { ...opts.drive, spinsBeforeWait: Math.min(opts.drive.spinsBeforeWait, OVERSUBSCRIBED_SPINS) };
    // recording for a replay: the versions every task's word events are numbered by
    const versions = drive.recordSteps ? syncVersions(this.versions) : undefined;
    if (versions) this.versions = versions;
    this.used = true;
    const jobs = frame.instances.map((inst) => {
      const job: RoleTask = {
        bundle,
        buffer: frame.arena.buffer as SharedArrayBuffer,
        layout,
        variant,
        params: p,
        instance: inst.id,
        seed,
        drive,
        startTimeoutMs: START_TIMEOUT_MS,
        lockdep: lockGraph.reports,
        run: this.running,
        outsideWord: frame.ctl + CTL_OUTSIDE,
        ...(versions ? { versions } : {}),
      };
      return (pool.run(job) as Promise<RoleResult>).then((r) => {
        if (r.outside) this.outsideMet(r, sc);
        return r;
      });
    });

    const seq = () => lastStep(frame);
    const stop = (why: number) => Atomics.compareExchange(i32, frame.ctl + CTL_STOP, 0, why) === 0;
    const settled: (RoleResult | undefined)[] = [];
    const finished = new Array<boolean>(n).fill(false);
    for (const [k, j] of jobs.entries()) {
      j.then(
        (r) => {
          settled[k] = r;
          finished[k] = true;
        },
        () => {
          finished[k] = true;
        },
      );
    }
    let watchdogFinding: Violation | null = null;
    let watchdogNote: string | null = null;
    /** The task the watchdog found reaching no op boundary (its role's code loops without an op). */
    let looping: WatchdogFinding['looping'];
    /** The task whose role has ended while a timer it started has not returned (the watchdog's). */
    let outsideStuck: WatchdogFinding['outside'];
    const watchdog = new Watchdog(frame, { watchdogMs: limits.watchdogMs, maxExecutionMs: limits.executionLimitMs }, s.progress);
    const onAbort = () => {
      if (stop(STOP_SIGNAL)) watchdogNote = watchdog.describe(performance.now());
    };
    limits.abort?.addEventListener('abort', onAbort);
    if (limits.abort?.aborted) onAbort();
    const tick = setInterval(() => {
      const now = performance.now();
      if (limits.until !== null && now >= limits.until) {
        if (stop(STOP_DEADLINE)) watchdogNote = watchdog.describe(now);
        return;
      }
      const found = watchdog.tick(now, finished);
      if (found && stop(found.stop)) {
        watchdogFinding = found.violation;
        watchdogNote = found.note;
        looping = found.looping;
        outsideStuck = found.outside;
      }
    }, WATCHDOG_TICK_MS);

    let results: PromiseSettledResult<RoleResult>[];
    try {
      // Workers that ignore a stop request for STOP_GRACE_MS are torn down with the pool,
      // counted from the stop itself, so that a budget holds even while workers still load.
      const all = Promise.allSettled(jobs);
      let graceTimer: NodeJS.Timeout | undefined;
      const stuck = new Promise<null>((res) => {
        const check = setInterval(() => {
          if (graceTimer !== undefined || Atomics.load(i32, frame.ctl + CTL_STOP) === 0) return;
          graceTimer = setTimeout(() => res(null), STOP_GRACE_MS);
        }, WATCHDOG_TICK_MS / 4);
        all.finally(() => clearInterval(check));
      });
      const r = await Promise.race([all, stuck]);
      clearTimeout(graceTimer);
      if (r === null) {
        const asked = Atomics.load(i32, frame.ctl + CTL_STOP);
        const arrived = Atomics.load(i32, frame.ctl + CTL_ARRIVED);
        const now = performance.now();
        const starting = arrived < n; // roles start together once all have arrived: none has begun
        // a role that threw is what went wrong first, whoever then failed to stop
        const thrown = settled.find((x) => x?.scenarioError)?.scenarioError;
        if (thrown) {
          await this.teardown();
          return { seed, violation: null, stats: {}, steps: seq(), scenarioError: thrown };
        }
        const errors = settled.flatMap((x, k) => (x?.error ? [`${frame.instances[k].name}: ${sourceStack(x.error)}`] : []));
        // before the pool goes: tearing it down settles every job
        const running = starting ? [] : frame.instances.flatMap((inst, k) => (finished[k] ? [] : [{ inst, k, quiet: watchdog.quietFor(k, now) }]));
        const ignoring = running.map((r) => noOpBoundary(r.inst.name, r.quiet));
        // a role that has ended, its worker inside a timer the role started (its bit in CTL_OUTSIDE):
        // the timer never returned, whichever stop came first (the watchdog's, the budget's, a signal)
        const outsideBits = Atomics.load(i32, frame.ctl + CTL_OUTSIDE);
        const inTimer = outsideStuck ?? running.map((r) => ({ task: r.k, forMs: r.quiet })).find((r) => (outsideBits & (1 << r.task)) !== 0);
        await this.teardown();
        if (inTimer) return { seed, violation: null, stats: {}, steps: seq(), scenarioError: outsideScheduleStuck(inTimer.forMs) };
        // With no worker failing, a role that ran on without an op is the scenario's bug: the one the
        // watchdog found, else the one longest without an op of those that ignored a limit's stop
        // (a role reaches an op boundary often, and at each one it sees the stop: a blocked one too,
        // its futex waits are bounded).
        const looped = errors.length > 0 ? undefined : (running.find((r) => r.k === looping?.task) ?? running.filter((r) => r.quiet > STOP_GRACE_MS).sort((a, b) => b.quiet - a.quiet)[0]);
        if (looped) {
          const after = asked === STOP_WATCHDOG ? undefined : `${stopReason(asked)} and it did not stop within ${STOP_GRACE_MS} ms`;
          return { seed, violation: null, stats: {}, steps: seq(), scenarioError: noOpBoundaryError(looped.inst, looped.quiet, after) };
        }
        if (starting && errors.length === 0 && isLimit(asked)) {
          return { seed, violation: null, stats: {}, steps: seq(), incomplete: { limit: limitOf(asked), note: `the worker threads were still starting (${arrived} of ${n} ready)` } };
        }
        const why = asked === STOP_WATCHDOG ? 'the watchdog stopped the execution' : `${stopReason(asked)}${watchdogNote ? ` (${watchdogNote})` : ''}`;
        return {
          seed,
          violation: null,
          stats: {},
          steps: seq(),
          harnessError: [
            ...errors, // what failed comes first
            ...ignoring,
            starting
              ? `${why} while the worker threads were still starting (${arrived} of ${n} ready); they were terminated`
              : `${why}, and it did not stop within ${STOP_GRACE_MS} ms: the workers were terminated`,
          ].join('\n'),
        };
      }
      results = r;
    } finally {
      clearInterval(tick);
      limits.abort?.removeEventListener('abort', onAbort);
    }

    const stats: ExecutionResult['stats'] = {};
    let violation: Violation | null = watchdogFinding;
    const errors: string[] = [];
    let scenarioError: ScenarioError | undefined;
    const deps: Dep[] = [];
    const tickets: (Int32Array | undefined)[] = [];
    const sync: (Int32Array | undefined)[] = [];
    results.forEach((res, k) => {
      const inst = frame.instances[k];
      if (res.status === 'rejected') {
        errors.push(`${inst.name}: worker failed: ${sourceStack(String((res.reason as Error)?.stack ?? res.reason))}`);
        return;
      }
      const out = res.value;
      if (out.error) errors.push(`${inst.name}: ${sourceStack(out.error)}`);
      scenarioError ??= out.scenarioError;
      violation ??= out.violation;
      deps.push(...out.deps);
      tickets[k] = out.tickets;
      sync[k] = out.sync;
      addStats(stats, inst.role, out.stats);
    });
    lockGraph.seed = seed;
    const cycle = mergeDeps(lockGraph, deps);
    const found = violation as Violation | null; // set in the callbacks above
    if (cycle && (found === null || found.kind === 'deadlock' || cycle.step <= found.step)) {
      // lockdep saw the cycle at an acquisition before the other finding (a wait that then
      // deadlocked, a might_sleep() at that same acquisition): as sim reports it
      if (found?.kind === 'deadlock') cycle.details.push(`and this execution then deadlocked: ${found.message}`, ...found.details);
      else if (found) cycle.details.push(`the same acquisition is also ${found.kind}: ${found.message}`);
      violation = cycle;
    } else if (found?.kind === 'deadlock') {
      found.details.push(...knownCycleLines(lockGraph));
    }
    if (scenarioError) return { seed, violation: null, stats, steps: seq(), scenarioError };
    if (errors.length > 0) return { seed, violation: null, stats, steps: seq(), harnessError: errors.join('\n') };
    const stopped = Atomics.load(i32, frame.ctl + CTL_STOP);
    // A limit that struck as the last role returned cut nothing: the execution is complete.
    const cut = results.some((r) => r.status === 'fulfilled' && r.value.end === 'stopped');
    if (violation === null && cut && isLimit(stopped)) {
      return { seed, violation: null, stats, steps: seq(), incomplete: { limit: limitOf(stopped), note: watchdogNote ?? watchdog.describe(performance.now()) } };
    }
    if (violation === null && stopped === STOP_WATCHDOG) {
      // the role the watchdog found did stop at last (a long loop, not an endless one): still its role's bug
      if (looping) return { seed, violation: null, stats, steps: seq(), scenarioError: noOpBoundaryError(frame.instances[looping.task], looping.forMs) };
      if (outsideStuck) return { seed, violation: null, stats, steps: seq(), scenarioError: outsideScheduleStuck(outsideStuck.forMs) };
      return { seed, violation: null, stats, steps: seq(), harnessError: watchdogNote ?? 'the watchdog stopped the execution' };
    }
    const closed = closeExecution(s, frame, p, variant, seed, violation, opts.tracePerTask);
    const order = closed && tickets.every((t) => t !== undefined) ? stepOrder(tickets as Int32Array[]) : undefined;
    // the word events only when every task kept its own: a word's versions are only whole so
    const events = order && sync.every((e) => e !== undefined) ? { sync: sync as Int32Array[] } : {};
    return { seed, violation: closed, stats, steps: seq(), ...(order ? { order, ...events } : {}) };
  }
}

/** The tasks' steps in the order their tickets were taken: task ids, one per step. */
function stepOrder(tickets: Int32Array[]): Uint8Array {
  const all: [number, number][] = [];
  tickets.forEach((t, task) => {
    for (const x of t) all.push([x, task]);
  });
  all.sort((a, b) => a[0] - b[0]);
  return Uint8Array.from(all, ([, task]) => task);
}
