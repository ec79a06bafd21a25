/**
 * How the sim executor ends its worker (SimExecutor.close, src/exec/end-worker.ts): an idle
 * worker is asked to leave and exits by itself (exit code 0), rather than being terminated
 * (exit code 1), which under Node 20 can abort the process when V8 is still compiling
 * the worker's code in the background; a worker that never reads the request (still
 * inside a run) is terminated once the grace is over.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { run } from '../src/exec/run.js';
import { SimExecutor } from '../src/exec/sim-runner.js';
import { STOP_GRACE_MS } from '../src/exec/limits.js';
import { loadScenario } from '../src/load/scenarios.js';

const abba = await loadScenario(join(import.meta.dirname, 'fixtures', 'abba.ts'));
/** abba's 'busy' variant with short executions: same lock order, no finding, ever. */
const busy = { scenario: abba, variant: 'busy', params: { ...abba.def.params, busyMs: 1 }, mode: 'sim' as const, seed: 1, timeMs: null };

/** The exit codes of the worker threads this process starts from now on, until `stop()`. */
function watchWorkers(): { exits: Promise<number>[]; stop: () => void } {
  const exits: Promise<number>[] = [];
  const onWorker = (w: Worker) => exits.push(new Promise((resolve) => w.once('exit', resolve)));
  process.on('worker', onWorker);
  return { exits, stop: () => process.off('worker', onWorker) };
}

describe('SimExecutor.close()', () => {
  it('lets an idle worker leave by itself: it exits with code 0, not terminated', async () => {
    const sim = new SimExecutor();
    const watch = watchWorkers();
    try {
      const r = await run({ ...busy, executions: 3, sim });
      expect(r.harnessError).toBeNull();
      expect(r.executions).toBe(3);
    } finally {
      await sim.close();
      watch.stop();
    }
    expect(watch.exits).toHaveLength(1);
    expect(await watch.exits[0]).toBe(0);
  });

  it('still ends a worker that never reads the request (inside a run without end): terminated after the grace', async () => {
    const sim = new SimExecutor();
    const watch = watchWorkers();
    let began = () => {};
    const running = new Promise<void>((resolve) => {
      began = resolve;
    });
    // no count, no time budget: the worker's loop of executions never returns to its event loop
    const ran = run({ ...busy, executions: null, sim, onExecution: () => began() });
    let closeMs = 0;
    try {
      await running;
      const t0 = performance.now();
      await sim.close();
      closeMs = performance.now() - t0;
    } finally {
      await sim.close();
      watch.stop();
    }
    expect(watch.exits).toHaveLength(1);
    expect(await watch.exits[0]).toBe(1); // terminated
    // the grace, then the termination: a generous margin over STOP_GRACE_MS on a loaded machine
    expect(closeMs).toBeLessThan(STOP_GRACE_MS + 10_000);
    expect((await ran).harnessError).toMatch(/the sim worker exited unexpectedly \(exit code 1\)/);
  }, 60_000);
});
