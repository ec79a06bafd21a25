/**
 * Numbers as the reports write them, in en-US form, without Intl for the common case: the
 * first Intl formatting of a process loads ICU's data, a noticeable part of a short
 * command's start-up. test/numbers.test.ts holds both functions to Intl's output.
 */

/** A number with thousands separators, as `x.toLocaleString('en-US')` writes it: 12,601,514. */
export function grouped(x: number): string {
  if (!Number.isSafeInteger(x)) return x.toLocaleString('en-US'); // fractions, huge values: Intl's own rounding
  const digits = String(Math.abs(x));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + out;
  return x < 0 ? `-${out}` : out;
}

const SUFFIXES = ['', 'K', 'M', 'B', 'T'];

/**
 * A whole number in a few characters, as Intl's en-US compact notation with at most one
 * fraction digit writes it: 999, 1.2K, 12.6M.
 */
export function compact(x: number): string {
  if (!Number.isSafeInteger(x) || x < 0) return compactIntl().format(x);
  if (x < 1000) return String(x);
  // in tenths of the tier's unit, rounded half up, in whole numbers (no float rounding at .x5)
  let tier = 1;
  while (tier < SUFFIXES.length - 1 && x >= 1000 ** (tier + 1)) tier++;
  let tenth = 1000 ** tier / 10;
  let tenths = (x - (x % tenth)) / tenth + (2 * (x % tenth) >= tenth ? 1 : 0);
  // rounding can reach the next tier (999,960 is 1M, not 1000K)
  if (tenths >= 10_000 && tier < SUFFIXES.length - 1) {
    tier++;
    tenth = 1000 ** tier / 10;
    tenths = (x - (x % tenth)) / tenth + (2 * (x % tenth) >= tenth ? 1 : 0);
  }
  const whole = (tenths - (tenths % 10)) / 10;
  return `${tenths % 10 === 0 ? whole : `${whole}.${tenths % 10}`}${SUFFIXES[tier]}`;
}

let intl: Intl.NumberFormat | null = null;
function compactIntl(): Intl.NumberFormat {
  intl ??= new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  return intl;
}
