/**
 * The values a setting takes, read from the text a flag (or an option) gives: whole
 * numbers in a range, durations with a unit, fractions. A bad one is BadInput (exit 2)
 * naming the flag, so the command line and the library say the same line.
 */
import { BadInput } from '../rt/errors.js';

export function wholeNumber(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new BadInput(`--${name} must be a whole number from ${min} to ${max}, not '${v}'`);
  }
  return Number(v);
}

/** The longest duration any flag takes: a day. */
const MAX_DURATION_MS = 24 * 3600 * 1000;

/** "500ms", "10s", "1.5s", "2m", "1h", "1h30m": a unit is required (a bare "10" is ambiguous). */
export function duration(name: string, v: string): number {
  // one number and unit, or several from the largest unit down, each once: 1h30m, 2m30s, 1s500ms
  const NUM = '(\\d+(?:\\.\\d+)?)';
  const m = new RegExp(`^(?:${NUM}h)?(?:${NUM}m)?(?:${NUM}s)?(?:${NUM}ms)?$`).exec(v);
  if (!m || v === '') {
    const bare = /^\d+(\.\d+)?$/.test(v);
    throw new BadInput(`--${name} must be a duration with a unit, such as 500ms, 10s, 2m, 1h or 1h30m, not '${v}'${bare ? ` (did you mean ${v}s?)` : ''}`);
  }
  const part = (k: number, unitMs: number) => (m[k] === undefined ? 0 : Number(m[k]) * unitMs);
  const ms = part(1, 3_600_000) + part(2, 60_000) + part(3, 1000) + part(4, 1);
  if (ms <= 0 || ms > MAX_DURATION_MS) throw new BadInput(`--${name} must be more than 0 and at most 24h, not '${v}'`);
  return ms;
}

export function fraction(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new BadInput(`--${name} must be a number from 0 to 1, not '${v}'`);
  return n;
}
