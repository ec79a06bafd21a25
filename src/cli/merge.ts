/**
 * `mmu-stress merge a.jsonl b.jsonl ...`: the results files of a campaign's shards (or
 * of runs resumed on several machines) combined into one table and one exit code, as
 * the unsharded campaign would print them. A row found in two files is bad input; a
 * planned row found in none makes the merge fail (a shard that did not finish).
 */
import { readRecords, type RowRecord } from '../report/records.js';
import { BadInput } from '../rt/errors.js';
import { type CommandSpec, commandHelp, has, parseCommand, str } from './args.js';
import { campaignOutput, campaignPlan } from './campaign.js';
import type { CommandOutput } from './command.js';
import { checkOutputs, writeReports } from '../report/files.js';

export const MERGE_SPEC: CommandSpec = {
  name: 'merge',
  summary: "Combine the results files (--out) of a campaign's shards into one table and one exit code, as the campaign gives it: 0 only if every planned row is there and as expected or not reproduced on threads.",
  positionals: [{ name: 'file', help: 'a results file (JSON lines) written by campaign --out' }],
  variadic: true,
  flags: {
    junit: { value: 'FILE', help: 'also write the merged rows as JUnit XML' },
    html: { value: 'FILE', help: 'also write the merged rows as a self-contained HTML report' },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

/** The rows of several results files, in the campaign's order; a row in two files is bad input. */
export async function mergeRecords(files: string[]): Promise<{ rows: RowRecord[]; planned: number; plannedKeys: string[] }> {
  const from = new Map<string, { rec: RowRecord; file: string }>();
  for (const file of files) {
    for (const rec of readRecords(file)) {
      const seen = from.get(rec.key);
      if (seen) throw new BadInput(`row '${rec.key}' is in both ${seen.file} and ${file}: merge takes each row once (shards do not overlap)`);
      from.set(rec.key, { rec, file });
    }
  }
  const plan = await campaignPlan();
  const order = new Map(plan.map((p) => [p.key, p.index]));
  for (const { rec, file } of from.values()) {
    if (!order.has(rec.key)) throw new BadInput(`${file}: row '${rec.key}' is not a row of this mmu-stress's campaign (another version's?)`);
  }
  const rows = [...from.values()].map((x) => x.rec).sort((a, b) => (order.get(a.key) as number) - (order.get(b.key) as number));
  // the same seed and cap, and the same results version (a version 1 file's sim rows had time budgets)
  const seeds = new Set(rows.map((r) => `--seed ${r.seed} --time-per-variant ${r.budgetMs}ms (results version ${r.v})`));
  if (seeds.size > 1) throw new BadInput(`the files come from different campaigns (${[...seeds].join(' and ')}): merge the shards of one`);
  return { rows, planned: plan.length, plannedKeys: plan.map((p) => p.key) };
}

export async function mergeCommand(argv: string[]): Promise<CommandOutput> {
  const a = parseCommand(MERGE_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(MERGE_SPEC), help: true };
  checkOutputs([{ flag: 'junit', file: str(a, 'junit') }, { flag: 'html', file: str(a, 'html') }], a.positional.map((file) => ({ what: 'a results file merge reads', file })));
  const { rows, planned, plannedKeys } = await mergeRecords(a.positional);
  await writeReports({ junit: str(a, 'junit'), html: str(a, 'html'), planned, plannedKeys }, rows, 'mmu-stress campaign (merged)');
  const budget = rows[0]?.budgetMs ?? 30_000;
  const flag = `--time-per-variant ${budget}ms`;
  return campaignOutput(rows, {
    total: planned,
    json: has(a, 'json'),
    signal: null,
    interruptCode: null,
    elapsedMs: rows.reduce((t, r) => t + r.elapsedMs, 0),
    limitFlags: { time: flag, 'execution-limit': flag },
  });
}
