/**
 * The sim executor as a run uses it: the executions happen in a worker thread
 * (sim-worker.ts), never on the command's own thread, so that the run can always be
 * stopped: at its time budget, on a signal, or when a role loops without ever reaching
 * an op boundary (which no scheduler can preempt). Every finished execution is posted
 * back as it ends; a stopped one comes back as incomplete; a worker that does not
 * answer a stop is terminated and the role it was running is named.
 */
import type { StrategySpec } from './strategy.js';
import type { Dep } from '../sync/lockdep-graph.js';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { PACKAGE_ROOT } from '../paths.js';
import { workerBundle } from '../load/bundle.js';
import { instancesOf, STOP_DEADLINE, STOP_SIGNAL } from './frame.js';
import { isLimit, limitOf, noOpBoundary, type RunLimits, STOP_GRACE_MS, stopReason } from './limits.js';
import type { ExecutionResult } from './result.js';
import { loadSeed, SIM_CONTROL_WORDS, SIM_CURRENT, SIM_HEARTBEAT, SIM_STOP, type SimMessage, type SimRequest, storeSeed } from './sim-worker.js';
import { locateScenarioError, sourceStack } from '../load/stack.js';

const SIM_WORKER = join(PACKAGE_ROOT, 'workers', 'sim-worker.mjs');
const TICK_MS = 50;

export interface SimSeeds {
  firstSeed: number;
  executions: number | null;
  /** Run seeds firstSeed, firstSeed + stride, ... (one of `--jobs` workers; default 1). */
  stride?: number;
  /** Shared by a run's workers: the lowest seed found violating so far; a worker starts no seed above it. */
  bound?: SharedArrayBuffer;
  /** The run's first seed, which `bound` counts from. */
  runFirstSeed?: number;
  /** Lockdep's graph per execution, its lock orders returned with each (the parent merges them in seed order). */
  perExecutionLockdep?: boolean;
  /** The livelock and starvation window in scheduling steps (default: the sim's). */
  windowSteps?: number;
  /** false: lockdep records but reports no cycle (`--lockdep off`). */
  lockdep?: boolean;
  /** Receives the lock orders the run's executions took (lockdep's edges), once it has ended. */
  onLockdep?: (deps: Dep[]) => void;
  /** The scheduling strategy (default random). */
  strategy?: StrategySpec;
  /** false (`--no-shrink`): a finding is reported as found (its schedule still becomes a token for dfs). */
  shrink?: boolean;
  /** The memory model (default sc). */
  memory?: 'sc' | 'weak';
  /** Receives the strategy's summary (dfs: what the search covered) and whether its space was exhausted, once the run has ended. */
  onDone?: (d: { summary?: unknown; exhausted: boolean }) => void;
}

export class SimExecutor {
  private worker: Worker | null = null;

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  /**
   * Run executions of one variant until a finding, the count, or a limit; `onExecution`
   * receives each one as it ends. Resolves to a harness error, or null.
   */
  async run(
    sc: LoadedScenario,
    params: Params,
    variant: string,
    seeds: SimSeeds,
    limits: RunLimits,
    onExecution: (r: ExecutionResult) => void,
  ): Promise<string | null> {
    const bundle = await workerBundle(sc.file);
    const names = instancesOf(sc.def, params, variant).map((i) => i.name);
    const control = new SharedArrayBuffer(SIM_CONTROL_WORDS * 4);
    const c = new Int32Array(control);
    // Until the worker has loaded the bundle and begun, no role runs and no seed is in flight
    // beyond the first: a zeroed block would read as "task 0 is running".
    c[SIM_CURRENT] = -1;
    storeSeed(c, seeds.firstSeed);
    const req: SimRequest = {
      bundle,
      variant,
      params,
      firstSeed: seeds.firstSeed,
      executions: seeds.executions,
      executionLimitMs: limits.executionLimitMs,
      windowSteps: seeds.windowSteps,
      lockdep: seeds.lockdep,
      strategy: seeds.strategy,
      shrink: seeds.shrink,
      memory: seeds.memory,
      stride: seeds.stride,
      bound: seeds.bound,
      perExecutionLockdep: seeds.perExecutionLockdep,
      runFirstSeed: seeds.runFirstSeed,
      // the run's time budget as an instant both threads read alike: the worker stops an
      // execution at its own polls (not only at this thread's tick), starts none after it,
      // and gives shrinking a share of what is left when the finding comes
      untilEpochMs: limits.until !== null ? performance.timeOrigin + limits.until : null,
      control,
    };
    this.worker ??= new Worker(SIM_WORKER, { execArgv: [] });
    const w = this.worker;
    w.ref();
    return await new Promise<string | null>((resolve) => {
      let ended = false;
      let asked = 0;
      let askedAt = 0;
      let beat = -1;
      let beatAt = performance.now();
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
        resolve(error);
      };
      const kill = (why: string | null) => {
        this.worker = null;
        end(why);
        void w.terminate();
      };
      const onMessage = (m: SimMessage) => {
        if (m.type === 'execution') {
          if (m.result.harnessError) m.result.harnessError = sourceStack(m.result.harnessError);
          if (m.result.scenarioError) m.result.scenarioError = locateScenarioError(m.result.scenarioError, sc.file);
          onExecution(m.result);
        } else if (m.type === 'done') {
          seeds.onLockdep?.(m.deps);
          seeds.onDone?.({ summary: m.summary, exhausted: m.exhausted });
          end(null);
        }
        else kill(`the sim worker failed: ${sourceStack(m.error)}`);
      };
      const onError = (e: Error) => {
        this.worker = null;
        end(`the sim worker crashed: ${sourceStack(e?.stack ?? String(e))}`);
      };
      const onExit = (code: number) => {
        this.worker = null;
        end(`the sim worker exited unexpectedly (exit code ${code})`);
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
        if (current >= 0) {
          const never = noOpBoundary(names[current] ?? `task ${current}`, quiet);
          kill(unresponsive ? `${stopReason(asked)} and the sim did not stop within ${STOP_GRACE_MS} ms: ${never}` : never);
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
}
