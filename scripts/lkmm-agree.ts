/**
 * Agreement of the exact LKMM checker (src/litmus/lkmm/) with the verdicts stored in litmus
 * files: `npx tsx scripts/lkmm-agree.ts DIR... [--time 5s] [--show] [--all]`.
 *
 * For every `*.litmus` file under each DIR (recursively), read as it is, the file's
 * `Result:` line (herd7's verdict, as the corpus stores it) is compared with the checker's
 * observation; the counts go per folder: agree, disagree, unsupported (the checker refuses
 * it), error (not a litmus test to the parser), incomplete (past --time), without a Result:
 * line, and other arch (a test for another of herd7's front ends: PPC, X86, LISA, ...).
 *
 * Where a file has herd7's own output beside it (`X.litmus.expected`, as herdtools7's
 * catalogue keeps them), that is the reference instead, and more of it must agree: the
 * observation, the positive and negative execution counts, and the flags.
 *
 * --show prints every disagreement, --all every file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { litmusFilesUnder } from '../src/cli/litmus.js';
import { checkLkmm } from '../src/litmus/lkmm/check.js';
import { LitmusSyntax, OtherArch, parseLitmus, Unsupported } from '../src/litmus/parse.js';

const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const timeArg = args[args.indexOf('--time') + 1];
const timeMs = args.includes('--time') ? Number.parseFloat(timeArg) * (timeArg.endsWith('ms') ? 1 : 1000) : 10_000;
const dirs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--time');

/** A file, or the `*.litmus` files under a folder as `mmu-stress litmus` walks it (symbolic links to folders are not followed). */
function files(p: string): string[] {
  return statSync(p).isDirectory() ? litmusFilesUnder(p) : [p];
}

type Status = 'agree' | 'disagree' | 'unsupported' | 'error' | 'incomplete' | 'no Result' | 'other arch';
const total: Record<string, Record<Status, number>> = {};
const t0 = performance.now();
for (const d of dirs) {
  for (const f of files(d)) {
    const folder = relative(d, f).split('/').slice(0, -1).join('/') || '.';
    const key = `${d}${folder === '.' ? '' : `/${folder}`}`;
    total[key] ??= { agree: 0, disagree: 0, unsupported: 0, error: 0, incomplete: 0, 'no Result': 0, 'other arch': 0 };
    const text = readFileSync(f, 'utf8');
    let status: Status;
    let detail = '';
    try {
      const test = parseLitmus(text);
      const r = checkLkmm(test, { deadline: performance.now() + timeMs });
      const obs = r.some ? (r.all ? 'Always' : 'Sometimes') : 'Never';
      const race = /Result:\s*\w+\s+DATARACE/.test(text);
      const herd = existsSync(`${f}.expected`) ? readFileSync(`${f}.expected`, 'utf8') : null;
      if (herd && r.complete) {
        const m = /Observation \S+ (\w+) (\d+) (\d+)/.exec(herd);
        const herdFlags = [...herd.matchAll(/^Flag (\S+)/gm)].map((x) => x[1]).sort();
        const mine = `${obs} ${r.positive} ${r.negative} flags [${r.flags.join(',')}]`;
        const theirs = `${m?.[1]} ${m?.[2]} ${m?.[3]} flags [${herdFlags.join(',')}]`;
        status = mine === theirs ? 'agree' : 'disagree';
        detail = `${mine}; herd7 ${theirs}`;
        total[key][status]++;
        if ((flag('--show') && status === 'disagree') || flag('--all')) console.log(`${status}\t${f}\t${detail}`);
        continue;
      }
      if (!r.decided) status = 'incomplete';
      else if (!test.expected) status = 'no Result';
      else {
        const same = obs === test.expected || (test.expected === 'Sometimes' && obs === 'Always');
        status = same && race === r.flags.includes('data-race') ? 'agree' : 'disagree';
      }
      detail = `${obs} ${r.positive} ${r.negative}${r.flags.length ? ` flags ${r.flags.join(',')}` : ''}; stored ${test.expected}${race ? ' DATARACE' : ''}`;
    } catch (e) {
      if (e instanceof OtherArch) status = 'other arch';
      else if (e instanceof Unsupported) status = 'unsupported';
      else if (e instanceof LitmusSyntax) status = 'error';
      else throw e;
      detail = (e as Error).message;
    }
    total[key][status]++;
    if ((flag('--show') && status !== 'agree' && status !== 'no Result' && status !== 'other arch') || flag('--all')) console.log(`${status}\t${f}\t${detail}`);
  }
}
for (const [k, c] of Object.entries(total)) console.log(`${k}: ${Object.entries(c).map(([s, n]) => `${n} ${s}`).join(', ')}`);
console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
