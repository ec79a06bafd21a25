/**
 * The seed range: seeds are whole numbers from 0 to 2^53 - 1 (Number.MAX_SAFE_INTEGER).
 * Every generator is seeded from the seed's decimal text, so the whole range is as good as
 * the first seeds, and every seed a run reaches is one `--seed` and a schedule token
 * accept. A run stops at MAX_SEED: it never wraps.
 */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** How many executions a run from `seed` can have before it would pass MAX_SEED. */
export function seedsLeft(seed: number): number {
  return MAX_SEED - seed + 1;
}
