/**
 * What a run asks of an executor, the same of both: run the executions of one resolved
 * configuration, hand each one back as it ends, and say how the whole ended. run.ts keeps
 * the books (the verdict, the budget, the result); an executor decides only how the
 * executions happen (sim: generators in a worker thread, seeds spread over --jobs
 * workers; threads: a worker thread per role, one execution after another).
 */
import type { Dep } from '../sync/lockdep-graph.js';
import type { LoadedScenario } from '../load/scenarios.js';
import type { ScenarioError } from '../rt/errors.js';
import type { RunConfig } from './config.js';
import type { RunLimits } from './limits.js';
import type { ThreadsOptions } from './drive.js';
import type { ExecutionResult, Reproduction } from './result.js';

export interface ExecutorHooks {
  /** The run's harness limits: its deadline, the execution limit, the watchdog, the abort signal. */
  readonly limits: RunLimits;
  /** A finished (or stopped) execution, in seed order, as the run judges it. */
  take(r: ExecutionResult): void;
  /** Whether the run still wants another execution (nothing has ended it, its count and time allow): threads asks before each. */
  another(): boolean;
  /** How many executions have finished so far, where they come back out of seed order (sim --jobs): progress only. */
  progress?(finished: number): void;
  /** threads: the driver's own settings beyond the configuration's jitter (tests tune the lock waits). */
  threadsOptions?: ThreadsOptions;
}

/** How an executor's part of a run ended. */
export interface ExecutorEnd {
  /** The executor itself failed (a worker crashed or hung): no verdict past the executions taken. */
  harnessError: string | null;
  /** The lock orders the executions took (lockdep's edges with their first places). */
  lockdep: Dep[];
  /** sim: the strategy's summary (dfs: what the search covered). */
  summary?: unknown;
  /** sim: the strategy's space was exhausted (dfs's bounded search ran to its end). */
  exhausted: boolean;
  /** threads: the finding replayed in sim. */
  reproduced?: Reproduction;
  /** sim --jobs: the seed where a lock-order cycle that no single execution closed would close (the run runs those seeds again on one worker). */
  crossAt?: number | null;
}

export interface Executor {
  readonly mode: RunConfig['mode'];
  run(config: RunConfig, scenario: LoadedScenario, hooks: ExecutorHooks): Promise<ExecutorEnd>;
  /**
   * threads: makes the workers ready for this configuration's executions (the pool up, every
   * worker holding the scenario's bundle), for a run whose own clock should start only then
   * (a campaign's threads row). null when ready, or when the signal stopped it (the run sees
   * the signal); else the result that ends the run without a verdict (a worker failed
   * loading the bundle, the deadline came first).
   */
  warm?(config: RunConfig, scenario: LoadedScenario, limits: RunLimits): Promise<ExecutionResult | null>;
  /** Ends its workers; it may be used again after (they start anew). */
  close(): Promise<void>;
  /**
   * What the scenario's timers and promises threw, or ran without returning, after a run had
   * ended: as a sim worker left, or when a threads pool was drained (close() waits for both).
   * A run that owns its executor takes them as its scenario error once it has closed it.
   */
  readonly lateErrors?: readonly ScenarioError[];
}
