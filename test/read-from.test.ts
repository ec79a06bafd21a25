/**
 * A finding's report names the store its last READ_ONCEs read when that store has scrolled
 * out of the trace's window (src/exec/read-from.ts): sim, sc memory.
 */
import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { reportViolation } from '../src/rt/oracle.js';
import type { ScenarioDef } from '../src/scenario.js';
import type { Arena } from '../src/shm/arena.js';
import { readOnce, writeOnce } from '../src/sync/index.js';

interface W {
  i32: Int32Array;
  flag: number;
  noise: number;
}

/** The writer sets `flag` first, then keeps busy; the reader keeps busy longer, then reads `flag`. */
const def = {
  name: 'read-from',
  description: '',
  params: {},
  paramHelp: {},
  variants: { v: { expect: 'invariant', source: 'test', summary: '' } },
  setup: (arena: Arena): W => ({ i32: arena.i32, flag: arena.region('flag', 1), noise: arena.region('noise', 2) }),
  roles: {
    writer: {
      count: () => 1,
      *run(w: W) {
        yield* writeOnce(w.i32, w.flag, 7);
        for (let k = 0; k < 40; k++) yield* writeOnce(w.i32, w.noise, k);
      },
    },
    reader: {
      count: () => 1,
      *run(w: W) {
        for (let k = 0; k < 200; k++) yield* writeOnce(w.i32, w.noise + 1, k);
        const seen = yield* readOnce(w.i32, w.flag);
        if (seen === 7) reportViolation('invariant', 'the reader saw the flag');
      },
    },
  },
} as unknown as ScenarioDef<W>;

describe('the store a finding read, from before the trace', () => {
  it('names the writer\'s store the trace no longer shows; under weak memory the weak model explains instead', () => {
    for (const seed of [1, 2, 3]) {
      const v = simExecution(def, {}, 'v', seed, new RandomStrategy()).violation;
      expect(v?.kind).toBe('invariant');
      const shown = v?.trace?.map((l) => l.op) ?? [];
      expect(shown).not.toContain('WRITE_ONCE(flag, 7)');
      expect(v?.details).toContainEqual(expect.stringMatching(/^READ_ONCE\(flag\) = 7 at step \d+ read what writer0 stored at step \d+: WRITE_ONCE\(flag, 7\) \(before the trace above\)$/));
      // no line for the reader's own stores, nor for what the trace shows
      expect(v?.details.filter((d) => d.includes('read what'))).toHaveLength(1);
    }
    const weak = simExecution(def, {}, 'v', 1, new RandomStrategy(), { memory: 'weak' }).violation;
    expect(weak?.details.some((d) => d.includes('read what'))).toBe(false);
  });
});
