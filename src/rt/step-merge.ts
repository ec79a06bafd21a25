/**
 * A hint from the model to a reducing search (dfs): the op boundary the running task is
 * about to yield is one where no other task can observe the difference between
 * switching and going on, so the search need not branch there. The model sets it only
 * where it can say why (virt/kvm/memory-cache.ts: a topup's fill loop on a cache no
 * other task can change meanwhile); docs/exploration.md ("dfs reductions") states each
 * rule. Every other strategy ignores it: the ops and their boundaries stay the same, so
 * schedules, traces and replay tokens do not change.
 *
 * One thread runs an execution (sim), so a plain module variable carries it from the
 * step that sets it to the strategy's `stepped`, which takes it.
 */
export const stepMerge = {
  /** The task whose step sets this ends at a boundary that may be merged with its next step; -1: none. */
  task: -1,
  /** Topups that met an empty pool (the merged fill assumes free objects are interchangeable and never run out). */
  dryFills: 0,
  /** Emptyings of a cache by a task its declared sharing rules out (a model's declaration, or a user's shrinker, that the merged fill's argument does not cover). */
  brokenSharing: 0,
  /** What the last of them was. */
  brokenSharingNote: '',
};

/** The running task (`id`) ends this step at a boundary a reducing search may skip. */
export function mergeNextBoundary(id: number): void {
  stepMerge.task = id;
}

/** Whether task `id`'s step just ended at a mergeable boundary; clears the hint. */
export function takeMergeHint(id: number): boolean {
  const m = stepMerge.task === id;
  stepMerge.task = -1;
  return m;
}
