/**
 * Stack traces from workers name positions in a compiled bundle; map them back to the
 * TypeScript sources with the bundle's source map. Done here, in the parent, and only
 * when an error is reported, so that workers start without loading any source map.
 */
import { readFileSync } from 'node:fs';
import { findSourceMap, SourceMap } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../paths.js';
import type { ScenarioError } from '../rt/errors.js';
import { BUNDLE_FILE } from './bundle.js';
import { callbackSite } from './callback-site.js';

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
  // a bundle's URL is percent-encoded, so it holds no space; it may hold parentheses
  return stack.replace(/(file:\/\/\S+?\.mjs):(\d+):(\d+)/g, (all, url: string, line: string, col: string) => {
    const e = mapFor(url)?.findEntry(Number(line) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (!e?.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return all;
    return `${shownPath(mapSourcePath(e.originalSource))}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
}

/**
 * The file a bundle's map names as a source. Its sources are URLs relative to the package
 * root (its sourceRoot, which SourceMap leaves to us), and esbuild percent-encodes them
 * (ü as %C3%BC, % as %25, # as %23) but leaves a space as it is: resolved as a URL and
 * decoded, never joined as a path, or a scenario under "ünïcødé/" would read "%C3%BCn%C3%AFc%C3%B8d%C3%A9/".
 */
function mapSourcePath(source: string): string {
  return fileURLToPath(new URL(source, pathToFileURL(join(PACKAGE_ROOT, sep))));
}

/** Node's own formatter is in place: none, or Node's default, which it exposes as Error.prepareStackTrace from Node 20 on (under this name). */
function nodeFormatsStacks(): boolean {
  const f = Error.prepareStackTrace;
  return f === undefined || f.name === 'ErrorPrepareStackTrace';
}

/**
 * A stack of this process with its TypeScript frames mapped through the source maps Node
 * keeps for the modules it loaded: for when another formatter, not Node, wrote the stack.
 * In a user's vitest run with the package installed from its tarball, tsx compiles the
 * scenario (Node records the inline map), but vitest's Error.prepareStackTrace formats
 * every stack and knows only the modules its own runner loaded: a throw on line 4 of the
 * scenario read "throws.ts:1:179", a position in tsx's output. When Node formats stacks
 * (the command), it has applied the maps already, and they must not apply twice; a module
 * vitest's runner loaded has no map in Node, and its frames are left as vitest wrote them.
 */
function loaderMappedStack(stack: string): string {
  if (nodeFormatsStacks()) return stack;
  return mapFramePlaces(stack, (place, line, col) => {
    if (!/\.[cm]?ts$/.test(place) || !(place.startsWith('file:') || isAbsolute(place))) return null;
    const e = findSourceMap(place.startsWith('file:') ? place : pathToFileURL(place).href)?.findEntry(Number(line) - 1, Number(col) - 1) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number }
      | undefined;
    if (!e?.originalSource || e.originalLine === undefined || e.originalColumn === undefined) return null;
    const src = !e.originalSource.startsWith('file:') ? place : place.startsWith('file:') ? e.originalSource : fileURLToPath(e.originalSource);
    return `${src}:${e.originalLine + 1}:${e.originalColumn + 1}`;
  });
}

/**
 * A stack frame's place, as Node and vitest write it: "    at fn (place:line:col)" or
 * "    at place:line:col" ("at async place:line:col" too), the place a path (which may
 * hold spaces and parentheses) or a URL. A frame with a function name ends in ")", one
 * without never does: that tells the two apart, not the characters the path holds.
 */
const NAMED_FRAME = /^(\s+at .*? \()(.+):(\d+):(\d+)(\))$/;
const BARE_FRAME = /^(\s+at (?:async )?)(.+):(\d+):(\d+)()$/;

function frameParts(l: string): RegExpExecArray | null {
  return NAMED_FRAME.exec(l) ?? BARE_FRAME.exec(l);
}

/** The stack with each frame's place:line:col replaced by what `f` makes of it (null: left as it is). */
function mapFramePlaces(stack: string, f: (place: string, line: string, col: string) => string | null): string {
  return stack
    .split('\n')
    .map((l) => {
      const m = frameParts(l);
      const to = m && f(m[2], m[3], m[4]);
      return m && to !== null ? `${m[1]}${to}${m[5]}` : l;
    })
    .join('\n');
}

/** A path as a report shows it: relative to the working directory when it is under it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/**
 * The harness's own frames, as a stack shows them (absolute or relative, sources or
 * dist/): its runtime, executors and loading (src/rt, src/exec, src/load), the arena that
 * refuses a bad region size (src/shm/arena.ts), its workers,
 * a dependency, node's internals. A frame there is never the scenario's line, and a
 * scenario error's stack is printed without them.
 */
const HARNESS = String.raw`\bsrc\/(?:exec|rt|load)\/|\bsrc\/shm\/arena\.[jt]s|\/workers\/[\w-]+\.mjs|node_modules|<anonymous>|\(?node:`;
export const HARNESS_FRAME = new RegExp(String.raw`^\s+at .*(?:${HARNESS})`);

/** A scenario error's stack as a report prints it: the thrown line and the scenario's own frames, without the harness's. */
export function withoutHarnessFrames(stack: string): string[] {
  return stack.split('\n').filter((l) => l !== '' && !HARNESS_FRAME.test(l));
}
const HARNESS_PATH = new RegExp(HARNESS);

/** A frame of the scenario's own code (its file, a module it imports): not node's, not the harness's, not a bundle line no map named. */
const scenarioCode = (path: string): boolean => !path.startsWith('node:') && !HARNESS_PATH.test(path) && !BUNDLE_FILE.test(path);

/**
 * A scenario error with its stack mapped to the sources, the scenario's own line in it
 * (the first frame in the scenario file; else the first outside the executors and node's
 * internals: a model or lock function the scenario called), and the report's line:
 * "scenario error: role 'vcpu' (vcpu1) threw at my-scenario.ts:42:7: TypeError: x is undefined".
 */
export function locateScenarioError(se: ScenarioError, scenarioFile: string): ScenarioError {
  if (se.line) return se; // located already
  if (se.how === 'no-op-boundary' || se.how === 'op-not-run' || se.how === 'no-return') {
    // nothing threw: no stack to look in, so the role (or the timer) and its file say where
    const what = se.where === 'timer' ? OUTSIDE_SCHEDULE : `role '${se.role}' (${se.task})`;
    return { ...se, file: scenarioFile, line: `scenario error: ${what} of ${shownPath(scenarioFile)} ${se.thrown}` };
  }
  const stack = sourceStack(loaderMappedStack(se.stack));
  const all = stackFrames(stack).filter((f) => !f.path.startsWith('node:'));
  if (se.how === 'bad-value') return locateBadValue(se, stack, all, scenarioFile);
  // while loading, the frames past the harness's loader are its callers (the command, a test), never the scenario's
  const loader = all.findIndex((f) => LOADER_PATH.test(f.path));
  const frames = se.where === 'load' && loader >= 0 ? all.slice(0, loader) : all;
  const own = all.find((f) => f.path === scenarioFile) ?? frames.find((f) => scenarioCode(f.path));
  const at = own ? `${shownPath(own.path)}:${own.line}:${own.col}` : undefined;
  const what =
    se.where === 'role'
      ? `role '${se.role}' (${se.task})`
      : se.where === 'load'
        ? `loading ${shownPath(scenarioFile)}`
        : se.where === 'timer'
          ? OUTSIDE_SCHEDULE
          : se.role
            ? `role '${se.role}' ${se.where}()`
            : `${se.where}()`;
  const of = own?.path === scenarioFile || se.where === 'load' ? '' : ` of ${shownPath(scenarioFile)}`;
  const line = `scenario error: ${what}${of} threw${at ? ` at ${at}` : ''}: ${se.thrown}`;
  return { ...se, stack, file: scenarioFile, ...(at ? { at } : {}), line };
}

/** What threw, for a throw from a timer or promise callback (ScenarioError where 'timer'), in the run's report and after it (lateOutsideScheduleThrow). */
export const OUTSIDE_SCHEDULE = "a timer or promise the scenario's code started (outside the model's schedule)";

/**
 * A throw that reached a worker's event loop, where nothing of the model's schedule runs
 * (the executions run synchronously; a timer or promise callback runs after them): the
 * scenario's error when a frame of its stack, mapped to the sources, is the scenario's code
 * (the scenario file, a module it imports); null when every frame is the harness's own, or
 * cannot be told (then the worker crashed, a harness error).
 */
export function outsideScheduleError(stack: string): ScenarioError | null {
  // past any frame of the package's the scenario's code called
  const own = stackFrames(sourceStack(stack)).some((f) => scenarioCode(f.path));
  return own ? { where: 'timer', thrown: stack.split('\n')[0], stack } : null;
}

/** A timer or promise the scenario's code started that had not returned `forMs` after the executions ended: nothing threw, so no stack. */
export function outsideScheduleStuck(forMs: number): ScenarioError {
  return { where: 'timer', how: 'no-return', thrown: `ran for ${Math.round(forMs)} ms after the executions without returning`, stack: '' };
}

/**
 * One that came after the run had ended (the worker idle, or closing): no run is left to
 * report it, so it is thrown on, uncaught, as an Error of its own whose message says what
 * the run's report would have (with "after the run had ended") and whose stack is in the
 * sources: the command prints that line (bin/mmu-stress.mjs), a test runner shows it.
 * Null when the throw is not the scenario's (outsideScheduleError).
 */
export function lateOutsideScheduleThrow(stack: string, scenarioFile: string): { error: Error; scenarioError: ScenarioError } | null {
  const se = outsideScheduleError(stack);
  if (!se) return null;
  const located = locateScenarioError(se, scenarioFile);
  const line = `scenario error: ${OUTSIDE_SCHEDULE} threw after the run had ended${located.at ? ` at ${located.at}` : ''}: ${located.thrown}`;
  const error = new Error(line);
  error.name = LATE_THROW;
  error.stack = `${error.name}: ${line}\n${withoutHarnessFrames(located.stack).slice(1).join('\n')}`;
  return { error, scenarioError: { ...located, line } };
}

/**
 * A timer or promise callback of the scenario's that had run `forMs` without returning when
 * its worker had to go, after the run had ended (a threads pool's drain, a sim worker
 * leaving): named as lateOutsideScheduleThrow names a throw, as the scenario of `file`.
 */
export function lateOutsideScheduleStuck(forMs: number, file: string | null): { error: Error; scenarioError: ScenarioError } {
  const stuck = outsideScheduleStuck(forMs);
  const scenarioError = file !== null ? locateScenarioError(stuck, file) : stuck;
  const error = new Error(`${scenarioError.line ?? `scenario error: ${OUTSIDE_SCHEDULE} ${scenarioError.thrown}`}, after the run had ended`);
  error.name = LATE_THROW;
  return { error, scenarioError };
}

/** The name of that Error: what bin/mmu-stress.mjs knows it by. */
export const LATE_THROW = 'ScenarioError';

/**
 * A callback that returned a value the harness cannot use: nothing threw, so its place is
 * the frame in the scenario file of a stack taken while it ran (a count() reading a
 * parameter), else its definition read from the file's text, else the file alone:
 * "scenario error: role 'vcpu' count() at my-scenario.ts:40:7 returned undefined: ...".
 */
function locateBadValue(se: ScenarioError, stack: string, all: { path: string; line: string; col: string }[], scenarioFile: string): ScenarioError {
  const own = all.find((f) => f.path === scenarioFile);
  const site = own ? `${own.line}:${own.col}` : callbackSite(scenarioFile, se.where, se.role);
  const at = site ? `${shownPath(scenarioFile)}:${site}` : undefined;
  const what = se.role ? `role '${se.role}' ${se.where}()` : `${se.where}()`;
  const line = `scenario error: ${what} ${at ? `at ${at}` : `of ${shownPath(scenarioFile)}`} ${se.thrown}`;
  return { ...se, stack, file: scenarioFile, ...(at ? { at } : {}), line };
}

/**
 * A violation a role raised, with the lines of the scenario file's own code it was raised
 * under as a last detail (the innermost frame in that file, the call into the model or the
 * lock that found it, and up to two of its callers in the file); its raw stack dropped. Only
 * a user's scenario file has one: the sim worker keeps stacks for nothing else
 * (rt/oracle.ts keepViolationStacks).
 */
export function withViolationSite<V extends { details: string[]; stack?: string }>(v: V, scenarioFile: string): V {
  if (v.stack === undefined) return v;
  const { stack, ...rest } = v;
  // the file's own frames, innermost first: the call that found it, then its callers in the file
  const own = stackFrames(sourceStack(stack))
    .filter((f) => f.path === scenarioFile)
    .map((f) => `${shownPath(f.path)}:${f.line}:${f.col}`);
  if (own.length === 0) return rest as V;
  const callers = own.slice(1, 3);
  return { ...rest, details: [...rest.details, `raised under ${own[0]}${callers.length ? `, called from ${callers.join(', from ')}` : ''} (the scenario's own code)`] } as V;
}

/** The harness's own executors, runtime and loader: the first of them in a stack is where the scenario's code was called from. */
const LOADER_PATH = /\bsrc\/(?:exec|rt|load)\//;

/** The path a frame line names (a file: URL as its path, a node: module as it is), or null for a line that is no frame. */
export function framePath(l: string): string | null {
  const place = frameParts(l)?.[2];
  if (place === undefined) return null;
  return place.startsWith('node:') ? place : place.startsWith('file:') ? fileURLToPath(place) : resolve(place);
}

/** The frames of a stack that name a place (path, line, column), innermost first; a file: URL as its path. */
function stackFrames(stack: string): { path: string; line: string; col: string }[] {
  return stack.split('\n').flatMap((l) => {
    const m = frameParts(l);
    return m ? [{ path: framePath(l) as string, line: m[3], col: m[4] }] : [];
  });
}

/**
 * Did code run and throw this while a module was being imported (its top level, or a module
 * it imports), rather than the loader refusing the file (a module not found, an export it
 * lacks, a file it cannot parse)? The loader's errors come out of node's internals, a
 * loader in node_modules (tsx, vitest) and then the harness's own import; code's throw has a
 * frame of that code first. A value that is not an Error is only ever thrown by code.
 */
export function thrownByModuleCode(e: unknown): boolean {
  if (!(e instanceof Error)) return true;
  const lines = String(e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  // the innermost frame of something other than node, a dependency, or a native function
  const first = lines.find((l) => !/\(?node:|node_modules|<anonymous>\)?$|\(native\)/.test(l));
  return first !== undefined && !IMPORTER_PATH.test(first);
}

/** The harness's side of an import: its loader and whatever called it, and the command's module hooks (bin/). */
const IMPORTER_PATH = /\bsrc\/(?:exec|rt|load|cli)\/|\bsrc\/(?:api|cli)\.[jt]s|\/bin\/[\w-]+\.mjs/;
