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
import { DEFAULT_JITTER, type Jitter } from './drive.js';
import { CTL_SEQ, CTL_STOP, newFrame, STOP_VIOLATION, STOP_WATCHDOG } from './frame.js';
import { addStats, type ExecutionResult } from './result.js';
import { mergeTraces } from './trace.js';
import type { RoleResult, RoleTask } from './worker.js';

const WORKER = fileURLToPath(new URL('../../workers/role-worker.mjs', import.meta.url));

export interface ThreadsOptions {
  jitter: Jitter;
  /** An execution still running after this long is stopped by the watchdog. */
  watchdogMs: number;
  traceLines: number;
}

export const THREADS_DEFAULTS: ThreadsOptions = { jitter: DEFAULT_JITTER, watchdogMs: 20_000, traceLines: 40 };

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
        jitter: opts.jitter,
        startTimeoutMs: Math.min(opts.watchdogMs, 10_000),
      };
      return pool.run(job) as Promise<RoleResult>;
    });

    const seq = () => Atomics.load(i32, frame.ctl + CTL_SEQ);
    let watchdogFinding: Violation | null = null;
    let watchdogNote: string | null = null;
    let lastCycle = '';
    const started = Date.now();
    const blockedOn = () => frame.instances.map((i) => Atomics.load(i32, frame.blocked + i.id) - 1);
    const tick = setInterval(() => {
      const g = waitGraph(i32, names, blockedOn());
      const cycle = g.cycle?.join(',') ?? '';
      // A cycle seen on two ticks in a row is a deadlock, not a passing wait.
      if (cycle && cycle === lastCycle && watchdogFinding === null) {
        if (Atomics.compareExchange(i32, frame.ctl + CTL_STOP, 0, STOP_VIOLATION) === 0) {
          watchdogFinding = deadlockViolation(g, names, seq(), 'threads: the same wait-for cycle on two watchdog ticks');
        }
      }
      lastCycle = cycle;
      if (Date.now() - started > opts.watchdogMs && Atomics.compareExchange(i32, frame.ctl + CTL_STOP, 0, STOP_WATCHDOG) === 0) {
        if (g.lines.length > 0) watchdogFinding = deadlockViolation(g, names, seq(), `threads: still blocked after ${opts.watchdogMs} ms`);
        else watchdogNote = `execution still running after ${opts.watchdogMs} ms with no thread blocked on a lock`;
      }
    }, WATCHDOG_TICK_MS);

    let results: PromiseSettledResult<RoleResult>[];
    try {
      const all = Promise.allSettled(jobs);
      let hardTimer: NodeJS.Timeout | undefined;
      const hard = new Promise<null>((res) => {
        hardTimer = setTimeout(() => res(null), opts.watchdogMs + STOP_GRACE_MS);
      });
      const r = await Promise.race([all, hard]);
      clearTimeout(hardTimer);
      if (r === null) {
        await this.close(); // workers that ignore the stop request are terminated
        return {
          seed,
          violation: null,
          stats: {},
          steps: seq(),
          harnessError: `workers did not stop within ${STOP_GRACE_MS} ms of the watchdog; blocked: ${waitGraph(i32, names, blockedOn()).lines.join('; ') || 'none'}`,
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
    if (violation === null && s.check) violation = s.check(frame.world, p, variant, seq());
    const v = violation as Violation | null;
    if (v) {
      v.seed = seed;
      v.trace = mergeTraces(frame.rings, names, v.step || seq(), opts.traceLines);
    }
    return { seed, violation: v, stats, steps: seq() };
  }
}
