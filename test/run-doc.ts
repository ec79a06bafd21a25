/** `mmu-stress run ... --json` in the test's own process, and a printed replay line read back as arguments. */
import { classify } from '../src/cli/main.js';
import { runCommand } from '../src/cli/run.js';

// biome-ignore lint/suspicious/noExplicitAny: the command's JSON document, read field by field as a user's script would
export type Doc = Record<string, any>;

/** `mmu-stress run ... --json` in this process (argv without 'run'): its JSON document, or `{exitCode, error}`. */
export async function runDoc(argv: string[]): Promise<Doc> {
  const interrupt = { signal: new AbortController().signal, received: null, exitCode: null };
  try {
    return JSON.parse((await runCommand([...argv, '--json'], interrupt)).stdout);
  } catch (e) {
    const { code, kind, message } = classify(e);
    return { exitCode: code, error: { kind, message } };
  }
}

/** A printed replay line as the arguments of `run` (the lines quote nothing used here). */
export function argsOf(line: string): string[] {
  const words = line.split(' ');
  return words.slice(words.indexOf('run') + 1);
}
