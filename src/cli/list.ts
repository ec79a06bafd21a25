/**
 * `mmu-stress list [SCENARIO...]`: one line per built-in scenario (or per scenario given, a
 * name or a file's path); `--long` adds what each models, its
 * variants with what they must produce, and its parameters; `--json` gives all of it.
 */
import { campaignExecutions, type Params, type ScenarioDef } from '../scenario.js';
import { builtinNames, type LoadedScenario, loadScenario } from '../load/scenarios.js';
import { type CommandSpec, commandHelp, has, parseCommand } from './args.js';
import type { CommandOutput } from './command.js';
import { paramText } from '../scenario.js';

export const LIST_SPEC: CommandSpec = {
  name: 'list',
  summary: 'List the built-in scenarios (or the scenarios given), one line each (name, variants, what it models); --long for the variants, what they must produce, and the parameters.',
  positionals: [],
  optional: { name: 'scenario', help: 'only these scenarios: built-in names, or paths to your own scenario files (default: every built-in scenario)' },
  flags: {
    long: { help: 'print each scenario in full: its description, variants and parameters' },
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
  const all: LoadedScenario[] = [];
  for (const name of a.positional.length > 0 ? a.positional : builtinNames()) all.push(await loadScenario(name));
  if (has(a, 'json')) return { code: 0, stdout: JSON.stringify({ exitCode: 0, scenarios: all.map(describeScenario) }, null, 2) };
  if (!has(a, 'long')) return { code: 0, stdout: shortList(all.map((sc) => sc.def)) };
  const out: string[] = [];
  for (const { def: s } of all) {
    out.push(s.name, ...s.description.split('\n').map((l) => `  ${l}`), '  variants:');
    const w = Math.max(...Object.keys(s.variants).map((k) => k.length));
    const we = Math.max(...Object.values(s.variants).map((v) => v.expect.length));
    for (const [name, v] of Object.entries(s.variants)) {
      const runsWith = v.params ? ` (runs with ${Object.entries(v.params).map(([k, x]) => `${k}=${paramText(s, k, x)}`).join(' ')})` : '';
      out.push(`    ${name.padEnd(w)}  expect ${v.expect.padEnd(we)}  ${v.summary}${runsWith}; campaign: ${campaignExecutions(s, name)} executions in sim  [${v.source}]`);
    }
    if (Object.keys(s.params).length === 0) out.push('  params: none');
    else out.push('  params (--param k=v):');
    for (const [k, v] of Object.entries(s.params)) out.push(`    ${`${k}=${paramText(s, k, v)}`.padEnd(20)} ${s.paramHelp[k] ?? ''}`);
    out.push('');
  }
  return { code: 0, stdout: out.join('\n') };
}

/** The description's first sentence, for a scenario that gives no summary of its own. */
function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/\.(\s|$)/);
  return end < 0 ? flat : flat.slice(0, end);
}

/** One line per scenario: its name, how many variants it has, and what it models. */
export function shortList(defs: ScenarioDef<unknown>[]): string {
  const w = Math.max(...defs.map((s) => s.name.length));
  const rows = defs.map((s) => {
    const n = Object.keys(s.variants).length;
    return `${s.name.padEnd(w)}  ${`${n} variant${n === 1 ? '' : 's'}`.padEnd(10)}  ${s.summary ?? firstSentence(s.description)}`;
  });
  return [...rows, '', 'mmu-stress list --long: variants, expectations and parameters; mmu-stress run <scenario> --help: the flags'].join('\n');
}
