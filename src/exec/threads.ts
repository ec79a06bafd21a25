/**
 * The threads executor: every role instance of an execution runs in its own worker
 * thread of one reused piscina pool, over the execution's SharedArrayBuffer, with
 * real Atomics. A watchdog in this (main) thread looks for wait-for cycles and ends
 * an execution that outlives its time, reporting what each thread was blocked on.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { deadlockViolation, waitGraph } from '../check/deadlock.js';
import { setNames, type Violation } from '../check/violation.js';
import type { Params } from '../scenario.js';
import type { LoadedScenario } from '../scenarios.js';
import { DRIVE_DEFAULTS, type DriveOptions } from './drive.js';
import { closeExecution, lastStep } from './finish.js';
import { CTL_STOP, newFrame, STOP_VIOLATION, STOP_WATCHDOG } from './frame.js';
import { addStats, type ExecutionResult } from './result.js';
import type { RoleResult, RoleTask } from './worker.js';

const WORKER = fileURLToPath(new URL('../../workers/role-worker.mjs', import.meta.url));

export interface ThreadsOptions {
  drive: DriveOptions;
  /** An execution in which no thread makes an op for this long is stopped and explained. */
  watchdogMs: number;
  /** An execution still running after this long is stopped, progress or not. */
  maxExecutionMs: number;
  traceLines: number;
}

export const THREADS_DEFAULTS: ThreadsOptions = { drive: DRIVE_DEFAULTS, watchdogMs: 20_000, maxExecutionMs: 600_000, traceLines: 40 };

/** After asking workers to stop, how long they get before the pool is torn down. */
const STOP_GRACE_MS = 5_000;
const WATCHDOG_TICK_MS = 100;

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
        startTimeoutMs: Math.min(opts.watchdogMs, 10_000),
      };
      return pool.run(job) as Promise<RoleResult>;
    });

    const seq = () => lastStep(frame);
    const stop = (why: number) => Atomics.compareExchange(i32, frame.ctl + CTL_STOP, 0, why) === 0;
    const blockedOn = () => frame.instances.map((i) => Atomics.load(i32, frame.blocked + i.id) - 1);
    let watchdogFinding: Violation | null = null;
    let watchdogNote: string | null = null;
    let lastCycle = '';
    const started = Date.now();
    let progressAt = started;
    let progressSeq = seq();
    const tick = setInterval(() => {
      const now = Date.now();
      const g = waitGraph(i32, names, blockedOn());
      const cycle = g.cycle?.join(',') ?? '';
      // A wait-for cycle seen on two ticks in a row is a deadlock, not a passing wait.
      if (cycle && cycle === lastCycle && stop(STOP_VIOLATION)) {
        watchdogFinding = deadlockViolation(g, names, seq(), 'threads: the same wait-for cycle on two watchdog ticks');
      }
      lastCycle = cycle;
      if (seq() !== progressSeq) {
        progressSeq = seq();
        progressAt = now;
      } else if (now - progressAt > opts.watchdogMs && stop(STOP_WATCHDOG)) {
        // No op anywhere for a whole watchdog period: stuck.
        if (g.lines.length > 0) watchdogFinding = deadlockViolation(g, names, seq(), `threads: no progress for ${opts.watchdogMs} ms`);
        else watchdogNote = `no op in ${opts.watchdogMs} ms and no thread blocked on a lock: a role is stuck outside the model`;
      }
      if (now - started > opts.maxExecutionMs && stop(STOP_WATCHDOG)) {
        watchdogNote = `execution still running after ${opts.maxExecutionMs} ms (a livelock, or parameters too large for one execution)`;
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
        const blockedLines = waitGraph(i32, names, blockedOn()).lines.join('; ') || 'none';
        await this.close();
        return {
          seed,
          violation: null,
          stats: {},
          steps: seq(),
          harnessError: `workers did not stop within ${STOP_GRACE_MS} ms of being asked (${watchdogNote ?? 'violation found'}); blocked: ${blockedLines}`,
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
