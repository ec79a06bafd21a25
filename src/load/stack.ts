/**
 * Stack traces from workers name positions in a compiled bundle; map them back to the
 * TypeScript sources with the bundle's source map. Done here, in the parent, and only
 * when an error is reported, so that workers start without loading any source map.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../paths.js';
import type { ScenarioError } from '../rt/errors.js';

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
    // the bundle's sources are relative to the package root (its sourceRoot, which SourceMap leaves to us)
    const src = e.originalSource.startsWith('file:') ? fileURLToPath(e.originalSource) : resolve(PACKAGE_ROOT, e.originalSource);
    return `${shownPath(src)}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
}

/** A path as a report shows it: relative to the working directory when it is under it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * The harness's own frames, as a stack shows them (absolute or relative, sources or
 * dist/): its runtime, executors and loading (src/rt, src/exec, src/load), its workers,
 * a dependency, node's internals. A frame there is never the scenario's line, and a
 * scenario error's stack is printed without them.
 */
const HARNESS = String.raw`\bsrc\/(?:exec|rt|load)\/|\/workers\/[\w-]+\.mjs|node_modules|<anonymous>|\(?node:`;
export const HARNESS_FRAME = new RegExp(String.raw`^\s+at .*(?:${HARNESS})`);
const HARNESS_PATH = new RegExp(HARNESS);

/**
 * A scenario error with its stack mapped to the sources, the scenario's own line in it
 * (the first frame in the scenario file; else the first outside the executors and node's
 * internals: a model or lock function the scenario called), and the report's line:
 * "scenario error: role 'vcpu' (vcpu1) threw at my-scenario.ts:42:7: TypeError: x is undefined".
 */
export function locateScenarioError(se: ScenarioError, scenarioFile: string): ScenarioError {
  if (se.line) return se; // located already
  const stack = sourceStack(se.stack);
  const frames = [...stack.matchAll(/^\s+at (?:.*? \()?([^\s()]+?):(\d+):(\d+)\)?$/gm)]
    .filter((m) => !m[1].startsWith('node:'))
    .map((m) => ({ path: m[1].startsWith('file:') ? fileURLToPath(m[1]) : resolve(m[1]), line: m[2], col: m[3] }));
  const own = frames.find((f) => f.path === scenarioFile) ?? frames.find((f) => !HARNESS_PATH.test(f.path) && !f.path.endsWith('.mjs'));
  const at = own ? `${shownPath(own.path)}:${own.line}:${own.col}` : undefined;
  const what = se.where === 'role' ? `role '${se.role}' (${se.task})` : `${se.where}()`;
  const of = own?.path === scenarioFile ? '' : ` of ${shownPath(scenarioFile)}`;
  const line = `scenario error: ${what}${of} threw${at ? ` at ${at}` : ''}: ${se.thrown}`;
  return { ...se, stack, file: scenarioFile, ...(at ? { at } : {}), line };
}
