/**
 * What the scenario's timers and promises threw, or ran without returning, after their run
 * had ended, as an executor keeps it (Executor.lateErrors). No run is left to report such a
 * throw, so it is said on, uncaught, once the current turn is over: the command prints a
 * ScenarioError once and goes on (bin/mmu-stress.mjs), a test runner reports it. The
 * scenario's is kept as well, for a run that owns its executor to take as its scenario error.
 */
import type { ScenarioError } from '../rt/errors.js';

export class LateErrors {
  readonly list: ScenarioError[] = [];
  private readonly said = new Set<string>();

  /**
   * Says `error` on, uncaught, keeping `scenarioError` (null: not the scenario's, said as
   * thrown). With a `key`, a second late error of the same key is not said again.
   */
  say(error: Error, scenarioError: ScenarioError | null, key?: string): void {
    if (key !== undefined) {
      if (this.said.has(key)) return;
      this.said.add(key);
    }
    if (scenarioError) this.list.push(scenarioError);
    setImmediate(() => {
      throw error;
    });
  }
}
