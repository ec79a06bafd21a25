/** What a command produces: its exit code and what it prints on stdout (written by main). */
export interface CommandOutput {
  code: number;
  stdout: string;
}
