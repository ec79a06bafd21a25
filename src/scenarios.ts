/** Finding scenarios: the built-in ones by name, or any scenario file by path. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ScenarioDef } from './scenario.js';
import './sync/trace-ops.js';
import './kvm/trace-ops.js';

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

export interface LoadedScenario {
  def: ScenarioDef<unknown>;
  /** Absolute path of its file: workers load it from there. */
  file: string;
}

export class BadInput extends Error {}

export function builtinNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function isScenario(x: unknown): x is ScenarioDef<unknown> {
  const s = x as ScenarioDef<unknown>;
  return !!s && typeof s.name === 'string' && typeof s.setup === 'function' && !!s.roles && !!s.variants;
}

export async function importScenario(file: string): Promise<ScenarioDef<unknown>> {
  const mod = await import(pathToFileURL(file).href);
  if (!isScenario(mod.default)) throw new BadInput(`${file} does not export default defineScenario({...})`);
  return mod.default;
}

/** A built-in scenario name, or a path to a scenario file (an ES module: .ts/.mts/.js/.mjs). */
export async function loadScenario(nameOrPath: string): Promise<LoadedScenario> {
  const looksLikePath = /[\\/]|\.(ts|mts|js|mjs)$/.test(nameOrPath);
  if (!looksLikePath) {
    const known = builtinNames();
    if (!known.includes(nameOrPath)) {
      throw new BadInput(`unknown scenario '${nameOrPath}'; known scenarios: ${known.join(', ')} (or give a path to a scenario .ts file)`);
    }
    const file = join(SCENARIO_DIR, `${nameOrPath}.ts`);
    return { def: await importScenario(file), file };
  }
  const file = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  if (!existsSync(file)) throw new BadInput(`no scenario file at ${nameOrPath}`);
  try {
    return { def: await importScenario(file), file };
  } catch (e) {
    if (e instanceof BadInput) throw e;
    const first = String((e as Error)?.message ?? e).split('\n')[0];
    throw new BadInput(`cannot load scenario file ${nameOrPath}: ${first}`);
  }
}
