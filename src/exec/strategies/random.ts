/** `random`: a seeded uniform choice among the runnable tasks at every op. */
import seedrandom from 'seedrandom';
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private rng: seedrandom.PRNG = seedrandom.alea('0');

  start(seed: number): void {
    this.rng = seedrandom.alea(`${seed}:schedule`);
  }

  pick(n: number): number {
    return Math.floor(this.rng() * n);
  }

  choose(n: number): number {
    return Math.floor(this.rng() * n);
  }
}

export const random: StrategyEntry<StrategySpec, 'random'> = {
  name: 'random',
  help: 'uniformly (default)',
  create: () => new RandomStrategy(),
  parallel: () => true,
};
