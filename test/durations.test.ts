/**
 * Durations as the flags take them: one number and unit, or several units from the largest
 * down, each once (1h30m, as Go's time.ParseDuration and systemd write them).
 */
import { describe, expect, it } from 'vitest';
import { duration } from '../src/exec/values.js';

describe('duration flags', () => {
  it('take one unit or several from the largest down, each once', () => {
    const ms = (v: string) => duration('time', v);
    expect([ms('500ms'), ms('10s'), ms('1.5s'), ms('2m'), ms('1h')]).toEqual([500, 10_000, 1500, 120_000, 3_600_000]);
    expect([ms('1h30m'), ms('2m30s'), ms('1s500ms'), ms('1h0m5s')]).toEqual([5_400_000, 150_000, 1500, 3_605_000]);
    for (const bad of ['', '10', '30m1h', '1h1h', 'm', '1x', '1h 30m', '-1s', '0s', '25h']) expect(() => ms(bad), bad).toThrow(/--time must be/);
  });
});
