/** What a command produces: its exit code and what it prints on stdout (written by main). */
export interface CommandOutput {
  code: number;
  stdout: string;
  /** stdout is help text: with --json, main wraps it in a document like every other output. */
  help?: boolean;
}
