/**
 * The lines a run prints before it starts (ResolvedRun.notes, on stderr): what the user
 * asked for that the run cannot give as asked.
 */
import { describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../src/exec/config.js';

describe('the notes before a run', () => {
  it('a weak-memory variant in threads mode is told it cannot show its bug there, and pointed at sim', async () => {
    const threads = await resolveRunConfig({ scenario: 'lazy-rmaps', variant: 'reader-without-acquire', mode: 'threads' });
    expect(threads.notes).toEqual([
      "reader-without-acquire runs under weak memory in sim (its bug is a reordering the kernel's memory model allows); threads mode runs on the cores' Atomics, which are sequentially consistent, and cannot show it: run it with --mode sim",
    ]);
    expect((await resolveRunConfig({ scenario: 'lazy-rmaps', variant: 'reader-without-acquire', mode: 'sim' })).notes).toEqual([]);
    expect((await resolveRunConfig({ scenario: 'lazy-rmaps', variant: 'flag-before-alloc', mode: 'threads' })).notes).toEqual([]);
  });
});
