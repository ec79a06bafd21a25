/** `mmu-stress list`: every built-in scenario, its variants and what each must produce. */
import { campaignExecutions, type Params, type ScenarioDef } from '../scenario.js';
import { builtinNames, type LoadedScenario, loadScenario } from '../scenarios.js';
import { type CommandSpec, commandHelp, has, parseCommand } from './args.js';
import type { CommandOutput } from './command.js';
import { paramText } from './params.js';

export const LIST_SPEC: CommandSpec = {
  name: 'list',
  summary: 'List the built-in scenarios: what each models, its variants with what they must produce, and its parameters.',
  positionals: [],
  flags: {
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

/** Parameters as the command line writes them: named values by their names. */
function namedParams(s: ScenarioDef<unknown>, p: Params): Record<string, string | number> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, s.paramNames?.[k] ? paramText(s, k, v) : v]));
}

export function describeScenario(sc: LoadedScenario): Record<string, unknown> {
  const s = sc.def;
  return {
    name: s.name,
    file: sc.file,
    description: s.description,
    roles: Object.keys(s.roles),
    params: namedParams(s, s.params),
    paramHelp: s.paramHelp,
    progress: s.progress ?? null,
    variants: Object.entries(s.variants).map(([name, v]) => ({
      name,
      expect: v.expect,
      source: v.source,
      summary: v.summary,
      ...(v.params ? { params: namedParams(s, v.params) } : {}),
      campaignExecutions: campaignExecutions(s, name),
    })),
  };
}

export async function listCommand(argv: string[]): Promise<CommandOutput> {
  const a = parseCommand(LIST_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(LIST_SPEC), help: true };
  const all = await Promise.all(builtinNames().map(loadScenario));
  if (has(a, 'json')) return { code: 0, stdout: JSON.stringify({ exitCode: 0, scenarios: all.map(describeScenario) }, null, 2) };
  const out: string[] = [];
  for (const { def: s } of all) {
    out.push(s.name, ...s.description.split('\n').map((l) => `  ${l}`), '  variants:');
    const w = Math.max(...Object.keys(s.variants).map((k) => k.length));
    const we = Math.max(...Object.values(s.variants).map((v) => v.expect.length));
    for (const [name, v] of Object.entries(s.variants)) {
      const runsWith = v.params ? ` (runs with ${Object.entries(v.params).map(([k, x]) => `${k}=${paramText(s, k, x)}`).join(' ')})` : '';
      out.push(`    ${name.padEnd(w)}  expect ${v.expect.padEnd(we)}  ${v.summary}${runsWith}; campaign: ${campaignExecutions(s, name)} executions in sim  [${v.source}]`);
    }
    out.push('  params (--param k=v):');
    for (const [k, v] of Object.entries(s.params)) out.push(`    ${`${k}=${paramText(s, k, v)}`.padEnd(20)} ${s.paramHelp[k] ?? ''}`);
    out.push('');
  }
  return { code: 0, stdout: out.join('\n') };
}
