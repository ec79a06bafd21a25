/**
 * `npm run build` (also `prepare`, so `npm ci` runs it), after `tsc -p tsconfig.build.json`
 * has compiled src/ and scenarios/ into dist/ with type declarations: bundles each
 * built-in scenario's worker code into dist/bundles/ (workers start from them without a
 * TypeScript loader), twice: for any memory, and for plain Atomics (load/bundle.ts); then
 * records which sources dist/ was built from (bin/fresh.mjs).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourcesHash } from '../bin/fresh.mjs';
import { buildWorkerBundle, linkMap, PREBUILT_DIR, prebuiltName } from '../src/load/bundle.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { builtinNames, SCENARIO_DIR } from '../src/load/scenarios.js';

rmSync(PREBUILT_DIR, { recursive: true, force: true });
mkdirSync(PREBUILT_DIR, { recursive: true });
for (const name of builtinNames()) {
  for (const memory of ['seam', 'plain'] as const) {
    const file = prebuiltName(name, memory);
    const { code, map } = await buildWorkerBundle(join(SCENARIO_DIR, `${name}.ts`), memory);
    writeFileSync(join(PREBUILT_DIR, `${file}.map`), map);
    writeFileSync(join(PREBUILT_DIR, file), linkMap(code, `${file}.map`));
  }
}
const root = pathToFileURL(`${PACKAGE_ROOT}/`).href;
writeFileSync(join(PACKAGE_ROOT, 'dist', 'build-info.json'), `${JSON.stringify({ sources: sourcesHash(root) }, null, 2)}\n`);
console.log(`built dist/ and ${2 * builtinNames().length} worker bundle(s) in dist/bundles/`);
