/**
 * `--shard i/n`: the rows of a campaign split over n machines, deterministically: the
 * planned rows (scenario x variant x mode, in `list` order) are dealt round-robin, and
 * shard i (1..n) takes rows i, i+n, i+2n, ... A Kubernetes Indexed Job passes
 * `--shard $((JOB_COMPLETION_INDEX + 1))/N`; a GitHub Actions matrix `--shard ${{ matrix.shard }}/N`.
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

/** Does row number `k` (0-based, in plan order) belong to the shard? */
export function inShard(k: number, shard: Shard | null): boolean {
  return shard === null || k % shard.count === shard.index - 1;
}
