/**
 * A run that needs nothing but plain Atomics (sim, sc memory, a strategy that watches no
 * access) loads a worker bundle whose model calls Atomics directly (src/load/bundle.ts,
 * BundleMemory). It must run exactly as the bundle with the memory seam does, and refuse
 * any other memory rather than ignore it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleMemory, buildWorkerBundle, plainCalls } from '../src/load/bundle.js';
import { resolveRunConfig, type RunOptions } from '../src/exec/config.js';
import type { SimMessage, SimRequest } from '../src/exec/sim-worker.js';
import { SIM_CONTROL_WORDS } from '../src/exec/sim-worker.js';
import { plainMemoryRun } from '../src/exec/sim-runner.js';
import * as oneThread from '../src/rt/one-thread.js';
import type { WorkerApi } from '../src/exec/worker-api.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mmu-stress-plain-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bundles = {} as Record<BundleMemory, WorkerApi>;
beforeAll(async () => {
  for (const memory of ['seam', 'plain'] as const) {
    const { code } = await buildWorkerBundle(join(ROOT, 'scenarios', 'shrinker-vs-fault.ts'), memory);
    const file = join(dir, `${memory}.mjs`);
    writeFileSync(file, code);
    bundles[memory] = (await import(pathToFileURL(file).href)).default as WorkerApi;
  }
}, 120_000);

/** The run's messages from one bundle, in-process (what a sim worker would post). */
async function run(memory: BundleMemory, o: Partial<RunOptions>): Promise<SimMessage[]> {
  const { config } = await resolveRunConfig({ scenario: 'shrinker-vs-fault', mode: 'sim', ...o });
  const req: SimRequest = { bundle: '', config, control: new SharedArrayBuffer(SIM_CONTROL_WORDS * 4) };
  const out: SimMessage[] = [];
  bundles[memory].runSim(req, (m) => out.push(m));
  return out;
}

describe('the worker bundle for plain memory', () => {
  it('compiles the package sources\' shared.* calls as the one-thread accesses of their names, and leaves every other call as written', () => {
    // the import goes on the first line, so that every line of the file keeps its number in stacks
    const head = (names: string) => `import { ${names} } from "/one-thread.ts"; `;
    expect(plainCalls('shared.load(i32, i) + shared.compareExchange(a, i, 0, 1)', '/one-thread.ts')).toBe(
      `${head('loadOne as __mmu_loadOne, compareExchangeOne as __mmu_compareExchangeOne')}__mmu_loadOne(i32, i) + __mmu_compareExchangeOne(a, i, 0, 1)`,
    );
    // the marked kinds: the same access, their extra arguments still evaluated (a trace step)
    expect(plainCalls("shared.loadRelaxed(a, i, 'READ_ONCE', w); shared.storeRelease(a, i, v, t.trace(1, i, v))", '/one-thread.ts')).toBe(
      `${head('loadOne as __mmu_loadOne, storeOne as __mmu_storeOne')}__mmu_loadOne(a, i, 'READ_ONCE', w); __mmu_storeOne(a, i, v, t.trace(1, i, v))`,
    );
    // every line keeps its number: a stack through a plain bundle names the source's lines
    expect(plainCalls('const a = 1;\nx = shared.load(i32, i);\n', '/one-thread.ts').split('\n')[1]).toBe('x = __mmu_loadOne(i32, i);');
    // what is not an access of its own (a fence, a note for dfs), and what is not the seam
    for (const kept of ['shared.fence(f)', 'shared.lockAcquired()', 'shared.zeroTested?.(a, i)', 'myshared.load(a, i)', 'this.shared.store(a, i, v)', '$shared.add(a, i, 1)'])
      expect(plainCalls(kept)).toBe(kept);
  });

  it('a one-thread access reads, writes and returns what the Atomics call of its name does, and throws where it throws', () => {
    const words = [0, 1, -1, 7, 2 ** 31 - 1, -(2 ** 31)];
    const values = [...words, 2 ** 31, 2 ** 32 + 3, -(2 ** 31) - 1];
    const pairs: [keyof typeof Atomics & string, (a: Int32Array, i: number, ...v: number[]) => number][] = [
      ['load', oneThread.loadOne],
      ['store', oneThread.storeOne],
      ['exchange', oneThread.exchangeOne],
      ['add', oneThread.addOne],
      ['sub', oneThread.subOne],
      ['and', oneThread.andOne],
      ['or', oneThread.orOne],
      ['xor', oneThread.xorOne],
      ['compareExchange', oneThread.compareExchangeOne],
    ];
    for (const [name, one] of pairs) {
      const atomic = (Atomics as unknown as Record<string, (a: Int32Array, i: number, ...v: number[]) => number>)[name];
      for (const w of words) {
        for (const v of values) {
          const args = name === 'compareExchange' ? [w === 0 ? v : w, v + 1] : [v];
          const a = new Int32Array(new SharedArrayBuffer(8));
          const b = new Int32Array(new SharedArrayBuffer(8));
          a[1] = w;
          b[1] = w;
          const got = one(a, 1, ...args);
          const want = atomic(b, 1, ...args);
          // Atomics.store returns the value given as an integer, where the word holds it wrapped
          expect([got, [...a]], `${name}(${w}, ${args})`).toEqual([want, [...b]]);
        }
      }
      for (const i of [-1, 2, Number.NaN, 0.5, undefined as unknown as number]) expect(() => one(new Int32Array(2), i, 1, 1)).toThrow(RangeError);
    }
  });

  it('is chosen only where nothing but plain Atomics is asked: sc memory, and no dfs footprints', () => {
    const random = { name: 'random' } as const;
    expect(plainMemoryRun({ memory: 'sc', strategy: random })).toBe(true);
    expect(plainMemoryRun({ memory: 'weak', strategy: random })).toBe(false);
    expect(plainMemoryRun({ memory: 'sc', strategy: { name: 'dfs', preemptions: 1, reduction: 'merge' } })).toBe(false);
    expect(plainMemoryRun({ memory: 'sc', strategy: { name: 'dfs', preemptions: 1, reduction: 'none' } })).toBe(true);
  });

  it('runs every execution as the bundle with the seam does: the same steps, verdicts, traces and shrunk findings', { timeout: 120_000 }, async () => {
    for (const o of [
      { variant: 'cache-lock', executions: 30 },
      { variant: 'no-cache-lock', executions: 30 },
      { variant: 'cache-lock', executions: 10, strategy: 'pct' },
    ] as Partial<RunOptions>[]) {
      const seam = await run('seam', o);
      const plain = await run('plain', o);
      expect(seam.length).toBeGreaterThan(1);
      expect(plain.length).toBe(seam.length);
      // message by message, so that a difference shows as the first message that differs
      for (let k = 0; k < seam.length; k++) expect(JSON.stringify(plain[k]), `${o.variant} ${o.strategy ?? 'random'}, message ${k}`).toBe(JSON.stringify(seam[k]));
    }
  });

  it('refuses another memory rather than run the model past it', { timeout: 60_000 }, async () => {
    await expect(run('plain', { variant: 'cache-lock', executions: 2, memory: 'weak' })).rejects.toThrow(/plain Atomics was given another memory/);
    await expect(run('plain', { variant: 'cache-lock', executions: 2, strategy: 'dfs', preemptions: '0' })).rejects.toThrow(/plain Atomics was given another memory/);
    expect((await run('seam', { variant: 'cache-lock', executions: 2, memory: 'weak' })).at(-1)?.type).toBe('done');
  });
});
