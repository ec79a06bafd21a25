/**
 * The sim executor as a run uses it: the executions happen in a worker thread
 * (sim-worker.ts), never on the command's own thread, so that the run can always be
 * stopped: at its time budget, on a signal, or when a role loops without ever reaching
 * an op boundary (which no scheduler can preempt). Every finished execution is posted
 * back as it ends; a stopped one comes back as incomplete; a worker that does not
 * answer a stop is terminated, and a role it was running then (one that loops without an
 * op) is named as the scenario's error.
 *
 * With --jobs (where the strategy allows), the seeds are dealt over that many workers and
 * judged in seed order, so the result is the one a single worker gives.
 */
import { type Dep, newLockGraph } from '../sync/lockdep-graph.js';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadedScenario } from '../load/scenarios.js';
import { PACKAGE_ROOT } from '../paths.js';
import { workerBundle } from '../load/bundle.js';
import { instancesOf, STOP_DEADLINE, STOP_SIGNAL } from './frame.js';
import { isLimit, limitOf, noOpBoundaryError, type RunLimits, STOP_GRACE_MS, stopReason } from './limits.js';
import { endsRun, type ExecutionResult } from './result.js';
import { endWorker } from './end-worker.js';
import { loadSeed, SIM_CONTROL_WORDS, SIM_CURRENT, SIM_HEARTBEAT, SIM_OUTSIDE, SIM_STOP, type SimMessage, type SimRequest, storeSeed, type WorkerShare, workerSeeds } from './sim-worker.js';
import type { RunConfig } from './config.js';
import type { Executor, ExecutorEnd, ExecutorHooks } from './executor.js';
import { entryOf } from './strategies/index.js';
import { lateOutsideScheduleStuck, lateOutsideScheduleThrow, locateScenarioError, outsideScheduleError, outsideScheduleStuck, sourceStack, withViolationSite } from '../load/stack.js';
import { STUCK_TURN_MS } from './turn-watch.js';
import { LateErrors } from './late-errors.js';
import type { ScenarioError } from '../rt/errors.js';

const SIM_WORKER = join(PACKAGE_ROOT, 'workers', 'sim-worker.mjs');
const TICK_MS = 50;

/** The scenario files of a worker's run (null between runs) and of its last one: a throw between runs is the last one's. */
type WorkerFiles = { running: string | null; last: string | null };

/** What a worker posts once it has stopped: its lock orders, the strategy's summary, whether its space was exhausted. */
type WorkerDone = { deps: Dep[]; summary?: unknown; exhausted: boolean };

export class SimExecutor implements Executor {
  readonly mode = 'sim';
  private worker: Worker | null = null;
  /** The scenario files of the worker's run (null between runs) and of its last one. */
  private files: WorkerFiles = { running: null, last: null };
  /** Workers whose scenario left timers pending: asked to leave, each ends within STOP_GRACE_MS (close() waits for them). */
  private readonly retiring = new Set<Promise<void>>();
  /** What those timers threw, or ran without returning, after their run had ended. */
  private readonly late = new LateErrors();
  get lateErrors(): readonly ScenarioError[] {
    return this.late.list;
  }

  /**
   * Ends the worker: asked to leave, it exits by itself once idle (every run has ended by
   * now, each execution posted as it ended, so nothing finished is lost); one that has not
   * left within STOP_GRACE_MS is terminated (end-worker.ts says why terminating an idle
   * worker is avoided). A worker found stuck during a run was terminated then (`kill`).
   */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await this.leave(w, this.files.last);
    await Promise.all(this.retiring);
  }

  /**
   * A worker whose scenario's code left timers pending is not given another run: they would
   * run during it and be blamed on it. Asked to leave, it runs them first (a throw there is
   * the scenario's error, said after the run had ended), and is terminated after STOP_GRACE_MS.
   */
  private retire(w: Worker): void {
    if (this.worker === w) this.worker = null;
    const ended: Promise<void> = this.leave(w, this.files.last).finally(() => this.retiring.delete(ended));
    this.retiring.add(ended);
  }

  /**
   * Ends `w` (end-worker.ts). One terminated inside a callback of the scenario's that had run
   * STUCK_TURN_MS without returning is named so, after the run had ended, as the scenario of
   * `file` (its last run's): on uncaught as a ScenarioError, and in lateErrors.
   */
  private async leave(w: Worker, file: string | null): Promise<void> {
    const stuckMs = await endWorker(w, STOP_GRACE_MS);
    if (stuckMs === null || stuckMs < STUCK_TURN_MS) return;
    const { error, scenarioError } = lateOutsideScheduleStuck(stuckMs, file);
    this.late.say(error, scenarioError);
  }

  async run(config: RunConfig, sc: LoadedScenario, hooks: ExecutorHooks): Promise<ExecutorEnd> {
    const jobs = parallelJobs(config);
    if (jobs > 1) return await this.runParallel(config, sc, jobs, hooks);
    let done: WorkerDone = { deps: [], exhausted: false };
    const harnessError = await this.runWorker(config, sc, undefined, hooks.limits, hooks.take, (d) => {
      done = d;
    });
    return { harnessError, lockdep: done.deps, summary: done.summary, exhausted: done.exhausted };
  }

  /**
   * Run one worker's executions (all of the run's, or its share of a --jobs run) until a
   * finding, the count, or a limit; `onExecution` receives each one as it ends. Resolves to
   * a harness error, or null.
   */
  async runWorker(
    config: RunConfig,
    sc: LoadedScenario,
    share: WorkerShare | undefined,
    limits: RunLimits,
    onExecution: (r: ExecutionResult) => void,
    onDone?: (d: WorkerDone) => void,
  ): Promise<string | null> {
    const bundle = await workerBundle(sc.file, plainMemoryRun(config) ? 'plain' : 'seam');
    const instances = instancesOf(sc.def, config.params, config.variant);
    const control = new SharedArrayBuffer(SIM_CONTROL_WORDS * 4);
    const c = new Int32Array(control);
    // Until the worker has loaded the bundle and begun, no role runs and no seed is in flight
    // beyond the first: a zeroed block would read as "task 0 is running".
    c[SIM_CURRENT] = -1;
    storeSeed(c, workerSeeds(config, share).first);
    const req: SimRequest = {
      bundle,
      config,
      ...(share ? { share } : {}),
      // the run's time budget as an instant both threads read alike: the worker stops an
      // execution at its own polls (not only at this thread's tick), starts none after it,
      // and gives shrinking a share of what is left when the finding comes
      untilEpochMs: limits.until !== null ? performance.timeOrigin + limits.until : null,
      control,
    };
    if (!this.worker) {
      const born = new Worker(SIM_WORKER, { execArgv: [] });
      const files: WorkerFiles = { running: null, last: null };
      // A throw between runs (a timer the scenario's code started, after its run had ended)
      // reaches no run: it goes on uncaught, named as the scenario's error with its line in the
      // sources, and the worker it ended is not given another run. (During a run the run's
      // own listener reports it.)
      born.on('error', (e: Error) => {
        if (this.worker === born) this.worker = null;
        if (files.running !== null) return;
        const late = files.last !== null ? lateOutsideScheduleThrow(e?.stack ?? String(e), files.last) : null;
        if (!late) throw e;
        this.late.say(late.error, late.scenarioError);
      });
      born.once('exit', () => {
        if (this.worker === born) this.worker = null;
      });
      this.worker = born;
      this.files = files;
    }
    const files = this.files;
    files.running = sc.file;
    files.last = sc.file;
    const w = this.worker;
    w.ref();
    return await new Promise<string | null>((resolve) => {
      let ended = false;
      let asked = 0;
      let askedAt = 0;
      let beat = -1;
      let beatAt = performance.now();
      // a throw of the scenario's code from a timer or promise it started: it ends the worker,
      // and it comes after the worker's executions once those have all come in; it belongs to
      // no seed (the last one in the control block stands in: runParallel keeps it out of its seed order)
      let outside: ScenarioError | null = null;
      const reportOutside = () => {
        if (!outside) return;
        onExecution({ seed: loadSeed(c), violation: null, stats: {}, steps: 0, scenarioError: locateScenarioError(outside, sc.file) });
        outside = null;
      };
      const ask = (stop: number) => {
        if (asked) return;
        asked = stop;
        askedAt = performance.now();
        Atomics.store(c, SIM_STOP, stop);
      };
      const onAbort = () => ask(STOP_SIGNAL);
      const end = (error: string | null) => {
        if (ended) return;
        ended = true;
        clearInterval(tick);
        limits.abort?.removeEventListener('abort', onAbort);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        w.unref();
        files.running = null;
        resolve(error);
      };
      const kill = (why: string | null) => {
        this.worker = null;
        end(why);
        void w.terminate();
      };
      const onMessage = (m: SimMessage) => {
        if (m.type === 'execution') {
          const r = m.result;
          if (r.harnessError) r.harnessError = sourceStack(r.harnessError);
          if (r.scenarioError) r.scenarioError = locateScenarioError(r.scenarioError, sc.file);
          if (r.violation) r.violation = withViolationSite(r.violation, sc.file);
          onExecution(r);
        } else if (m.type === 'done') {
          reportOutside();
          onDone?.({ deps: m.deps, summary: m.summary, exhausted: m.exhausted });
          end(null);
          if ((m.timersLeft ?? 0) > 0) this.retire(w);
        }
        else kill(`the sim worker failed: ${sourceStack(m.error)}`);
      };
      const onError = (e: Error) => {
        this.worker = null;
        outside = outsideScheduleError(e?.stack ?? String(e));
        // the worker's messages posted before the throw are delivered before its 'exit'
        if (!outside) end(`the sim worker crashed: ${sourceStack(e?.stack ?? String(e))}`);
      };
      const onExit = (code: number) => {
        this.worker = null;
        if (outside) {
          reportOutside();
          end(null);
        } else end(`the sim worker exited unexpectedly (exit code ${code})`);
      };
      const tick = setInterval(() => {
        const now = performance.now();
        if (limits.until !== null && now >= limits.until) ask(STOP_DEADLINE);
        const hb = Atomics.load(c, SIM_HEARTBEAT);
        if (hb !== beat) {
          beat = hb;
          beatAt = now;
        }
        const quiet = now - beatAt;
        const current = Atomics.load(c, SIM_CURRENT);
        const unresponsive = asked !== 0 && now - askedAt > STOP_GRACE_MS && quiet > STOP_GRACE_MS;
        if (!unresponsive && quiet <= limits.watchdogMs) return;
        if (current === SIM_OUTSIDE) {
          // the executions are over, and a timer or promise the scenario's code started never returned
          outside = outsideScheduleStuck(quiet);
          reportOutside();
          kill(null);
        } else if (current >= 0 && instances[current]) {
          // a role resumed and never came back: its code loops without an op (the scenario's bug), and only
          // terminating the worker stops it; that execution is the run's last, with the scenario's error
          const after = unresponsive ? `${stopReason(asked)} and it did not stop within ${STOP_GRACE_MS} ms` : undefined;
          const scenarioError = locateScenarioError(noOpBoundaryError(instances[current], quiet, after), sc.file);
          onExecution({ seed: loadSeed(c), violation: null, stats: {}, steps: 0, scenarioError });
          kill(null);
        } else if (current >= 0) {
          kill(`the sim worker named task ${current}, which this execution does not have`);
        } else if (hb === 0) {
          // The worker has not begun (still loading the bundle): nothing of the scenario ran.
          if (unresponsive && isLimit(asked)) {
            onExecution({ seed: loadSeed(c), violation: null, stats: {}, steps: 0, incomplete: { limit: limitOf(asked), note: 'the sim worker was still starting' } });
            kill(null);
          } else kill(`the sim worker did not start within ${Math.round(quiet)} ms`);
        } else if (unresponsive) {
          // Slow to lay out or to check an execution (a large arena): that execution has no verdict.
          const seed = loadSeed(c);
          onExecution({ seed, violation: null, stats: {}, steps: 0, incomplete: { limit: limitOf(asked), note: `it was still being set up or checked (setup() or check()) ${Math.round(quiet)} ms later` } });
          kill(null);
        } else {
          kill(`the scenario's setup() or final check() ran for ${Math.round(quiet)} ms without returning`);
        }
      }, TICK_MS);
      limits.abort?.addEventListener('abort', onAbort);
      if (limits.abort?.aborted) ask(STOP_SIGNAL);
      w.on('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage(req);
    });
  }

  /**
   * Seeds first + j, first + j + jobs, ... on worker j (this executor's worker is the first).
   * A worker starts no seed above the lowest one any worker found failing (a shared bound),
   * so every seed below the answer runs. Each execution brings back its own lock orders;
   * merged in seed order, they show where a cycle that no execution closes alone would
   * have closed (`crossAt`).
   */
  private async runParallel(config: RunConfig, sc: LoadedScenario, jobs: number, hooks: ExecutorHooks): Promise<ExecutorEnd> {
    // the lowest failing seed, as its distance from the first (seeds go up to 2^31 - 1 and past)
    const bound = new SharedArrayBuffer(4);
    new Int32Array(bound)[0] = 2 ** 31 - 1;
    const sims = Array.from({ length: jobs }, (_, j) => (j === 0 ? this : new SimExecutor()));
    const collected: ExecutionResult[] = [];
    const outside: ExecutionResult[] = [];
    /** The last seed each worker posted (a worker that fails as a whole failed at its next one). */
    const lastSeed: (number | null)[] = sims.map(() => null);
    let errors: (string | null)[];
    try {
      errors = await Promise.all(
        sims.map((sim, j) =>
          sim.runWorker(config, sc, { index: j, jobs, bound }, hooks.limits, (r) => {
            // a throw from a timer or promise belongs to no seed: it comes after the seed order's answer
            if (r.scenarioError?.where === 'timer') outside.push(r);
            else {
              collected.push(r);
              lastSeed[j] = r.seed;
              hooks.progress?.(collected.length);
            }
          }),
        ),
      );
    } finally {
      await Promise.all(sims.map((sim, j) => (j === 0 ? undefined : sim.close())));
      for (const sim of sims.slice(1)) this.late.list.push(...sim.late.list);
    }
    // a worker that failed as a whole (crashed, stuck, killed) did so at the seed after its last:
    // that is a harness error there, judged in seed order like any other result
    errors.forEach((e, j) => {
      if (e !== null) collected.push({ seed: lastSeed[j] === null ? config.seed + j : (lastSeed[j] as number) + jobs, violation: null, stats: {}, steps: 0, harnessError: e });
    });
    collected.sort((a, b) => a.seed - b.seed);
    // what one worker would have met: seeds in order from the first, up to the first failure or
    // the first seed no worker ran (one stopped by a limit or a signal: nothing above it counts)
    const results: ExecutionResult[] = [];
    for (const r of collected) {
      if (r.seed !== config.seed + results.length) break;
      results.push(r);
      hooks.take(r);
      if (endsRun(r)) break;
    }
    if (outside.length > 0) hooks.take({ ...outside[0], seed: config.seed + results.length });
    // the lock orders in seed order, as one worker's graph would have met them
    const graph = newLockGraph(sc.def, config.seed, 'report', config.lockdep, config.variant);
    let crossAt: number | null = null;
    for (const r of results) {
      let closes = false;
      for (const d of r.deps ?? []) if (!graph.knows(d.from, d.to, d.held, d.acq) && graph.add(d)) closes = true;
      const alone = r.violation?.kind === 'lock-order-cycle' && r.violation.replayFrom === undefined;
      if (closes && !alone && config.lockdep) {
        crossAt = r.seed;
        break;
      }
    }
    return { harnessError: null, lockdep: graph.all(), exhausted: false, crossAt };
  }
}

/**
 * How many workers a run spreads its seeds over: only where that gives `--jobs 1`'s
 * result. dfs searches one seed, a guide replays one, and pct learns k from the
 * executions before (unless --pct-steps fixes it), so those run on one.
 */
export function parallelJobs(config: Pick<RunConfig, 'jobs' | 'mode' | 'strategy' | 'executions'>): number {
  if (config.jobs <= 1 || config.mode !== 'sim') return 1;
  if (!entryOf(config.strategy).parallel(config.strategy)) return 1;
  return config.executions === null ? config.jobs : Math.max(1, Math.min(config.jobs, config.executions));
}

/**
 * The run's model needs nothing but plain Atomics (sc memory, a strategy that watches no
 * access): its workers load the bundle compiled for that (load/bundle.ts, BundleMemory),
 * whose model makes its accesses as plain ones in one thread (rt/one-thread.ts). Every
 * other run loads the one with the memory seam.
 */
export function plainMemoryRun(config: Pick<RunConfig, 'memory' | 'strategy'>): boolean {
  return config.memory === 'sc' && entryOf(config.strategy).watchesMemory?.(config.strategy) !== true;
}
