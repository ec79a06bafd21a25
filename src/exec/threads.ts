/**
 * The threads executor: every role instance of an execution runs in its own worker
 * thread of one reused piscina pool, over the execution's SharedArrayBuffer, with
 * real Atomics. A watchdog in this (main) thread looks for wait-for cycles and ends
 * an execution that outlives its time, reporting what each thread was blocked on.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { setNames, type Violation } from '../check/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../scenarios.js';
import { DRIVE_DEFAULTS, type DriveOptions } from './drive.js';
import { closeExecution, lastStep } from './finish.js';
import { CTL_STOP, newFrame, STOP_ERROR, STOP_VIOLATION, STOP_WATCHDOG } from './frame.js';
import { addStats, type ExecutionResult } from './result.js';
import { Watchdog } from './watchdog.js';
import type { RoleResult, RoleTask } from './worker.js';

const WORKER = fileURLToPath(new URL('../../workers/role-worker.mjs', import.meta.url));

export interface ThreadsOptions {
  drive: DriveOptions;
  /** A task blocked this long without an op of its own, or an execution without any op this long, is stopped and explained. */
  watchdogMs: number;
  /** An execution still running after this long is a livelock, progress or not. */
  maxExecutionMs: number;
  traceLines: number;
}

export const THREADS_DEFAULTS: ThreadsOptions = { drive: DRIVE_DEFAULTS, watchdogMs: 20_000, maxExecutionMs: 120_000, traceLines: 40 };

const STOP_REASONS: Record<number, string> = {
  [STOP_VIOLATION]: 'a violation was found',
  [STOP_WATCHDOG]: 'the watchdog stopped the execution',
  [STOP_ERROR]: 'a worker failed',
};

/** How long every role instance has to start (load tsx and the scenario) on a new pool. */
const START_TIMEOUT_MS = 30_000;
/** After asking workers to stop, how long they get before the pool is torn down. */
const STOP_GRACE_MS = 5_000;
export const WATCHDOG_TICK_MS = 100;

export class ThreadsExecutor {
  private pool: Piscina | null = null;
  private threads = 0;

  /** One pool for every execution; grown (never shrunk) when an execution needs more threads. */
  private async poolFor(n: number): Promise<Piscina> {
    if (this.pool && this.threads >= n) return this.pool;
    await this.pool?.destroy();
    this.threads = Math.max(n, this.threads);
    this.pool = new Piscina({ filename: WORKER, minThreads: this.threads, maxThreads: this.threads, idleTimeout: Number.POSITIVE_INFINITY });
    return this.pool;
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    this.threads = 0;
    await p?.destroy();
  }

  async execute(sc: LoadedScenario, p: Params, variant: string, seed: number, opts: ThreadsOptions = THREADS_DEFAULTS): Promise<ExecutionResult> {
    const s = sc.def;
    const { frame, layout } = newFrame(s, p, variant);
    const names = frame.arena.names;
    setNames(names);
    const i32 = frame.arena.i32;
    const n = frame.instances.length;
    const pool = await this.poolFor(n);
    const jobs = frame.instances.map((inst) => {
      const job: RoleTask = {
        buffer: frame.arena.buffer as SharedArrayBuffer,
        layout,
        file: sc.file,
        variant,
        params: p,
        instance: inst.id,
        seed,
        drive: opts.drive,
        startTimeoutMs: START_TIMEOUT_MS,
      };
      return pool.run(job) as Promise<RoleResult>;
    });

    const seq = () => lastStep(frame);
    const stop = (why: number) => Atomics.compareExchange(i32, frame.ctl + CTL_STOP, 0, why) === 0;
    const settled: (RoleResult | undefined)[] = [];
    for (const [k, j] of jobs.entries()) {
      j.then(
        (r) => {
          settled[k] = r;
        },
        () => {},
      );
    }
    let watchdogFinding: Violation | null = null;
    let watchdogNote: string | null = null;
    const watchdog = new Watchdog(frame, opts);
    const tick = setInterval(() => {
      const found = watchdog.tick(Date.now());
      if (found && stop(found.stop)) {
        watchdogFinding = found.violation;
        watchdogNote = found.note;
      }
    }, WATCHDOG_TICK_MS);

    let results: PromiseSettledResult<RoleResult>[];
    try {
      // Workers that ignore a stop request for STOP_GRACE_MS are torn down with the pool.
      const all = Promise.allSettled(jobs);
      let graceTimer: NodeJS.Timeout | undefined;
      const stuck = new Promise<null>((res) => {
        const check = setInterval(() => {
          if (Atomics.load(i32, frame.ctl + CTL_STOP) !== 0 && graceTimer === undefined) {
            graceTimer = setTimeout(() => res(null), STOP_GRACE_MS);
          }
        }, WATCHDOG_TICK_MS);
        all.finally(() => clearInterval(check));
      });
      const r = await Promise.race([all, stuck]);
      clearTimeout(graceTimer);
      if (r === null) {
        const why = STOP_REASONS[Atomics.load(i32, frame.ctl + CTL_STOP)] ?? 'stop';
        const blockedLines = watchdog.graph().lines.join('; ') || 'none';
        const errors = settled.flatMap((x, k) => (x?.error ? [`${frame.instances[k].name}: ${x.error}`] : []));
        await this.close();
        return {
          seed,
          violation: null,
          stats: {},
          steps: seq(),
          harnessError: [
            `workers did not stop within ${STOP_GRACE_MS} ms of being asked to (${watchdogNote ?? why}); blocked: ${blockedLines}`,
            ...errors,
          ].join('\n'),
        };
      }
      results = r;
    } finally {
      clearInterval(tick);
    }

    const stats: ExecutionResult['stats'] = {};
    let violation: Violation | null = watchdogFinding;
    const errors: string[] = [];
    results.forEach((res, k) => {
      const inst = frame.instances[k];
      if (res.status === 'rejected') {
        errors.push(`${inst.name}: worker failed: ${String((res.reason as Error)?.stack ?? res.reason)}`);
        return;
      }
      const out = res.value;
      if (out.error) errors.push(`${inst.name}: ${out.error}`);
      violation ??= out.violation;
      addStats(stats, inst.role, out.stats);
    });
    if (errors.length > 0) return { seed, violation: null, stats, steps: seq(), harnessError: errors.join('\n') };
    if (violation === null && watchdogNote) return { seed, violation: null, stats, steps: seq(), harnessError: watchdogNote };
    return { seed, violation: closeExecution(s, frame, p, variant, seed, violation, opts.traceLines), stats, steps: seq() };
  }
}
