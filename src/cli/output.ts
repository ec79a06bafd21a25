/**
 * Where the command writes. Results go to stdout and writing them is part of the run:
 * a failed write (a full disk) is an error of its own (exit 3, one line on stderr), and
 * a reader that went away (a closed pipe, as `| head` does) ends the command quietly.
 * stderr carries progress and notes only: a failure there never stops a run.
 */
export class OutputError extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

let guarded = false;
let stdoutFailure: (Error & { code?: string }) | null = null;
let stderrDead = false;

/** Keep write errors from becoming uncaught exceptions; call once before writing. */
export function guardOutputs(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (e: Error & { code?: string }) => {
    stdoutFailure ??= e;
  });
  process.stderr.on('error', () => {
    stderrDead = true;
  });
}

function outputError(e: Error & { code?: string }): OutputError {
  // "ENOSPC: no space left on device, write" -> "no space left on device (ENOSPC)"
  const what = e.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '');
  return new OutputError(e.code, `cannot write the results to stdout: ${what}${e.code ? ` (${e.code})` : ''}`);
}

/** Write to stdout and wait until it is handed to the system, or fails. */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stdoutFailure) return reject(outputError(stdoutFailure));
    try {
      process.stdout.write(text, (err) => (err ? reject(outputError(err)) : resolve()));
    } catch (e) {
      reject(outputError(e as Error));
    }
  });
}

/** A line for the person at the terminal (progress, notes, errors); never fails. */
export function note(text: string): void {
  if (stderrDead) return;
  try {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  } catch {
    stderrDead = true;
  }
}
