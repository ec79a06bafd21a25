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
if (flavor === 'src' || args.some((a) => /\.[cm]?ts$/.test(a))) (await import('tsx/esm/api')).register();
register('./module-hooks.mjs', import.meta.url, { data: { root: root.href, flavor } });
const { main } = await import(flavor === 'dist' ? '../dist/src/cli.js' : '../src/cli.ts');
const code = await main(args);
process.exitCode = code;
// Every pool is destroyed by now; should anything still hold the loop open, leave anyway.
setTimeout(() => process.exit(code), 3000).unref();
