/** The command line that replays a violation: same scenario, variant, mode, params and seed. */
import { join } from 'node:path';
import type { Mode, RunResult } from '../exec/run.js';
import type { LoadedScenario } from '../scenarios.js';
import { SCENARIO_DIR } from '../scenarios.js';

/** `extra` carries flags that shaped the run beyond the params (threads: --jitter, --watchdog). */
export function replayCommand(sc: LoadedScenario, r: RunResult, seed: number, extra: string[] = [], mode: Mode = r.mode): string {
  const target = sc.file === join(SCENARIO_DIR, `${sc.def.name}.ts`) ? sc.def.name : sc.file;
  const parts = ['npx mmu-stress run', target, '--variant', r.variant, '--mode', mode, '--seed', String(seed), '--executions 1'];
  for (const [k, v] of Object.entries(r.params)) if (sc.def.params[k] !== v) parts.push('--param', `${k}=${v}`);
  return [...parts, ...extra].join(' ');
}
