/**
 * The README and docs/ a user reads in node_modules/mmu-stress link only to files the
 * tarball carries: a link that works in the repository but points at a file `files` in
 * package.json leaves out is dead where the user reads it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** The files `npm pack` would put in the tarball (nothing is built or written). */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return new Set((JSON.parse(out.slice(out.indexOf('['))) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
}

describe('the packed documentation', () => {
  it('every relative link in the packed README.md and docs/ names a file in the tarball', () => {
    const files = packedFiles();
    const docs = [...files].filter((f) => f === 'README.md' || (f.startsWith('docs/') && f.endsWith('.md')));
    expect(docs.length).toBeGreaterThan(10);
    const dead: string[] = [];
    for (const doc of docs) {
      for (const m of readFileSync(join(ROOT, doc), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor in the page, or a URL
        const path = posix.normalize(posix.join(dirname(doc), target)).replace(/\/$/, '');
        if (!files.has(path) && ![...files].some((f) => f.startsWith(`${path}/`))) dead.push(`${doc} -> ${m[1]}`);
      }
    }
    expect(dead).toEqual([]);
  }, 60_000);
});
