/**
 * The urw strategy (Shuttle's uniform random walk): each runnable task in proportion to
 * its estimated steps left, the estimates counted by a first, plain random-walk execution;
 * it finds a bug variant for fixed seeds, stays clean on a correct one, and its finding
 * replays exactly from its token and from its replay line (which carries the estimates).
 */
import { describe, expect, it } from 'vitest';
import { argsOf, runDoc } from './run-doc.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { UrwStrategy } from '../src/exec/strategies/urw.js';


describe('urw', () => {
  it('picks each task in proportion to its estimated steps left, and the weights follow the steps taken', () => {
    const two = Int32Array.from([0, 1]);
    let first = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const s = new UrwStrategy([90, 10]);
      s.start(seed, 2);
      if (s.pick(2, two) === 0) first++;
    }
    expect(first / 2000).toBeGreaterThan(0.87); // 90 / 100
    expect(first / 2000).toBeLessThan(0.93);
    // task 0 has taken 80 of its 90 steps: 10 left against 10, an even draw
    let even = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const s = new UrwStrategy([90, 10]);
      s.start(seed, 2);
      for (let k = 0; k < 80; k++) s.stepped(0);
      if (s.pick(2, two) === 0) even++;
    }
    expect(even / 2000).toBeGreaterThan(0.45);
    expect(even / 2000).toBeLessThan(0.55);
  });

  it('its first execution is a plain random walk (the trial) that counts the steps the next ones weight by', () => {
    const urw = new UrwStrategy();
    const rnd = new RandomStrategy();
    urw.start(5, 3);
    rnd.start(5);
    const all = Int32Array.from([0, 1, 2]);
    for (let k = 0; k < 30; k++) {
      const c = urw.pick(3, all);
      expect(c).toBe(rnd.pick(3));
      urw.stepped(all[c]);
    }
    expect(urw.ended()).toMatchObject({ estimates: null });
    expect(urw.estimates?.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('finds flag-before-alloc for fixed seeds, and the token and the replay line replay it at the same step', { timeout: 120_000 }, async () => {
    for (const seed of ['1', '100000']) {
      const found = await runDoc(['lazy-rmaps', '--variant', 'flag-before-alloc', '--strategy', 'urw', '--seed', seed, '--executions', '200', '--jobs', '1', '--no-shrink']);
      expect(found.exitCode, `seed ${seed}`).toBe(1);
      expect(found.observed).toBe('use-before-publish');
      const v = found.violations[0];
      // the line replays one execution by its seed, with the estimates it drew with
      expect(v.replay).toMatch(/--strategy (urw --urw-estimates \d+(,\d+){3}|random)/);
      const bySeed = await runDoc(argsOf(v.replay));
      expect([bySeed.observed, bySeed.violations[0].step, bySeed.violations[0].seed]).toEqual([v.kind, v.step, v.seed]);
      // the token of the schedule as found
      const byToken = await runDoc(['lazy-rmaps', '--variant', 'flag-before-alloc', '--schedule', found.shrink.token]);
      expect([byToken.observed, byToken.violations[0].step, byToken.violations[0].seed]).toEqual([v.kind, v.step, v.seed]);
    }
  });

  it('stays clean on the merged protocol', { timeout: 120_000 }, async () => {
    const doc = await runDoc(['lazy-rmaps', '--variant', 'merged', '--strategy', 'urw', '--executions', '60', '--jobs', '1']);
    expect(doc.exitCode).toBe(0);
    expect(doc.executions).toBe(60);
    expect(doc.urw.trials).toBe(1);
    expect(doc.urw.estimates).toHaveLength(4);
  });

  it('bad input: --urw-estimates takes whole numbers and goes with --strategy urw', async () => {
    expect((await runDoc(['lazy-rmaps', '--strategy', 'urw', '--urw-estimates', '5,,3'])).error.message).toMatch(/--urw-estimates must be whole numbers separated by commas/);
    expect((await runDoc(['lazy-rmaps', '--strategy', 'urw', '--urw-estimates', '5,x'])).exitCode).toBe(2);
    expect((await runDoc(['lazy-rmaps', '--urw-estimates', '5,3'])).error.message).toBe('--urw-estimates go with --strategy urw');
  });
});
