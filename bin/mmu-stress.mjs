#!/usr/bin/env node
// Entry point: register tsx so the TypeScript sources load as they are, then run the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every pool is destroyed by now; should anything still hold the loop open, leave anyway.
setTimeout(() => process.exit(code), 3000).unref();
