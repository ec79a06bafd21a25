/** Scenario parameters from the command line: --param k=v and the --vcpus shortcut. */
import type { Params, ScenarioDef } from '../scenario.js';
import { BadInput } from '../scenarios.js';

export function resolveParams(s: ScenarioDef<unknown>, pairs: string[], vcpus: string | undefined): Params {
  const p: Params = { ...s.params };
  const known = Object.keys(s.params);
  const set = (k: string, v: string, from: string) => {
    if (!known.includes(k)) throw new BadInput(`${from}: scenario '${s.name}' has no parameter '${k}'; valid: ${known.join(', ')}`);
    if (!/^-?\d+(\.\d+)?$/.test(v)) throw new BadInput(`${from}: '${k}' must be a decimal number, not '${v}'`);
    p[k] = Number(v);
  };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BadInput(`--param takes k=v, not '${pair}'`);
    set(pair.slice(0, eq), pair.slice(eq + 1), '--param');
  }
  if (vcpus !== undefined) set('vcpus', vcpus, '--vcpus');
  const why = s.validate?.(p);
  if (why) throw new BadInput(`bad parameters for '${s.name}': ${why}`);
  return p;
}
