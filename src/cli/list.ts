/** `mmu-stress list`: every built-in scenario, its variants and what each must produce. */
import { BadInput, builtinNames, type LoadedScenario, loadScenario } from '../scenarios.js';
import { parseArgs } from './args.js';

export function describeScenario(sc: LoadedScenario): Record<string, unknown> {
  const s = sc.def;
  return {
    name: s.name,
    file: sc.file,
    description: s.description,
    roles: Object.keys(s.roles),
    params: s.params,
    paramHelp: s.paramHelp,
    variants: Object.entries(s.variants).map(([name, v]) => ({ name, expect: v.expect, source: v.source, summary: v.summary })),
  };
}

export async function listCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { json: false }, 'list');
  if (a.positional.length) throw new BadInput(`'list' takes no arguments, got '${a.positional[0]}'`);
  const all = await Promise.all(builtinNames().map(loadScenario));
  if (a.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ scenarios: all.map(describeScenario) }, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const { def: s } of all) {
    out.push(s.name, ...s.description.split('\n').map((l) => `  ${l}`), '  variants:');
    const w = Math.max(...Object.keys(s.variants).map((k) => k.length));
    const we = Math.max(...Object.values(s.variants).map((v) => v.expect.length));
    for (const [name, v] of Object.entries(s.variants)) out.push(`    ${name.padEnd(w)}  expect ${v.expect.padEnd(we)}  ${v.summary}  [${v.source}]`);
    out.push('  params (--param k=v):');
    for (const [k, v] of Object.entries(s.params)) out.push(`    ${`${k}=${v}`.padEnd(20)} ${s.paramHelp[k] ?? ''}`);
    out.push('');
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
