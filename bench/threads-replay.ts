/**
 * How many threads findings replay exactly in sim: for every bug variant of every
 * built-in scenario, `findings` threads runs with seeds 1000, 2000, ... (each until its
 * first violation, at most `budget` seconds), each finding replayed in sim from the order
 * its steps began in. Counts "same violation at the same op", "same violation at another
 * op", "diverged", and runs that found nothing in their budget.
 *   npx tsx bench/threads-replay.ts [findings] [budget-seconds] [scenario,...]
 */
import { run } from '../src/exec/run.js';
import { ThreadsExecutor } from '../src/exec/threads.js';
import { variantParams } from '../src/scenario.js';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';

const findings = Number(process.argv[2] ?? 20);
const budgetS = Number(process.argv[3] ?? 10);
const only = process.argv[4]?.split(',');
const threads = new ThreadsExecutor();
const rows: string[] = [];
try {
  for (const name of builtinNames()) {
    if (only && !only.includes(name)) continue;
    const sc = await loadScenario(name);
    for (const [variant, def] of Object.entries(sc.def.variants)) {
      if (def.expect === 'ok') continue;
      const count = { same: 0, 'other-op': 0, diverged: 0, unrecorded: 0, none: 0 };
      const diverged: string[] = [];
      for (let k = 1; k <= findings; k++) {
        const r = await run({ scenario: sc, variant, params: variantParams(sc.def, variant), mode: 'threads', seed: k * 1000, executions: null, timeMs: budgetS * 1000, threads });
        if (!r.violation || !r.reproduced) count.none++;
        else {
          count[r.reproduced.verdict]++;
          if (r.reproduced.verdict !== 'same' && diverged.length < 2) diverged.push(r.reproduced.line);
        }
      }
      const found = findings - count.none;
      const line = `| ${name} | ${variant} | ${found} | ${count.same} | ${count['other-op']} | ${count.diverged} |`;
      rows.push(line);
      console.log(line, diverged.length ? `  e.g. ${diverged.join(' / ')}` : '');
    }
  }
} finally {
  await threads.close();
}
console.log(['', '| scenario | variant | threads findings | same violation, same op | same violation, other op | diverged |', '|---|---|---|---|---|---|', ...rows].join('\n'));
