/**
 * The command registers its module hooks (tsx and bin/module-hooks.mjs) only before the
 * first user module it imports: a built-in scenario needs none, and while hooks exist every
 * import of the process is a round trip to their thread.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/load/scenarios.js';
import { registerBeforeUserModules } from '../src/load/typescript-loader.js';

describe("the command's module hooks", () => {
  it('are installed before the first scenario file of a user, once, and never for a built-in scenario', async () => {
    let installed = 0;
    registerBeforeUserModules(async () => {
      installed++;
    });
    await loadScenario('zap-oldest');
    await loadScenario('shrinker-vs-fault');
    expect(installed).toBe(0);
    const mine = await loadScenario(join(import.meta.dirname, 'fixtures', 'spin-abba.ts'));
    expect(mine.def.name).toBe('spin-abba');
    await loadScenario(join(import.meta.dirname, 'fixtures', 'abba.ts'));
    expect(installed).toBe(1);
  });
});
