/**
 * The peer benchmark on whole commands: fast-check's twin as a JavaScript developer
 * writes it (bench/peer/fast-check-whole.mjs: one scheduled point per lock call and per
 * cache access, plain JavaScript under node) against `mmu-stress run` of the same race
 * (bench/peer/race-scenario.ts, its clean trylock variant), each a fresh process running
 * `executions` executions, start-up and exit included. The two alternate, ours then
 * theirs, `rounds` times, so that a slow spell of a shared machine hits both; the ratio
 * is the median of the round-by-round ratios of the processes' wall times.
 *   npx tsx bench/peer-whole.ts [executions] [rounds]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export function oursCommand(executions: number): string[] {
  return [join(root, 'bin', 'mmu-stress.mjs'), 'run', join(root, 'bench', 'peer', 'race-scenario.ts'), '--variant', 'trylock', '--executions', String(executions), '--no-shrink', '--quiet', '--jobs', '1'];
}

export function theirsCommand(executions: number): string[] {
  return [join(root, 'bench', 'peer', 'fast-check-whole.mjs'), String(executions)];
}

/** One whole process, started and reaped: its wall seconds. */
function timeProcess(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function benchPeerWhole(executions: number, rounds: number): string[] {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(timeProcess(oursCommand(executions)));
    theirs.push(timeProcess(theirsCommand(executions)));
  }
  const ratios = ours.map((o, r) => theirs[r] / o);
  const cell = (xs: number[]) => `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  return [
    `| whole command, ${executions.toLocaleString('en-US')} executions of the trylock race | wall, median (range) of ${rounds} |`,
    '|---|---:|',
    `| \`mmu-stress run bench/peer/race-scenario.ts --jobs 1\` | ${cell(ours)} |`,
    `| \`node bench/peer/fast-check-whole.mjs\` (fast-check's scheduler) | ${cell(theirs)} |`,
    `| fast-check's time / ours, median of the paired ratios | **${median(ratios).toFixed(1)}x** (${Math.min(...ratios).toFixed(1)}x–${Math.max(...ratios).toFixed(1)}x) |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [executions, rounds] = [Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 5)];
  console.log(benchPeerWhole(executions, rounds).join('\n'));
}
