/**
 * Peak memory of whole commands (the process with every worker thread), by execution
 * length: a default execution, a long one, and the longest the defaults allow (cut by
 * the time budget here; pass `--long` for a full default --execution-limit of 2 min).
 *   npx tsx bench/memory.ts [--long]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function peak(args: string[]): { kib: number; seconds: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'bench', 'report-rss.mjs'), join(ROOT, 'bin', 'mmu-stress.mjs'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const kib = Number(/peak-rss-kib (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { kib, seconds: (performance.now() - t0) / 1000, code: r.status };
}

export function benchMemory(long: boolean): string[] {
  const limit = long ? [] : ['--time', '20s'];
  const cases: [string, string[]][] = [
    ['sim, default execution (2 vCPUs x 100 faults), 1 execution', ['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--executions', '1']],
    ['sim, default run (1000 default executions)', ['run', 'shrinker-vs-fault', '--variant', 'cache-lock']],
    ['sim, 2 vCPUs x 10,000,000 faults, cut by the limit', ['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--param', 'faults=10000000', '--executions', '1', ...limit]],
    ['threads, default execution, 1 execution', ['run', 'shrinker-vs-fault', '--variant', 'cache-lock', '--mode', 'threads', '--executions', '1']],
    ['threads, 24 vCPUs x 10,000,000 faults, cut by the limit', ['run', 'shrinker-vs-fault', '--variant', 'removed', '--mode', 'threads', '--vcpus', '24', '--param', 'faults=10000000', '--executions', '1', ...limit]],
  ];
  const rows = ['| what | command ends | wall s | peak RSS, MiB |', '|---|---|---:|---:|'];
  for (const [what, args] of cases) {
    const r = peak(args);
    const end = r.code === 0 ? 'exit 0' : r.code === 3 ? 'exit 3 (incomplete)' : `exit ${r.code}`;
    rows.push(`| ${what} | ${end} | ${r.seconds.toFixed(1)} | ${(r.kib / 1024).toFixed(0)} |`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(benchMemory(process.argv.includes('--long')).join('\n'));
}
