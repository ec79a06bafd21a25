/**
 * How to run this command again from the directory it was started in, as printed at
 * the end of a report: `npx mmu-stress` where npx finds this package (inside its
 * checkout, or in a project that installed it), otherwise `node <path>/bin/mmu-stress.mjs`
 * (npx elsewhere would look for the name in the registry). Arguments are quoted for a
 * POSIX shell where they need it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

function npxFinds(cwd: string): boolean {
  if (cwd === PACKAGE_ROOT || cwd.startsWith(PACKAGE_ROOT + sep)) return true;
  for (let d = cwd; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', '.bin', 'mmu-stress'))) return true;
    if (dirname(d) === d) return false;
  }
}

/** Quote one argument for a POSIX shell, only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandPrefix(cwd = process.cwd()): string {
  if (npxFinds(cwd)) return 'npx mmu-stress';
  const bin = relative(cwd, join(PACKAGE_ROOT, 'bin', 'mmu-stress.mjs'));
  return `node ${shellQuote(bin.startsWith('.') ? bin : `./${bin}`)}`;
}
