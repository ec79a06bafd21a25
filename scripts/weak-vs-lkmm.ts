/**
 * sim's weak model against LKMM, over folders of litmus tests:
 * `npx tsx scripts/weak-vs-lkmm.ts DIR... [--max-executions N] [--time 5s] [--show]`.
 *
 * For every `*.litmus` file under each DIR (walked as `mmu-stress litmus` walks it), the
 * final states the operational engine (src/litmus/explore.ts, the weak model sim's
 * `--memory weak` runs) reaches are compared with those the exact checker
 * (src/litmus/lkmm/check.ts) finds in LKMM's allowed executions, before the exists clause
 * (src/litmus/weak-vs-lkmm.ts). Per DIR it reports:
 *  - files compared, files the engine cannot run (by construct), files the checker cannot,
 *    files a bound stopped, files that are not C litmus tests or do not parse;
 *  - soundness: files where every reached state is allowed; every file where one is not is
 *    printed with the extra state (UNSOUND lines, always);
 *  - completeness: allowed states reached out of allowed states (in total), the mean of the
 *    per-file fractions, and the files where every allowed state is reached.
 * --show prints every compared file's fraction and its missing states, and every file a bound stopped.
 * Exit code: 1 if any file is unsound, 0 otherwise.
 */
import { readFileSync, statSync } from 'node:fs';
import { litmusFilesUnder } from '../src/cli/litmus.js';
import { LitmusSyntax, OtherArch, parseLitmus, Unsupported } from '../src/litmus/parse.js';
import { compareWithLkmm } from '../src/litmus/weak-vs-lkmm.js';

const args = process.argv.slice(2);
const argAfter = (f: string) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const timeArg = argAfter('--time');
const timeMs = timeArg === undefined ? 10_000 : Number.parseFloat(timeArg) * (timeArg.endsWith('ms') ? 1 : 1000);
const maxExecutions = Number(argAfter('--max-executions') ?? 200_000);
const show = args.includes('--show');
const dirs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--time' && args[i - 1] !== '--max-executions');
if (dirs.length === 0 || !Number.isFinite(timeMs) || !(maxExecutions > 0)) {
  console.error('usage: npx tsx scripts/weak-vs-lkmm.ts DIR... [--max-executions N] [--time 5s] [--show]');
  process.exit(2);
}

interface Tally {
  files: number;
  compared: number;
  sound: number;
  reached: number;
  allowed: number;
  fractionSum: number;
  full: number;
  notC: number;
  error: number;
  incomplete: { explore: number; lkmm: number };
  exploreUnsupported: Map<string, number>;
  lkmmUnsupported: Map<string, number>;
}

let unsound = 0;
const t0 = performance.now();
for (const d of dirs) {
  const files = statSync(d).isDirectory() ? litmusFilesUnder(d) : [d];
  const t: Tally = {
    files: files.length,
    compared: 0,
    sound: 0,
    reached: 0,
    allowed: 0,
    fractionSum: 0,
    full: 0,
    notC: 0,
    error: 0,
    incomplete: { explore: 0, lkmm: 0 },
    exploreUnsupported: new Map(),
    lkmmUnsupported: new Map(),
  };
  for (const f of files) {
    let test: ReturnType<typeof parseLitmus>;
    try {
      test = parseLitmus(readFileSync(f, 'utf8'));
    } catch (e) {
      if (e instanceof OtherArch) t.notC++;
      else if (e instanceof LitmusSyntax || e instanceof Unsupported) t.error++;
      else throw e;
      continue;
    }
    const c = compareWithLkmm(test, { maxExecutions, timeMs });
    if (c.kind === 'explore-unsupported') t.exploreUnsupported.set(c.construct, (t.exploreUnsupported.get(c.construct) ?? 0) + 1);
    else if (c.kind === 'lkmm-unsupported') t.lkmmUnsupported.set(c.construct, (t.lkmmUnsupported.get(c.construct) ?? 0) + 1);
    else if (c.kind === 'incomplete') {
      t.incomplete[c.side]++;
      if (show) console.log(`incomplete (${c.side === 'lkmm' ? 'checker' : 'explore'})\t${f}`);
    }
    else {
      t.compared++;
      if (c.extra.length === 0) t.sound++;
      else {
        unsound++;
        console.log(`UNSOUND\t${f}\tsim reaches, LKMM forbids: ${c.extra.join(' | ')}`);
      }
      const hit = c.allowed.length - c.missing.length;
      t.reached += hit;
      t.allowed += c.allowed.length;
      t.fractionSum += c.allowed.length ? hit / c.allowed.length : 1;
      if (c.missing.length === 0) t.full++;
      if (show) console.log(`${hit}/${c.allowed.length}\t${f}${c.missing.length ? `\tmissing: ${c.missing.join(' | ')}` : ''}`);
    }
  }
  const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `      ${n}  ${k}`)
      .join('\n');
  const exploreRefused = [...t.exploreUnsupported.values()].reduce((a, b) => a + b, 0);
  const lkmmRefused = [...t.lkmmUnsupported.values()].reduce((a, b) => a + b, 0);
  console.log(`${d}: ${t.files} files`);
  console.log(`  compared ${t.compared}; sim cannot run ${exploreRefused}; checker cannot run ${lkmmRefused}; incomplete (explore ${t.incomplete.explore}, checker ${t.incomplete.lkmm}); not C ${t.notC}; parse error ${t.error}`);
  console.log(`  sound: ${t.sound} of ${t.compared} files (${t.compared - t.sound} reach a state LKMM forbids)`);
  console.log(
    `  complete: ${t.reached} of ${t.allowed} allowed states reached (${pct(t.reached, t.allowed)}); mean per file ${pct(t.fractionSum, t.compared)}; every allowed state reached in ${t.full} of ${t.compared} files`,
  );
  if (exploreRefused) console.log(`  sim cannot run, by construct:\n${list(t.exploreUnsupported)}`);
  if (lkmmRefused) console.log(`  checker cannot run, by construct:\n${list(t.lkmmUnsupported)}`);
}
console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(unsound > 0 ? 1 : 0);
