/**
 * How many threads findings replay exactly in sim: for every bug variant of every
 * built-in scenario, threads runs with seeds 1000, 2000, ... (each until its first
 * violation, at most `budget` seconds) until `findings` of them found their bug (or
 * twice that many runs), each finding replayed in sim (src/exec/reproduce.ts). Counts
 * "same violation at the same op", "same violation at another op", "diverged" (and of
 * those, how many diverged into a starvation verdict), and runs that found nothing.
 *   npx tsx bench/threads-replay.ts [findings] [budget-seconds] [scenario[/variant],...] [--log FILE]
 * --log FILE: one JSON line per finding (variant, seed, verdict, line; for a replay that was not exact, the sim token
 * and the threads violation with its trace), to classify divergences.
 */
import { appendFileSync } from 'node:fs';
import { run } from '../src/exec/run.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { variantParams } from '../src/scenario.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';

const args = process.argv.slice(2);
const logAt = args.indexOf('--log');
const log = logAt >= 0 ? args.splice(logAt, 2)[1] : null;
const findings = Number(args[0] ?? 20);
const budgetS = Number(args[1] ?? 10);
const only = args[2]?.split(',');
const wanted = (name: string, variant: string) => !only || only.includes(name) || only.includes(`${name}/${variant}`);
const threads = new ThreadsExecutor();
const rows: string[] = [];
const total = { found: 0, same: 0, other: 0, diverged: 0, starved: 0 };
try {
  for (const name of builtinNames()) {
    const sc = await loadScenario(name);
    for (const [variant, def] of Object.entries(sc.def.variants)) {
      if (def.expect === 'ok' || !wanted(name, variant)) continue;
      const count = { same: 0, 'other-op': 0, diverged: 0, unrecorded: 0, none: 0, starved: 0 };
      const examples: string[] = [];
      let found = 0;
      for (let k = 1; found < findings && k <= 2 * findings; k++) {
        const r = await run({ scenario: sc, variant, params: variantParams(sc.def, variant), mode: 'threads', seed: k * 1000, executions: null, timeMs: budgetS * 1000, threads });
        if (!r.violation || !r.reproduced) {
          count.none++;
          continue;
        }
        found++;
        const rep = r.reproduced;
        count[rep.verdict]++;
        // the artefact of issue 21: a replay that invents a starvation verdict
        if (rep.verdict === 'diverged' && / for more than [\d,]+ scheduling steps/.test(rep.line)) count.starved++;
        if (rep.verdict !== 'same' && examples.length < 2) examples.push(rep.line);
        if (log) appendFileSync(log, `${JSON.stringify({ scenario: name, variant, seed: k * 1000, executions: r.executions, verdict: rep.verdict, line: rep.line, recorded: rep.recorded, ...(rep.verdict === 'same' ? {} : { token: rep.token, threads: { kind: r.violation.kind, task: r.violation.task, op: r.violation.op, message: r.violation.message, trace: r.violation.trace } }) })}\n`);
      }
      total.found += found;
      total.same += count.same;
      total.other += count['other-op'];
      total.diverged += count.diverged + count.unrecorded;
      total.starved += count.starved;
      const line = `| ${name} | ${variant} | ${found} | ${count.same} | ${count['other-op']} | ${count.diverged + count.unrecorded} | ${count.starved} |`;
      rows.push(line);
      console.log(line, examples.length ? `  e.g. ${examples.join(' / ')}` : '');
    }
  }
} finally {
  await threads.close();
}
const pc = (x: number) => `${Math.round((100 * x) / Math.max(1, total.found))} %`;
console.log(
  [
    '',
    '| scenario | variant | threads findings | same violation, same op | same violation, other op | diverged | of which into a starvation verdict |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    `| **all** | | **${total.found}** | **${total.same} (${pc(total.same)})** | **${total.other} (${pc(total.other)})** | **${total.diverged} (${pc(total.diverged)})** | **${total.starved}** |`,
  ].join('\n'),
);
