/**
 * Finding scenarios: the built-in ones by name, or any scenario file by path. A file
 * that cannot be a scenario is bad input with one line naming the file and the cause:
 * where a syntax error is, what it failed to import, what its default export lacks. A file
 * whose own code throws while it loads (its top level, or a module of the user's it
 * imports) is the scenario's error instead (exit 3), named with the line that threw.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BadInput, HarnessFailure, ScenarioFailure, thrownBy } from '../rt/errors.js';
import { VIOLATION_KINDS } from '../rt/violation.js';
import type { ScenarioDef } from '../scenario.js';
import { guardCallbacks } from './guard-callbacks.js';
import { locateScenarioError, shownPath, thrownByModuleCode } from './stack.js';
import { checksSyntaxOf, syntaxProblem } from './syntax.js';
import { importModule } from './typescript-loader.js';
import { escapeRegExp } from './source-text.js';
import { unrunGeneratorNotes } from './unrun-calls.js';
import { isScenarioPath } from './scenario-path.js';
import '../sync/trace-ops.js';
import '../virt/kvm/trace-ops.js';
import '../arch/x86/kvm/mmu/trace-ops.js';

export { isScenarioPath };

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

export interface LoadedScenario {
  def: ScenarioDef<unknown>;
  /** Absolute path of its file: workers are built from it. */
  file: string;
  /** How the user named it: a built-in name, or the path as typed (for the replay command). */
  arg: string;
  /** Lines to tell before a run of a scenario file of a user's: generators its text calls without yield* (load/unrun-calls.ts). */
  notes?: string[];
}

const SCENARIO_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** Built-in scenario files: scenarios/*.ts, or their compiled twins when running from dist/. */
function builtinFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(SCENARIO_DIR).sort()) {
    if (f.endsWith('.d.ts') || !/\.(ts|js)$/.test(f)) continue;
    out.set(f.replace(/\.(ts|js)$/, ''), join(SCENARIO_DIR, f));
  }
  return out;
}

export function builtinNames(): string[] {
  return [...builtinFiles().keys()];
}

const one = (s: string) => s.split('\n')[0].trim();

/**
 * Why importing `shown` failed: bad input in one line (a syntax error with its place, a
 * missing import, a file no loader takes), or the scenario's error when its code threw.
 */
async function loadFailure(shown: string, file: string, e: unknown): Promise<BadInput | ScenarioFailure> {
  const err = e as Error & { code?: string };
  const msg = String(err?.message ?? e);
  // esbuild (through tsx): "<file>:<line>:<col>: ERROR: <text>"
  const esb = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(msg);
  // the file's own code ran and threw (JSON.parse's SyntaxError too): the scenario's bug, with its line; a
  // module it imports that is not there is bad input however the loader reports it (vitest's from the import's line)
  const codeThrew = !esb && !RESOLUTION_CODES.has(String(err?.code)) && thrownByModuleCode(e);
  if (!codeThrew) {
    // the loader refused a file: if one of the user's does not parse, say where, whichever loader's words these are
    const syntax = await syntaxLine(shown, file, esb?.[1], e);
    if (syntax) return new BadInput(syntax, { cause: e });
  }
  if (esb && checksSyntaxOf(file)) {
    // syntaxLine found none in the file: the loader reports a syntax error the file does not have: it read another text than the file's (tsx takes a '?' in a path for a URL query)
    const odd = /[?#]/.exec(file)?.[0];
    const hint = odd ? `; its path holds '${odd}', which the TypeScript loader takes for the start of a URL ${odd === '?' ? 'query' : 'fragment'}: rename the folder or file` : '';
    return new BadInput(`${shown}: cannot load it: the TypeScript loader reported "${esb[4]}" at ${esb[2]}:${Number(esb[3]) + 1}, but the file parses${hint}`, { cause: e });
  }
  if (esb) return new BadInput(`${shown}:${esb[2]}:${Number(esb[3]) + 1}: syntax error: ${esb[4]}`, { cause: e });
  if (codeThrew) {
    const located = locateScenarioError(thrownBy(e, 'load'), file);
    return new ScenarioFailure(located.line as string, { cause: e, error: located });
  }
  return new BadInput(refusal(shown, file, err, msg), { cause: e });
}

/**
 * "<file>:<line>:<col>: syntax error: <text>" for the first file that does not parse among
 * those the loader named (tsx's message, vitest's transform error's module id) and the
 * scenario file itself; a module of the user's that the scenario imports is named with it.
 */
async function syntaxLine(shown: string, file: string, named: string | undefined, e: unknown): Promise<string | null> {
  const id = (e as { __vitest_rollup_error__?: { id?: unknown } })?.__vitest_rollup_error__?.id;
  const candidates = [named, typeof id === 'string' ? id.replace(/[?#].*$/, '') : undefined]
    .filter((f): f is string => !!f && isAbsolute(f) && existsSync(f) && !f.includes('/node_modules/'))
    .concat(file);
  for (const f of new Set(candidates)) {
    const p = await syntaxProblem(f);
    if (!p) continue;
    const at = `${p.line}:${p.column}: syntax error: ${p.text}`;
    return f === file ? `${shown}:${at}` : `${shownPath(f)}:${at} (a module ${shown} imports)`;
  }
  return null;
}

/** The codes of a module the loader could not find or resolve, as node and vitest's module runner give them. */
const RESOLUTION_CODES = new Set([
  'ERR_MODULE_NOT_FOUND',
  'MODULE_NOT_FOUND',
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_UNSUPPORTED_DIR_IMPORT',
  'ERR_PACKAGE_PATH_NOT_EXPORTED',
  'ERR_PACKAGE_IMPORT_NOT_DEFINED',
  'ERR_INVALID_MODULE_SPECIFIER',
  'ERR_UNSUPPORTED_ESM_URL_SCHEME',
]);

/** One line for a file the loader refused: where its syntax error is, what it failed to import. */
function refusal(shown: string, file: string, err: Error & { code?: string }, msg: string): string {
  if (err?.name === 'SyntaxError') {
    const at = new RegExp(`${escapeRegExp(file)}:(\\d+)`).exec(String(err.stack ?? ''));
    return `${shown}${at ? `:${at[1]}` : ''}: syntax error: ${one(msg)}`;
  }
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') return `${shown}: cannot load it: ${one(msg)}`;
  if (err?.code === 'ERR_UNKNOWN_FILE_EXTENSION') return `${shown}: cannot load it: ${one(msg)} (is it a TypeScript file outside the command's own loader?)`;
  return `${shown}: cannot load it: ${err?.name ?? 'Error'}: ${one(msg)}`;
}

/** What is wrong with a module's default export as a scenario, or null. */
export function scenarioProblem(x: unknown): string | null {
  const s = x as ScenarioDef<unknown>;
  if (!s || typeof s !== 'object') return 'does not export default defineScenario({...})';
  if (typeof s.name !== 'string' || s.name === '') return 'its default export has no name: it does not look like defineScenario({...})';
  const who = `scenario '${s.name}'`;
  if (typeof s.setup !== 'function') return `${who} has no setup(arena, params, variant)`;
  if (!s.params || typeof s.params !== 'object') return `${who} has no params object`;
  for (const [k, v] of Object.entries(s.params)) if (typeof v !== 'number' || !Number.isFinite(v)) return `${who}: params.${k} must be a number, not ${JSON.stringify(v)}`;
  if (!s.roles || typeof s.roles !== 'object' || Object.keys(s.roles).length === 0) return `${who} declares no roles`;
  for (const [k, r] of Object.entries(s.roles)) {
    if (typeof r?.count !== 'function' || typeof r?.run !== 'function') return `${who}: role '${k}' needs count(params, variant) and a generator run(...)`;
  }
  if (!s.variants || typeof s.variants !== 'object' || Object.keys(s.variants).length === 0) {
    return `${who} declares no variants: give at least one, with its expect ('ok' or a violation kind) and its source`;
  }
  const kinds = ['ok', ...VIOLATION_KINDS];
  for (const [k, v] of Object.entries(s.variants)) {
    if (!kinds.includes(v?.expect)) return `${who}: variant '${k}' expects '${v?.expect}'; valid: ${kinds.join(', ')}`;
    if (typeof v.source !== 'string') return `${who}: variant '${k}' has no source (a kernel commit or patch, or 'mutation: ...')`;
    for (const p of Object.keys(v.params ?? {})) if (!(p in s.params)) return `${who}: variant '${k}' sets params.${p}, which the scenario does not declare`;
    const bad = campaignBudgetProblem(v.campaign);
    if (bad) return `${who}: variant '${k}': ${bad}`;
  }
  const bad = campaignBudgetProblem(s.campaign);
  if (bad) return `${who}: ${bad}`;
  return null;
}

/** A campaign budget that is given must be a whole number of executions, at least 1. */
function campaignBudgetProblem(c: unknown): string | null {
  if (c === undefined) return null;
  const e = (c as { executions?: unknown } | null)?.executions;
  return typeof e === 'number' && Number.isInteger(e) && e >= 1 ? null : `campaign.executions must be a whole number of executions, at least 1, not ${JSON.stringify(e)}`;
}

/** `builtin`: one of the package's own scenarios (no user module: the command's hooks are not needed for it). */
async function importScenario(file: string, shown: string, builtin = false): Promise<ScenarioDef<unknown>> {
  let mod: { default?: unknown };
  try {
    mod = await importModule(pathToFileURL(file).href, builtin);
  } catch (e) {
    if (e instanceof HarnessFailure) throw e; // the command's own loader, not the user's file
    throw await loadFailure(shown, file, e);
  }
  const problem = scenarioProblem(mod.default);
  if (problem) throw new BadInput(`${shown}: ${problem}`);
  return guardCallbacks(mod.default as ScenarioDef<unknown>, file);
}

/** A built-in scenario name, or a path to a scenario file (an ES module: .ts/.mts/.js/.mjs). */
export async function loadScenario(nameOrPath: string): Promise<LoadedScenario> {
  if (!isScenarioPath(nameOrPath)) {
    const file = builtinFiles().get(nameOrPath);
    if (!file) {
      throw new BadInput(`unknown scenario '${nameOrPath}'; known scenarios: ${builtinNames().join(', ')} (or give a path to a scenario .ts file)`);
    }
    return { def: await importScenario(file, nameOrPath, true), file, arg: nameOrPath };
  }
  const file = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  if (!existsSync(file)) throw new BadInput(`no scenario file at ${nameOrPath}`);
  if (statSync(file).isDirectory()) {
    const inside = readdirSync(file).filter((f) => SCENARIO_EXTENSIONS.includes(extname(f)) && !f.endsWith('.d.ts'));
    throw new BadInput(`${nameOrPath} is a directory; give the scenario file itself${inside.length ? ` (it holds ${inside.slice(0, 5).join(', ')}${inside.length > 5 ? ', ...' : ''})` : ''}`);
  }
  if (!SCENARIO_EXTENSIONS.includes(extname(file))) {
    throw new BadInput(`${nameOrPath} is not a scenario file: expected ${SCENARIO_EXTENSIONS.join(', ')}`);
  }
  const def = await importScenario(file, nameOrPath);
  const notes = await unrunGeneratorNotes(file, nameOrPath);
  return { def, file, arg: nameOrPath, ...(notes.length > 0 ? { notes } : {}) };
}
