/**
 * The pos strategy (partial-order sampling): the pending step of highest priority runs, a
 * task's next step gets a fresh priority, and so do the steps that race with the one just
 * run (a task woken from a lock, a task waiting for others); it finds a bug variant for
 * fixed seeds, stays clean on a correct one, and its finding replays exactly from its token
 * and from its replay line (its seed and --strategy pos).
 */
import { describe, expect, it } from 'vitest';
import { argsOf, runDoc } from './run-doc.js';
import { PosStrategy } from '../src/exec/strategies/pos.js';
import { IDLE, POINT } from '../src/rt/op.js';


describe('pos', () => {
  it('runs the pending step of highest priority; only the task that stepped and the racing ones draw again', () => {
    const all = Int32Array.from([0, 1, 2]);
    // without a race, a task that does not step keeps its priority: the loser of a pick loses
    // again to the same rival until one of them steps
    let kept = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const s = new PosStrategy();
      s.start(seed, 3);
      const a = all[s.pick(3, all)];
      s.stepped(a, POINT);
      const pair = Int32Array.from([0, 1, 2].filter((t) => t !== a));
      const b = pair[s.pick(2, pair)];
      if (pair[s.pick(2, pair)] === b) kept++;
    }
    expect(kept).toBe(200);
    // a task blocked on a lock and runnable again draws a fresh priority (counted as a race)
    const s = new PosStrategy();
    s.start(1, 3);
    s.stepped(2, 7); // task 2 blocked on lock 7
    s.pick(2, Int32Array.from([0, 1]));
    s.stepped(0, POINT);
    s.pick(3, all); // task 2 woken
    expect(s.ended()).toMatchObject({ redrawn: 1 });
    // a waiting task draws again at every step that does work, not at another's IDLE
    s.stepped(1, IDLE);
    s.stepped(0, IDLE);
    s.stepped(2, POINT);
    expect(s.ended()).toMatchObject({ redrawn: 3 });
  });

  it('finds flag-before-alloc for fixed seeds, and the token and the replay line replay it at the same step', { timeout: 120_000 }, async () => {
    for (const seed of ['1', '100000']) {
      const found = await runDoc(['lazy-rmaps', '--variant', 'flag-before-alloc', '--strategy', 'pos', '--seed', seed, '--executions', '500', '--jobs', '1', '--no-shrink']);
      expect(found.exitCode, `seed ${seed}`).toBe(1);
      expect(found.observed).toBe('use-before-publish');
      const v = found.violations[0];
      expect(v.replay).toContain('--strategy pos');
      const bySeed = await runDoc(argsOf(v.replay));
      expect([bySeed.observed, bySeed.violations[0].step, bySeed.violations[0].seed]).toEqual([v.kind, v.step, v.seed]);
      const byToken = await runDoc(['lazy-rmaps', '--variant', 'flag-before-alloc', '--schedule', found.shrink.token]);
      expect([byToken.observed, byToken.violations[0].step, byToken.violations[0].seed]).toEqual([v.kind, v.step, v.seed]);
    }
  });

  it('finds no-cache-lock, and its shrunk token replays it', { timeout: 120_000 }, async () => {
    const found = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'pos', '--seed', '1', '--executions', '200', '--jobs', '1']);
    expect(found.observed).toBe('cache-empty-under-lock');
    const v = found.violations[0];
    expect(v.replay).toContain('--schedule');
    const again = await runDoc(argsOf(v.replay));
    expect([again.observed, again.violations[0].step]).toEqual([v.kind, v.step]);
  });

  it('stays clean on the merged protocol and on cache-lock, with --jobs 2 as with --jobs 1', { timeout: 120_000 }, async () => {
    const one = await runDoc(['lazy-rmaps', '--variant', 'merged', '--strategy', 'pos', '--executions', '60', '--jobs', '1']);
    expect(one.exitCode).toBe(0);
    expect(one.executions).toBe(60);
    expect(one.pos.decisions).toBeGreaterThan(0);
    const two = await runDoc(['lazy-rmaps', '--variant', 'merged', '--strategy', 'pos', '--executions', '60', '--jobs', '2']);
    expect([two.exitCode, two.steps]).toEqual([0, one.steps]);
    const cache = await runDoc(['shrinker-vs-fault', '--variant', 'cache-lock', '--strategy', 'pos', '--executions', '30', '--jobs', '1']);
    expect(cache.exitCode).toBe(0);
  });
});
