/**
 * `mmu-stress merge a.jsonl b.jsonl ...`: the results files of a campaign's shards (or
 * of runs resumed on several machines) combined into one table and one exit code, as
 * the unsharded campaign would print them. A row found in two files is bad input; a
 * planned row found in none makes the merge fail (a shard that did not finish). The plan
 * is the one the shards ran: the scenarios their rows record (campaign/scenario-list.ts).
 * Rows of one scenario run on two versions of its code (their fingerprints) are bad input.
 */
import { readRecords, type RowRecord, type ScenarioList } from '../report/records.js';
import { BadInput } from '../rt/errors.js';
import { type CommandSpec, commandHelp, has, parseCommand, str } from './args.js';
import { campaignOutput, campaignPlan, type PlannedRow } from './campaign.js';
import { sameScenarios, scenarioArgs, scenarioList, scenarioWords } from '../campaign/scenario-list.js';
import { loadScenario } from '../load/scenarios.js';
import type { CommandOutput } from './command.js';
import { checkOutputs, writeReports } from '../report/files.js';

export const MERGE_SPEC: CommandSpec = {
  name: 'merge',
  summary: "Combine the results files (--out) of a campaign's shards into one table and one exit code, as the campaign gives it: 0 only if every planned row is there and as expected or not reproduced on threads. The rows planned are those of the scenarios the campaign was given (recorded in the files); a scenario file's path is resolved against the working directory.",
  positionals: [{ name: 'file', help: 'a results file (JSON lines) written by campaign --out' }],
  variadic: true,
  flags: {
    junit: { value: 'FILE', help: 'also write the merged rows as JUnit XML' },
    html: { value: 'FILE', help: 'also write the merged rows as a self-contained HTML report' },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

/**
 * The rows of several results files, in the campaign's order; a row in two files is bad
 * input. The plan is rebuilt from the scenarios the rows record (none: the built-in
 * campaign), their files found from this process's working directory.
 */
export async function mergeRecords(files: string[]): Promise<{ rows: RowRecord[]; planned: number; plannedKeys: string[] }> {
  const from = new Map<string, { rec: RowRecord; file: string }>();
  let first: { list: ScenarioList; file: string } | null = null;
  const code = new CodeOfScenarios();
  for (const file of files) {
    for (const rec of readRecords(file)) {
      const seen = from.get(rec.key);
      if (seen) throw new BadInput(`row '${rec.key}' is in both ${seen.file} and ${file}: merge takes each row once (shards do not overlap)`);
      from.set(rec.key, { rec, file });
      const list = rec.campaignScenarios ?? null;
      first ??= { list, file };
      if (!sameScenarios(list, first.list)) {
        throw new BadInput(`${first.file} and ${file} come from campaigns over different scenarios (${scenarioWords(first.list)}; ${scenarioWords(list)}): merge the shards of one campaign`);
      }
      code.check(rec, file);
    }
  }
  const list = first?.list ?? null;
  const plan = await planOf(list);
  const order = new Map(plan.map((p) => [p.key, p.index]));
  const whose = list === null ? "this mmu-stress's campaign (another version's?)" : `the campaign over ${scenarioWords(list)} as they are now (changed since it ran?)`;
  for (const { rec, file } of from.values()) {
    if (!order.has(rec.key)) throw new BadInput(`${file}: row '${rec.key}' is not a row of ${whose}`);
  }
  const rows = [...from.values()].map((x) => x.rec).sort((a, b) => (order.get(a.key) as number) - (order.get(b.key) as number));
  // the same seed and cap, and the same results version (a version 1 file's sim rows had time budgets)
  const seeds = new Set(rows.map((r) => `--seed ${r.seed} --time-per-variant ${r.budgetMs}ms (results version ${r.v})`));
  if (seeds.size > 1) throw new BadInput(`the files come from different campaigns (${[...seeds].join(' and ')}): merge the shards of one`);
  return { rows, planned: plan.length, plannedKeys: plan.map((p) => p.key) };
}

/**
 * One scenario's rows were all run on one version of its code (the rows' fingerprints,
 * load/fingerprint.ts): a merged verdict over two versions would be a verdict on neither.
 * A row without a fingerprint (an older mmu-stress wrote it) goes with any, as before.
 */
class CodeOfScenarios {
  private readonly seen = new Map<string, { fingerprint: string; file: string }>();

  check(rec: RowRecord, file: string): void {
    const fingerprint = rec.fingerprint;
    if (typeof fingerprint !== 'string') return;
    const first = this.seen.get(rec.scenario);
    if (!first) {
      this.seen.set(rec.scenario, { fingerprint, file });
      return;
    }
    if (first.fingerprint === fingerprint) return;
    if (first.file === file) {
      throw new BadInput(`${file} holds rows of scenario '${rec.scenario}' run on two versions of its code (${first.fingerprint}; ${fingerprint}): a campaign --resume on the new code was cut short; run it again to finish the file`);
    }
    throw new BadInput(`scenario '${rec.scenario}' was run on two versions of its code: ${first.file} on ${first.fingerprint}, ${file} on ${fingerprint}: merge shards run on one version (run the other shard again with campaign --resume)`);
  }
}

/** The plan of the campaign the rows come from: its scenarios loaded again from here, each the scenario it was. */
async function planOf(list: ScenarioList): Promise<PlannedRow[]> {
  const args = scenarioArgs(list);
  if (list === null || args === null) return campaignPlan();
  const cwd = process.cwd();
  for (const [k, arg] of args.entries()) {
    try {
      await loadScenario(arg);
    } catch (e) {
      if (!(e instanceof BadInput)) throw e;
      // a path is the campaign's, relative to where it ran: found from merge's working directory
      const given = list[k].path === null ? '' : `, given to it as ${list[k].given}; merge finds its file from its working directory, ${cwd}`;
      throw new BadInput(`${e.message} (a scenario of the merged campaign${given})`);
    }
  }
  const plan = await campaignPlan(args);
  const here = scenarioList(args, plan);
  for (const [k, e] of list.entries()) {
    const now = here?.[k];
    if (now && now.name !== e.name) throw new BadInput(`${args[k]} is scenario '${now.name}' now; the campaign ran scenario '${e.name}' from it`);
  }
  return plan;
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
