/**
 * The `mmu-stress` command: list, run, campaign (DESIGN.md §7).
 * Exit codes: 0 no violation, 1 violation found, 2 bad input, 3 the harness failed.
 */
import { BadInput } from '../scenarios.js';
import { campaignCommand } from './campaign.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';

export const USAGE = `usage:
  mmu-stress list [--json]
  mmu-stress run <scenario|path.ts> [--variant V] [--mode sim|threads] [--seed N] [--executions N]
                 [--time 10s] [--vcpus N] [--param k=v ...] [--jitter P] [--watchdog 20s]
                 [--execution-limit 2m] [--json]
  mmu-stress campaign [--time-per-variant 2s] [--json]
exit codes: 0 no violation, 1 violation found, 2 bad input, 3 harness failure`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'list':
        return await listCommand(rest);
      case 'run':
        return await runCommand(rest);
      case 'campaign':
        return await campaignCommand(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new BadInput('no command given; valid: list, run, campaign (mmu-stress --help for usage)');
      default:
        throw new BadInput(`unknown command '${cmd}'; valid: list, run, campaign (mmu-stress --help for usage)`);
    }
  } catch (e) {
    if (e instanceof BadInput) {
      process.stderr.write(`mmu-stress: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`mmu-stress: internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
    if (process.env.MMU_STRESS_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    return 3;
  }
}
