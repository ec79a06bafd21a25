/** `mmu-stress report results.jsonl... -o report.html`: the HTML report of results files. */
import { htmlReport } from '../report/html.js';
import { BadInput } from '../rt/errors.js';
import { type CommandSpec, commandHelp, has, parseCommand, str } from './args.js';
import type { CommandOutput } from './command.js';
import { mergeRecords } from './merge.js';
import { checkOutputs, writeFileFor } from '../report/files.js';

export const REPORT_SPEC: CommandSpec = {
  name: 'report',
  summary: 'Write the self-contained HTML report (the table, and each violation as a swimlane timeline) of one or more results files (campaign --out).',
  positionals: [{ name: 'file', help: 'a results file (JSON lines) written by campaign --out' }],
  variadic: true,
  flags: {
    out: { value: 'FILE', short: 'o', help: 'the HTML file to write (required)' },
    help: { help: 'show this help' },
  },
};

export async function reportCommand(argv: string[]): Promise<CommandOutput> {
  const a = parseCommand(REPORT_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(REPORT_SPEC), help: true };
  const out = str(a, 'out');
  if (!out) throw new BadInput("'report' needs -o FILE: the HTML file to write");
  checkOutputs([{ flag: 'out', file: out }], a.positional.map((file) => ({ what: 'a results file report reads', file })));
  const { rows, planned } = await mergeRecords(a.positional);
  writeFileFor('out', out, htmlReport(rows, { title: 'mmu-stress report', planned }));
  const violations = rows.filter((r) => r.violation).length;
  return { code: 0, stdout: `${out}: ${rows.length} rows (${rows.filter((r) => r.asExpected).length} as expected), ${violations} violation${violations === 1 ? '' : 's'} drawn as timelines` };
}
