/**
 * The round-robin strategy, added through the registry alone (its file and one line in
 * exec/strategies/index.ts): --strategy takes it, a clean variant stays clean under it, a
 * bug variant is found, and the replay line it prints (by token, and by seed with
 * --no-shrink) gives the same violation at the same step.
 */
import { describe, expect, it } from 'vitest';
import { argsOf, runDoc } from './run-doc.js';
import { RoundRobinStrategy } from '../src/exec/strategies/round-robin.js';


describe('round-robin', () => {
  it('passes each step to the next runnable task in task order, from the one that stepped last', () => {
    const s = new RoundRobinStrategy();
    s.start();
    const runnable = Int32Array.from([0, 2, 3]);
    expect(runnable[s.pick(3, runnable)]).toBe(0); // nothing stepped yet: the first task
    s.stepped(2);
    expect(runnable[s.pick(3, runnable)]).toBe(3);
    s.stepped(3);
    expect(runnable[s.pick(3, runnable)]).toBe(0); // round the ring
    s.stepped(0);
    expect(runnable[s.pick(3, runnable)]).toBe(2); // task 1 cannot run: the next one does
  });

  it('keeps a clean variant clean, and says so in its section', { timeout: 120_000 }, async () => {
    const doc = await runDoc(['shrinker-vs-fault', '--variant', 'cache-lock', '--strategy', 'round-robin', '--executions', '10', '--jobs', '1']);
    expect(doc.exitCode).toBe(0);
    expect(doc.observed).toBe('ok');
    expect(doc.executions).toBe(10);
    expect(doc['round-robin'].decisions).toBeGreaterThan(0);
    expect(doc['round-robin'].longest).toBeLessThanOrEqual(doc['round-robin'].decisions);
  });

  it('finds a bug variant, and its replay lines replay it', { timeout: 120_000 }, async () => {
    const found = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'round-robin', '--executions', '20', '--jobs', '1']);
    expect(found.exitCode).toBe(1);
    expect(found.observed).toBe('cache-empty-under-lock');
    const v = found.violations[0];
    const again = await runDoc(argsOf(v.replay));
    expect(again.observed).toBe(v.kind);
    expect(again.violations[0].step).toBe(v.step);

    // as found, not shrunk: the line replays by seed, so it must name the strategy
    const raw = await runDoc(['shrinker-vs-fault', '--variant', 'no-cache-lock', '--strategy', 'round-robin', '--executions', '20', '--jobs', '1', '--no-shrink']);
    const line: string = raw.violations[0].replay;
    expect(line).toContain('--strategy round-robin');
    const seeded = await runDoc(argsOf(line));
    expect(seeded.observed).toBe(raw.violations[0].kind);
    expect(seeded.violations[0].step).toBe(raw.violations[0].step);
    expect(seeded.violations[0].seed).toBe(raw.violations[0].seed);
  });

  it('takes no other strategy\'s flags', async () => {
    const doc = await runDoc(['shrinker-vs-fault', '--strategy', 'round-robin', '--depth', '2']);
    expect(doc.exitCode).toBe(2);
    expect(doc.error.message).toBe('--depth and --pct-steps go with --strategy pct');
  });
});
