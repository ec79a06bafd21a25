/**
 * The peer benchmark: the same minimal shrinker-vs-fault race written once with
 * fast-check's scheduler (bench/peer/fast-check-race.ts) and once as a scenario here
 * (bench/peer/race-scenario.ts), run side by side on one thread.
 *
 * Both run from one esbuild bundle of bench/peer/measure.ts, built here: that is how the
 * CLI runs a scenario (its sim workers load a bundle, never the TypeScript sources), and
 * fast-check's twin gets the same treatment. The rates alternate, ours then theirs, for
 * `rounds` rounds of `seconds` each, so that a slow spell of the machine hits both; the
 * table gives the median of each and the median of the round-by-round ratios. Then the
 * executions and time to the first violation of the buggy variant, over `runs` seeds.
 *   npx tsx bench/peer.ts [seconds] [runs] [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

type Measure = typeof import('./peer/measure.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function loadBundled(): Promise<Measure> {
  const out = await esbuild.build({
    entryPoints: [join(import.meta.dirname, 'peer', 'measure.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  const dir = mkdtempSync(join(tmpdir(), 'mmu-stress-peer-'));
  try {
    const file = join(dir, 'measure.mjs');
    writeFileSync(file, out.outputFiles[0].text);
    return (await import(pathToFileURL(file).href)) as Measure;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPeer(seconds: number, runs: number, rounds: number): Promise<string[]> {
  const m = await loadBundled();
  m.oursRate(1000); // warm up both
  await m.theirsRate(1000);
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(m.oursRate(seconds * 1000));
    theirs.push(await m.theirsRate(seconds * 1000));
    ratios.push(ours[r] / theirs[r]);
  }
  const first = { ours: [] as { executions: number; ms: number }[], theirs: [] as { executions: number; ms: number }[] };
  for (let k = 0; k < runs; k++) {
    first.ours.push(m.oursFirst(k));
    first.theirs.push(await m.theirsFirst(k + 1));
  }
  const range = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  const cell = (xs: { executions: number; ms: number }[]) =>
    `${median(xs.map((x) => x.executions))} / ${Math.max(...xs.map((x) => x.executions))} executions, ${median(xs.map((x) => x.ms)).toFixed(1)} / ${Math.max(...xs.map((x) => x.ms)).toFixed(1)} ms`;
  return [
    `| | executions/s (trylock, clean), median (range) of ${rounds} rounds of ${seconds} s | to the first violation (no-lock), median / worst of ${runs} |`,
    '|---|---:|---|',
    `| mmu-stress sim (one thread) | ${range(ours)} | ${cell(first.ours)} |`,
    `| fast-check ${m.fastCheckVersion} fc.scheduler() | ${range(theirs)} | ${cell(first.theirs)} |`,
    `| ratio, median (range) of the rounds | **${median(ratios).toFixed(1)}x** (${Math.min(...ratios).toFixed(1)}x–${Math.max(...ratios).toFixed(1)}x) | |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seconds, runs, rounds] = [Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 5)];
  console.log((await benchPeer(seconds, runs, rounds)).join('\n'));
}
