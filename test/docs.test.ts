/**
 * The docs a newcomer reads: every relative link in README.md and docs/ points at a file
 * that exists, and nothing in the repository cites a file outside it (the design notes
 * and kernel notes the project started from are not part of it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_OPTION_NAMES } from '../src/exec/config.js';
import { cliStrategies } from '../src/exec/strategies/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'artifacts']);

function walk(dir: string, keep: (f: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (SKIP.has(e)) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out;
}

/** Relative link targets of a markdown file, without their #anchors (code blocks skipped). */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  const out: string[] = [];
  for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1].split('#')[0];
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor, http:, mailto:, ...
    out.push(target);
  }
  return out;
}

describe('docs', () => {
  it('every relative link in README.md and docs/ points at a file that exists', () => {
    const pages = [join(ROOT, 'README.md'), ...walk(join(ROOT, 'docs'), (f) => f.endsWith('.md'))];
    const broken: string[] = [];
    for (const page of pages) {
      for (const target of relativeLinks(readFileSync(page, 'utf8'))) {
        if (!existsSync(resolve(dirname(page), target))) broken.push(`${relative(ROOT, page)} -> ${target}`);
      }
    }
    expect(pages.length).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });

  it('no file in the repository cites a file outside it', () => {
    const text = /\.(ts|mts|mjs|js|md|json|yml|yaml)$/;
    const cites: string[] = [];
    for (const f of walk(ROOT, (p) => text.test(p) && !p.endsWith('package-lock.json'))) {
      const lines = readFileSync(f, 'utf8').split('\n');
      lines.forEach((l, i) => {
        // built from parts so that this file does not cite what it looks for
        if (l.includes(['..', 'shared', ''].join('/')) || /\bkvm-facts\b|\bDESIGN\.md\b/.test(l)) cites.push(`${relative(ROOT, f)}:${i + 1}`);
        // nor a path of the machine it was written on (the shipped docs named a corpus there)
        if (new RegExp(['', 'work', '(wt|main)', ''].join('/')).test(l)) cites.push(`${relative(ROOT, f)}:${i + 1}`);
      });
    }
    expect(cites).toEqual([]);
  });

  it("docs/library.md's runScenario table lists every run option and every strategy", () => {
    const text = readFileSync(join(ROOT, 'docs', 'library.md'), 'utf8');
    const section = text.slice(text.indexOf('## runScenario'), text.indexOf('## ', text.indexOf('## runScenario') + 3));
    // the option column of each row: `a`, `b`
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    const listed = new Set(rows.flatMap((l) => [...l.split('|')[1].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1])));
    expect(RUN_OPTION_NAMES.filter((o) => !listed.has(o))).toEqual([]);
    const strategyRow = rows.find((l) => l.startsWith('| `strategy` |')) ?? '';
    expect(cliStrategies().map((e) => e.name).filter((n) => !strategyRow.includes(`'${n}'`))).toEqual([]);
  });
});
