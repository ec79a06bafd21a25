/** `random`: a seeded uniform choice among the runnable tasks at every op. */
import { Alea } from '../../rt/alea.js';
import type { Strategy, StrategyEntry, StrategySpec } from '../strategy.js';

export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private rng = new Alea('0');

  start(seed: number): void {
    this.rng = new Alea(`${seed}:schedule`);
  }

  pick(n: number): number {
    return Math.floor(this.rng.next() * n);
  }

  choose(n: number): number {
    return Math.floor(this.rng.next() * n);
  }
}

export const random: StrategyEntry<StrategySpec, 'random'> = {
  name: 'random',
  help: 'uniformly (default)',
  create: () => new RandomStrategy(),
  parallel: () => true,
};
