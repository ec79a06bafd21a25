/** Scenario parameters from the command line: --param k=v and the --vcpus shortcut. */
import { layoutFor } from '../exec/frame.js';
import { type Params, type ScenarioDef, variantParams } from '../scenario.js';
import { ScenarioThrow } from '../rt/errors.js';
import { locateScenarioError } from '../load/stack.js';
import { BadInput, ScenarioFailure } from '../rt/errors.js';

/** The most shared memory one execution may lay out: parameters that need more are refused up front. */
export const MAX_ARENA_MIB = 512;

export function resolveParams(s: ScenarioDef<unknown>, variant: string, pairs: string[], vcpus: string | undefined): Params {
  const p: Params = variantParams(s, variant);
  const known = Object.keys(s.params);
  const set = (k: string, v: string, from: string) => {
    if (!known.includes(k)) throw new BadInput(`${from}: scenario '${s.name}' has no parameter '${k}'; ${known.length ? `valid: ${known.join(', ')}` : 'it has no parameters'}`);
    const named = s.paramNames?.[k];
    if (named) {
      if (!named.includes(v)) throw new BadInput(`${from}: '${k}' must be one of ${named.join(', ')}, not '${v}'`);
      p[k] = named.indexOf(v);
      return;
    }
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

/**
 * Lay the model out once (without memory) to learn its size: a setup() that throws is the
 * scenario's error (exit 3, named with its line in `file`); parameters that need more than
 * MAX_ARENA_MIB are refused.
 */
export function checkArenaSize(s: ScenarioDef<unknown>, p: Params, variant: string, file: string): void {
  let words: number;
  try {
    words = layoutFor(s, p, variant).words;
  } catch (e) {
    if (!(e instanceof ScenarioThrow)) throw e;
    const located = locateScenarioError(e.error, file);
    throw new ScenarioFailure(`${located.line} (scenario '${s.name}', laying out its memory)`, { error: located });
  }
  const mib = (words * 4) / 2 ** 20;
  if (mib > MAX_ARENA_MIB) {
    throw new BadInput(`bad parameters for '${s.name}': they need ${Math.ceil(mib)} MiB of shared memory per execution, more than the ${MAX_ARENA_MIB} MiB allowed; lower them (e.g. faults, vcpus or guestMemMiB)`);
  }
}
