/** The reports' numbers (report/numbers.ts) read exactly as Intl's en-US forms would write them. */
import { describe, expect, it } from 'vitest';
import { compact, grouped } from '../src/report/numbers.js';

const intlCompact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Whole numbers of every size, with the edges of each rounding (…49, …50, …95) and a seeded spread. */
function samples(): number[] {
  const out = [0, 1, 7, 999, Number.MAX_SAFE_INTEGER];
  for (let e = 0; e <= 12; e++) for (const m of [1, 9, 10, 99, 100, 999, 1049, 1050, 1051, 9949, 9950, 9951, 9999, 99949, 99950, 999949, 999950, 999999]) out.push(m * 10 ** e, m * 10 ** e - 1);
  let s = 12345;
  for (let i = 0; i < 20_000; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(s % 10 ** (1 + (i % 15)));
  }
  return out.filter((x) => Number.isSafeInteger(x) && x >= 0);
}

describe('report numbers', () => {
  it('grouped() writes what toLocaleString("en-US") writes, fractions and negatives too', () => {
    for (const x of [...samples(), -1234567, 1234.5678, 0.5, -0.25]) expect(grouped(x)).toBe(x.toLocaleString('en-US'));
  });

  it("compact() writes what Intl's en-US compact notation with one fraction digit writes", () => {
    for (const x of [...samples(), -1234567, 1234.5]) expect(compact(x)).toBe(intlCompact.format(x));
  });
});
