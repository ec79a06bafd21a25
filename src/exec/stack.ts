/**
 * Stack traces from workers name positions in a compiled bundle; map them back to the
 * TypeScript sources with the bundle's source map. Done here, in the parent, and only
 * when an error is reported, so that workers start without loading any source map.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

function mapFor(bundleUrl: string): SourceMap | null {
  if (!maps.has(bundleUrl)) {
    let m: SourceMap | null = null;
    try {
      m = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(bundleUrl)}.map`, 'utf8')));
    } catch {
      // no map next to it: leave the positions as they are
    }
    maps.set(bundleUrl, m);
  }
  return maps.get(bundleUrl) ?? null;
}

export function sourceStack(stack: string): string {
  return stack.replace(/(file:\/\/[^\s()]+\.mjs):(\d+):(\d+)/g, (all, url: string, line: string, col: string) => {
    const e = mapFor(url)?.findEntry(Number(line) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (!e?.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return all;
    const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : e.originalSource;
    return `${src}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
}
