/**
 * Where a file's syntax error is, found by parsing the file here rather than by reading
 * the loader's message. Which loader refused a user's file depends on the process: the
 * command's tsx (esbuild's "file:line:col: ERROR:"), Node itself for a .js file (a line,
 * no column), or, in a user's vitest run, vitest's module runner, whose transformer
 * (oxc under vite 8) prints a boxed, coloured excerpt with no location fields on the
 * error. Parsing the file with esbuild (a dependency already: it bundles the workers)
 * gives one answer, with line and column, whichever loader was active.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Loader, Message } from 'esbuild';

export interface SyntaxProblem {
  line: number;
  /** 1-based, in characters, as editors and stack traces count (esbuild's own is 0-based, in bytes). */
  column: number;
  text: string;
}

const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' };

/** Whether syntaxProblem() reads `file` (an extension esbuild parses, and the file is there): its null then means the file parses. */
export function checksSyntaxOf(file: string): boolean {
  return LOADERS[extname(file)] !== undefined && existsSync(file);
}

/** The first syntax error in `file`, or null when it parses (or is not a file esbuild can read). */
export async function syntaxProblem(file: string): Promise<SyntaxProblem | null> {
  const loader = LOADERS[extname(file)];
  if (!loader) return null;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const esbuild = await import('esbuild');
  try {
    await esbuild.transform(source, { loader, sourcefile: file, logLevel: 'silent' });
    return null;
  } catch (e) {
    const first = (e as { errors?: Message[] }).errors?.find((m) => m.location);
    if (!first?.location) return null;
    const { line, column, lineText } = first.location;
    return { line, column: Buffer.from(lineText).subarray(0, column).toString().length + 1, text: first.text };
  }
}
