#!/usr/bin/env node
/**
 * A behaviour fingerprint of the sim executor: every built-in variant run in sim with
 * fixed seeds and budgets (random and pct, sc and weak, dfs with and without weak
 * memory), each finding's replay token replayed, and the JSON results (schedules,
 * steps, violations, traces, stale-read explanations, shrinking) written one line per
 * run with the wall-clock fields taken out. Two trees whose fingerprints are byte for
 * byte the same run sim the same way: a check for a change meant to keep behaviour.
 *
 *   node scripts/fingerprint.mjs [TREE] [ONLY] > fingerprint.jsonl
 *
 * TREE: the checkout whose bin/mmu-stress.mjs runs (default: this one); ONLY: a regular
 * expression the run's name (scenario/variant/kind) must match. Slow: about 270
 * commands, 15-20 minutes on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const tree = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const bin = join(tree, 'bin/mmu-stress.mjs');
const only = new RegExp(process.argv[3] ?? '');

/** What a run's JSON carries that depends on the clock, not on the schedule. */
const CLOCK_FIELDS = new Set(['elapsedMs', 'firstViolationMs']);

function mmu(args) {
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 28 });
  let doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    doc = { unparsed: r.stdout, stderr: r.stderr };
  }
  return { code: r.status, doc: JSON.parse(JSON.stringify(doc, (k, v) => (CLOCK_FIELDS.has(k) ? undefined : v))) };
}

const list = mmu(['list']).doc.scenarios;
const RUNS = {
  'random-sc': ['--memory', 'sc', '--executions', '15'],
  'pct-sc': ['--memory', 'sc', '--strategy', 'pct', '--executions', '15'],
  'random-weak': ['--memory', 'weak', '--executions', '15'],
  'pct-weak': ['--memory', 'weak', '--strategy', 'pct', '--executions', '15'],
  'dfs-sc': ['--memory', 'sc', '--strategy', 'dfs', '--preemptions', '1', '--executions', '20'],
  'dfs-weak': ['--memory', 'weak', '--strategy', 'dfs', '--preemptions', '1', '--executions', '20'],
};
for (const s of list) {
  for (const v of s.variants) {
    for (const [name, flags] of Object.entries(RUNS)) {
      if (!only.test(`${s.name}/${v.name}/${name}`)) continue;
      const args = ['run', s.name, '--variant', v.name, '--mode', 'sim', '--seed', '1', '--jobs', '1', ...flags];
      const r = mmu(args);
      process.stdout.write(`${JSON.stringify({ run: `${s.name}/${v.name}/${name}`, ...r })}\n`);
      for (const [k, viol] of (r.doc.violations ?? []).entries()) {
        const m = /--schedule (\S+)/.exec(viol.replay ?? '');
        if (!m) continue;
        const mem = r.doc.memory ?? 'sc';
        const again = mmu(['run', s.name, '--variant', v.name, '--mode', 'sim', '--memory', mem, '--schedule', m[1]]);
        const w = again.doc.violations?.[0];
        const same = w !== undefined && w.kind === viol.kind && w.step === viol.step && w.message === viol.message;
        process.stdout.write(`${JSON.stringify({ run: `${s.name}/${v.name}/${name}/replay${k}`, replays: same, ...again })}\n`);
      }
    }
  }
}
