/**
 * `--shard i/n`: the rows of a campaign split over n machines, deterministically: the
 * planned rows (scenario x variant x mode, in `list` order) are dealt round-robin, the sim
 * rows first and then the threads rows, and shard i (1..n) takes the i-th, (i+n)-th,
 * (i+2n)-th ... of that deal. Every shard so gets its share of both kinds: dealt in plan
 * order, where each variant's sim row is followed by its threads row, two shards split
 * into one of sim rows (seconds) and one of threads rows (each its --threads-time).
 * A Kubernetes Indexed Job passes `--shard $((JOB_COMPLETION_INDEX + 1))/N`; a GitHub
 * Actions matrix `--shard ${{ matrix.shard }}/N`.
 */
import { BadInput } from '../rt/errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m) throw new BadInput(`--shard must be i/n (e.g. 1/4, shards counted from 1), not '${v}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 10_000) throw new BadInput(`--shard ${v}: n must be 1..10000`);
  if (index < 1 || index > count) throw new BadInput(`--shard ${v}: i must be 1..${count} (shards are counted from 1)`);
  return { index, count };
}

/** Does the row dealt k-th (0-based) belong to the shard? */
export function inShard(k: number, shard: Shard | null): boolean {
  return shard === null || k % shard.count === shard.index - 1;
}

/** A plan's rows with its sim rows first, then its threads rows, each in plan order: the order --shard deals them in and a campaign runs them in. */
export function dealOrder<R extends { mode: string }>(plan: readonly R[]): R[] {
  return [...plan.filter((p) => p.mode === 'sim'), ...plan.filter((p) => p.mode !== 'sim')];
}

/** The shard's rows of a plan, in plan order. */
export function shardRows<R extends { mode: string }>(plan: readonly R[], shard: Shard | null): R[] {
  if (shard === null) return [...plan];
  const mine = new Set(dealOrder(plan).filter((_, k) => inShard(k, shard)));
  return plan.filter((p) => mine.has(p));
}
