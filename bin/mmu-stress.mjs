#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript in dist/ while it matches the sources
// (`npm run build`, which `npm ci` runs through `prepare`); otherwise the TypeScript
// sources through tsx, as in development. Either way a scenario file given by path
// loads as an ES module and shares the command's modules (bin/module-hooks.mjs).
import { register } from 'node:module';
import { distIsFresh } from './fresh.mjs';

const root = new URL('..', import.meta.url);
const flavor = distIsFresh(root) ? 'dist' : 'src';
const args = process.argv.slice(2);
const registerHooks = async () => {
  (await import('tsx/esm/api')).register();
  register('./module-hooks.mjs', import.meta.url, { data: { root: root.href, flavor } });
};
// From dist/ the hooks are registered only before the first scenario file (or other user
// module) the command imports: the command's own modules and the built-in scenarios need
// none, and every import made once hooks exist is a round trip to the hooks' thread. A
// scenario file goes through them, and its imports of the package resolve to the modules
// the command already loaded.
// An exception nothing catches (Node can report a module's top-level throw twice: to the
// import that loads it, which the command reports, and once more uncaught) must not end
// the command with exit code 1, which means a violation: one line, and no verdict (3).
// One named ScenarioError (LATE_THROW, src/load/stack.ts) came from a timer or promise the
// scenario's code started, which runs outside the model's schedule, after its run had
// ended (one met during a run is the run's own, in its report); its message says so, with
// the line. The command goes on, so that its report is printed, and a clean run's exit
// code becomes 3 (the scenario has a bug).
let outsideThrew = false;
const outsideSaid = new Set();
process.on('uncaughtException', (e) => {
  const first = String(e?.message ?? e).split('\n')[0];
  if (e?.name === 'ScenarioError') {
    // said once, though each of a --jobs run's workers throws it
    if (!outsideSaid.has(first)) process.stderr.write(`mmu-stress: ${first}\n`);
    if (process.env.MMU_STRESS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    outsideSaid.add(first);
    outsideThrew = true;
    if (!process.exitCode) process.exitCode = 3;
    return;
  }
  process.stderr.write(`mmu-stress: uncaught ${e?.name ?? 'Error'}: ${first} (no verdict from this command)\n`);
  if (process.env.MMU_STRESS_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  process.exit(process.exitCode ? Number(process.exitCode) : 3);
});
if (flavor === 'src') await registerHooks();
const { main, registerBeforeUserModules } = await import(flavor === 'dist' ? '../dist/src/cli.js' : '../src/cli.ts');
if (flavor === 'dist') registerBeforeUserModules(registerHooks);
const ran = await main(args);
const code = () => (outsideThrew && ran === 0 ? 3 : ran);
process.exitCode = code();
// Every pool is destroyed by now; should anything still hold the loop open, leave anyway.
setTimeout(() => process.exit(code()), 3000).unref();
