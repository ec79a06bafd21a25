/** The `mmu-stress` command (bin/mmu-stress.mjs loads this). */
export { main, USAGE } from './cli/main.js';
export { registerBeforeUserModules } from './load/typescript-loader.js';
