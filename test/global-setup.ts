/**
 * Before any test file runs: dist/ is made the build of the sources as they are (it is
 * already, after `npm ci`). The files that run the package as a user installs it need
 * the compiled form, and the command runs from dist/ whenever it is fresh; building it
 * here, once, means no test file ever rebuilds it from under a command another file is
 * running, so every file may run beside any other.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distIsFresh } from '../bin/fresh.mjs';

const ROOT = join(import.meta.dirname, '..');

export default function setup(): void {
  if (distIsFresh(pathToFileURL(`${ROOT}/`))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dist/ is older than the sources and \`npm run build\` failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}
