import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import type { Strategy } from '../src/exec/strategy.js';
import { ReplayDiverged, ReplayStrategy } from '../src/exec/strategies/replay.js';
import { loadScenario } from '../src/load/scenarios.js';

async function trace(variant: string, seed: number, strategy: Strategy = new RandomStrategy()) {
  const sc = await loadScenario('shrinker-vs-fault');
  const r = simExecution(sc.def, { ...sc.def.params, faults: 30 }, variant, seed, strategy, { keepTrace: true, keepSchedule: true });
  return r;
}

describe('sim determinism', () => {
  it('the same seed gives the same schedule and the same trace, byte for byte', async () => {
    const a = await trace('cache-lock', 7);
    const b = await trace('cache-lock', 7);
    expect(a.schedule?.choices).toBeInstanceOf(Uint8Array); // one byte per choice, not an array of numbers
    expect(a.schedule?.choices.length).toBeGreaterThan(100);
    expect(b.schedule).toEqual(a.schedule);
    expect(b.steps).toBe(a.steps);
    expect(a.trace?.length).toBeGreaterThan(500);
    expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
    expect(JSON.stringify(b.stats)).toBe(JSON.stringify(a.stats));
  });

  it('a violation replays at the same step with the same trace', async () => {
    const a = await trace('lock-after-topup', 3);
    const b = await trace('lock-after-topup', 3);
    expect(a.violation?.kind).toBe('cache-empty-under-lock');
    expect(b.violation?.step).toBe(a.violation?.step);
    expect(JSON.stringify(b.violation?.trace)).toBe(JSON.stringify(a.violation?.trace));
  });

  it('different seeds give different schedules', async () => {
    const a = await trace('cache-lock', 1);
    const b = await trace('cache-lock', 2);
    expect(b.schedule?.choices).not.toEqual(a.schedule?.choices);
    expect(JSON.stringify(b.trace)).not.toBe(JSON.stringify(a.trace));
  });

  it('replaying the recorded choices reproduces the execution', async () => {
    const a = await trace('lock-after-topup', 5);
    const b = await trace('lock-after-topup', 5, new ReplayStrategy(a.schedule!));
    expect(b.violation?.step).toBe(a.violation?.step);
    expect(JSON.stringify(b.violation?.trace)).toBe(JSON.stringify(a.violation?.trace));
  });

  it('a replay that diverges says so', async () => {
    const a = await trace('cache-lock', 5);
    const broken = { ...a.schedule!, choices: a.schedule!.choices.slice(0, 10) };
    await expect(trace('cache-lock', 5, new ReplayStrategy(broken))).rejects.toThrow(ReplayDiverged);
  });
});
