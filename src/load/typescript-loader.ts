/**
 * A user's scenario written in TypeScript, loaded by a process that may have no TypeScript
 * loader. The command registers tsx itself (bin/mmu-stress.mjs), and vitest's module
 * runner loads TypeScript for this repository's own tests; but runScenario() in a user's
 * process (a vitest file, a script) runs the installed package as plain JavaScript, and
 * Node refuses a .ts file there. So before the first TypeScript scenario, a TypeScript
 * file of the package is imported as a probe; if that fails, tsx (a dependency) is
 * registered. Its hooks apply to the whole process from then on, so the scenario and the
 * package it imports stay one module graph (one `current`). The probe, not the scenario,
 * is what may fail: Node remembers a module that failed to load.
 *
 * With tsx goes the command's own resolve hook (bin/module-hooks.mjs): a .ts file outside
 * node_modules loads as an ES module whatever its package.json says. Without it, a
 * scenario in a CommonJS project (no "type": "module", the npm default) was compiled by tsx
 * as CommonJS, and its import of this ES-module package failed (require() of an ES module
 * in a cycle).
 */
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT, RUNNING_FROM_DIST } from '../paths.js';
import { HarnessFailure } from '../rt/errors.js';

const PROBE = pathToFileURL(join(PACKAGE_ROOT, 'src', 'typescript-probe.mts')).href;

let ready: Promise<void> | null = null;

/** Resolves once this process can import TypeScript: at once if it already could, else after registering tsx. */
function typescriptLoader(): Promise<void> {
  ready ??= import(PROBE).then(
    () => undefined,
    async () => {
      (await import('tsx/esm/api')).register();
      const root = pathToFileURL(join(PACKAGE_ROOT, '/')).href;
      register(pathToFileURL(join(PACKAGE_ROOT, 'bin', 'module-hooks.mjs')), { data: { root, flavor: RUNNING_FROM_DIST ? 'dist' : 'src' } });
    },
  );
  return ready;
}

/**
 * What the command (bin/mmu-stress.mjs) registers before the first user module it imports:
 * tsx and its resolve hook. A run of a built-in scenario imports none and needs no hooks,
 * and while hooks exist every import of the process is a round trip to their thread (a
 * short command's start-up took a fifth longer with them). null: not the command.
 */
let commandHooks: (() => Promise<void>) | null = null;
let commandHooksReady: Promise<void> | null = null;

export function registerBeforeUserModules(install: () => Promise<void>): void {
  commandHooks = install;
}

/**
 * import() of a module by file URL, with a TypeScript loader in place first when it is a
 * TypeScript file, and the command's hooks before a user's module (`own`: one of the
 * package's built-in scenarios, which needs none).
 */
export async function importModule(url: string, own = false): Promise<{ default?: unknown }> {
  if (commandHooks && !own) {
    commandHooksReady ??= commandHooks().catch((e: unknown) => {
      // the command's own loader failed, not the user's file
      throw new HarnessFailure(`could not register the command's module hooks (tsx, bin/module-hooks.mjs): ${(e as Error)?.message ?? e}`, { cause: e });
    });
    await commandHooksReady;
  }
  if (/\.[cm]?ts$/.test(url)) await typescriptLoader();
  return import(url);
}
