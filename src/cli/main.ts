/**
 * The `mmu-stress` command: list, run, campaign, merge, report, footprint, litmus (docs/usage.md).
 * Exit codes: 0 no violation, 1 violation found, 2 bad input, 3 no verdict was reached:
 * the scenario's own code threw, the harness failed, or a limit stopped an execution;
 * 130 / 143 interrupted.
 * With --json, stdout is always one JSON document: the result, or an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { classifyError, type ErrorKind, errorJson } from '../report/json.js';
import { cliStrategies } from '../exec/strategies/index.js';
import { BadInput, HarnessFailure, ScenarioFailure } from '../rt/errors.js';
import { CAMPAIGN_SPEC, campaignCommand } from './campaign.js';
import { FOOTPRINT_SPEC, footprintCommand } from './footprint.js';
import type { CommandOutput } from './command.js';
import { commandHelp } from './args.js';
import { Interrupt } from './interrupt.js';
import { LIST_SPEC, listCommand } from './list.js';
import { LITMUS_SPEC, litmusCommand } from './litmus.js';
import { MERGE_SPEC, mergeCommand } from './merge.js';
import { REPORT_SPEC, reportCommand } from './report.js';
import { guardOutputs, note, OutputError, writeOut } from './output.js';
import { RUN_SPEC, runCommand } from './run.js';

const SPECS = { list: LIST_SPEC, run: RUN_SPEC, campaign: CAMPAIGN_SPEC, merge: MERGE_SPEC, report: REPORT_SPEC, footprint: FOOTPRINT_SPEC, litmus: LITMUS_SPEC };

export const USAGE = `mmu-stress: a concurrency stress harness for the KVM MMU memory-cache protocols: simulated
vCPUs, shrinkers and VMMs race over a model of KVM's MMU, and every violation comes with the
interleaving that led to it and a command that replays it (docs: README.md, docs/).

usage:
  mmu-stress list [SCENARIO...] [--long] [--json]
  mmu-stress run <scenario|path.ts> [--variant V] [--mode sim|threads] [--seed N] [--executions N]
                 [--time 10s] [--vcpus N] [--param k=v ...] [--jitter P] [--watchdog 20s]
                 [--execution-limit 2m] [--lockdep on|off] [--strategy ${cliStrategies().map((e) => e.name).join('|')}]
                 [strategy flags: run --help] [--schedule TOKEN|@FILE]
                 [--no-shrink] [--no-reproduce] [--memory sc|weak] [--rare forced|sampled] [--host-rate N]
                 [--jobs N] [--html F] [--trace-out F.json] [--quiet] [--json]
  mmu-stress campaign [SCENARIO...] [--time-per-variant 30s] [--threads-time 2s] [--seed N] [--jobs N] [--out r.jsonl [--resume]]
                      [--shard i/n] [--junit r.xml] [--html r.html] [--quiet] [--json]
  mmu-stress merge a.jsonl b.jsonl ... [--junit F] [--html F] [--json]
  mmu-stress report results.jsonl... -o report.html
  mmu-stress footprint [--vcpus N] [--json]
  mmu-stress litmus FILE|DIR... [--time 10s] [--max-executions N] [--json]
  mmu-stress <command> --help      the flags of one command
  mmu-stress --version
exit codes: 0 no violation, 1 violation found, 2 bad input, 3 no verdict (the scenario's code
            threw, the harness failed, or a limit stopped an execution), 130 / 143 interrupted by
            SIGINT / SIGTERM`;

export function version(): string {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
}

async function dispatch(argv: string[], interrupt: Interrupt): Promise<CommandOutput> {
  let [cmd, ...rest] = argv;
  switch (cmd) {
    case 'list':
      return await listCommand(rest);
    case 'run':
      return await runCommand(rest, interrupt);
    case 'campaign':
      return await campaignCommand(rest, interrupt);
    case 'footprint':
      return footprintCommand(rest);
    case 'litmus':
      return litmusCommand(rest);
    case 'merge':
      return await mergeCommand(rest);
    case 'report':
      return await reportCommand(rest);
    case 'help':
    case '--help':
    case '-h': {
      rest = rest.filter((r) => r !== '--json');
      const spec = SPECS[rest[0] as keyof typeof SPECS];
      if (rest.length > 1 || (rest.length === 1 && !spec)) throw new BadInput(`'help' takes one of ${Object.keys(SPECS).join(', ')}, not '${rest.join(' ')}'`);
      return { code: 0, stdout: spec ? commandHelp(spec) : USAGE, help: true };
    }
    case '--version':
    case '-V':
      if (rest.length) throw new BadInput(`--version takes no arguments, got '${rest[0]}'`);
      return { code: 0, stdout: version() };
    case undefined:
      throw new BadInput(`no command given; valid: ${Object.keys(SPECS).join(', ')} (mmu-stress --help for usage)`);
    default:
      throw new BadInput(`unknown command '${cmd}'; valid: ${Object.keys(SPECS).join(', ')} (mmu-stress --help for usage)`);
  }
}

/** Exit code, kind and one line for an error that ended the command (MMU_STRESS_DEBUG: and its stack on stderr). */
export function classify(e: unknown): { code: number; kind: ErrorKind; message: string } {
  if (process.env.MMU_STRESS_DEBUG) {
    // a scenario file that failed to load (refused, or its code threw): the stack of what made it fail; anything unexpected: its own
    if (e instanceof BadInput || e instanceof ScenarioFailure) {
      if (e.cause) note(String((e.cause as Error)?.stack ?? e.cause));
    } else if (!(e instanceof HarnessFailure)) note(String((e as Error)?.stack ?? e));
  }
  return classifyError(e);
}

export async function main(argv: string[]): Promise<number> {
  guardOutputs();
  const json = argv.includes('--json');
  const interrupt = new Interrupt();
  let out: CommandOutput;
  try {
    out = await dispatch(argv, interrupt);
  } catch (e) {
    const { code, kind, message } = classify(e);
    if (!json) note(`mmu-stress: ${message}`);
    out = { code, stdout: json ? JSON.stringify(errorJson(code, kind, message), null, 2) : '' };
  } finally {
    interrupt.dispose();
  }
  if (json && out.help) out = { code: out.code, stdout: JSON.stringify({ exitCode: out.code, help: out.stdout }, null, 2) };
  if (out.stdout === '') return out.code;
  try {
    await writeOut(`${out.stdout}\n`);
    return out.code;
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    // A reader that went away (| head) has what it wanted: end quietly, with the run's own code.
    if (e.code === 'EPIPE') return out.code;
    note(`mmu-stress: ${e.message}`);
    return 3;
  }
}
