/**
 * Schedule shrinking: a finding is reported on a schedule with no more preemptions and
 * steps than the one that found it, the same violation, and a token that replays it.
 */
import { describe, expect, it } from 'vitest';
import { violationSignature } from '../src/exec/shrink.js';
import { defaultPick, guideToken, parseGuideToken } from '../src/exec/strategies/guided.js';
import { shrinkText } from '../src/report/text.js';
import { cli, expectBadInput } from './cli-helpers.js';

const replayArgs = (line: string) => line.replace(/^npx mmu-stress /, '').split(' ');

describe('schedule shrinking', () => {
  it('a random finding is shrunk to fewer preemptions, and the token replays the shrunk violation twice', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'lock-after-topup', '--seed', '3', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    const v = doc.violations[0];
    expect(doc.shrink.to.preemptions).toBeLessThan(doc.shrink.from.preemptions);
    expect(doc.shrink.to.steps).toBeLessThanOrEqual(doc.shrink.from.steps);
    expect(v.replay).toContain(`--schedule ${doc.shrink.token}`);
    for (let k = 0; k < 2; k++) {
      const again = cli([...replayArgs(v.replay), '--json']);
      expect(again.code).toBe(1);
      const w = JSON.parse(again.out).violations[0];
      expect([w.kind, w.task, w.step, w.message]).toEqual([v.kind, v.task, v.step, v.message]);
    }
  });

  it('the text report says how far it shrank; --no-shrink reports the schedule as found, replayed from its seed without shrinking', () => {
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^shrunk from \d+ to \d+ preemptions?, [\d,]+ to [\d,]+ steps \(\d+ executions tried/m);
    const kept = cli(['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--no-shrink']);
    expect(kept.code).toBe(1);
    expect(kept.out).toMatch(/^schedule: \d+ preemptions?, [\d,]+ steps \(not shrunk: --no-shrink\)/m);
    // the seed alone would shrink it again: the line keeps --no-shrink to give this very execution
    expect(kept.out.trim().split('\n').at(-1)).toMatch(/--seed 1 --executions 1 --no-shrink$/);
  });

  it('a guide token round-trips, and the default schedule lets the last task go on', () => {
    const g = { seed: 12345, entries: [[0, 2], [37, 1], [38, 0], [1000, 2]] as [number, number][] };
    expect(parseGuideToken(guideToken(g))).toEqual(g);
    const all = Int32Array.from([0, 1, 2]);
    expect(defaultPick(1, false, 3, all)).toBe(1); // goes on
    expect(defaultPick(1, true, 3, all)).toBe(2); // idled: the next one in the ring
    expect(defaultPick(2, true, 3, all)).toBe(0); // round the ring
    expect(defaultPick(1, false, 2, Int32Array.from([0, 2]))).toBe(1); // blocked: the next after it
    expect(violationSignature({ kind: 'invariant', message: 'vcpu0: foo_bar() did x in baz()', details: [], task: 'vcpu0', role: 'vcpu', step: 1, locksHeld: [] })).toBe('invariant|vcpu0|foo_bar');
  });

  it('bad input: a malformed token, or a token with flags it replaces, is one line and exit 2', () => {
    expectBadInput(cli(['run', 'shrinker-vs-fault', '--schedule', 'g2.1.zz']), /--schedule: schedule token: entry 1 'zz' is not <step>-<task> or <load>_<store>/);
    expectBadInput(cli(['run', 'shrinker-vs-fault', '--schedule', 'g2.1', '--seed', '2']), /--schedule replays one sim execution/);
    expectBadInput(cli(['run', 'shrinker-vs-fault', '--schedule', '@/nonexistent/file']), /cannot read it \(ENOENT\)/);
  });
});

describe('the shrink line', () => {
  it('says when fewer preemptions took a longer schedule, and nothing more when the schedule got shorter', () => {
    const base = { attempts: 12, capped: false, bounds: '', token: 'g2.1.0-1' };
    expect(shrinkText({ ...base, from: { preemptions: 17, steps: 30 }, to: { preemptions: 2, steps: 77 } })).toBe(
      'shrunk from 17 to 2 preemptions, 30 to 77 steps (fewer preemptions, a longer schedule) (12 executions tried); the trace below is the shrunk schedule\'s',
    );
    expect(shrinkText({ ...base, from: { preemptions: 5, steps: 90 }, to: { preemptions: 1, steps: 40 } })).toBe(
      "shrunk from 5 to 1 preemption, 90 to 40 steps (12 executions tried); the trace below is the shrunk schedule's",
    );
  });
});
