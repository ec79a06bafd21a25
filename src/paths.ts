/**
 * Where this package is. This file runs as src/paths.ts (from the sources, through a
 * TypeScript loader) or as dist/src/paths.js (compiled, after `npm run build`).
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** True when this code is the compiled JavaScript in dist/. */
export const RUNNING_FROM_DIST = basename(join(HERE, '..')) === 'dist';

/** The folder holding package.json, src/, scenarios/, workers/ and (once built) dist/. */
export const PACKAGE_ROOT = RUNNING_FROM_DIST ? join(HERE, '..', '..') : join(HERE, '..');
