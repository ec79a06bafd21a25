/** An arena made in a buffer an earlier execution used reads as a new one: every word zero. */
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/shm/arena.js';

describe('Arena.reuse', () => {
  for (const words of [1, 2, 7, 8, 4097]) {
    it(`zeroes every word of a ${words}-word buffer, the last one too`, () => {
      const used = Arena.create(words);
      for (let k = 0; k < words; k++) used.i32[k] = k % 2 === 0 ? -1 : k + 1;
      const again = Arena.reuse(used.buffer as SharedArrayBuffer);
      expect(again.i32.length).toBe(words);
      expect(again.i32.every((v) => v === 0)).toBe(true);
    });
  }
});
