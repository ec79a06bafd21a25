/** src/rt/alea.ts draws exactly what seedrandom.alea draws for the same seed: the random strategy's schedules depend on it. */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { Alea } from '../src/rt/alea.js';

describe('Alea', () => {
  it('gives seedrandom.alea\'s numbers, draw for draw, for schedule seeds and odd strings', { timeout: 30_000 }, () => {
    const seeds = ['0', '', ' ', 'ünïcödé', 'a'.repeat(300)];
    for (let k = 0; k < 200; k++) seeds.push(`${k * 100_003 + 1}:schedule`, `${2 ** 53 - 1 - k}:schedule`);
    for (const seed of seeds) {
      const theirs = seedrandom.alea(seed);
      const ours = new Alea(seed);
      const a: number[] = [];
      const b: number[] = [];
      for (let d = 0; d < 500; d++) {
        a.push(ours.next());
        b.push(theirs());
      }
      expect(a, `seed '${seed}'`).toEqual(b);
    }
  });
});
