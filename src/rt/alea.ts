/**
 * Baagoe's Alea generator, the one seedrandom.alea() implements, as one small class:
 * the same seeding (Mash over the seed string) and the same numbers, draw for draw.
 * seedrandom's closure-per-generator form cost the random strategy about a fifth of
 * sim's loop (a generator made per execution, a closure called per scheduling step);
 * this one is a plain object whose next() V8 inlines. test/alea.test.ts holds it to
 * seedrandom's sequence.
 */

/** 2^-32 */
const TWO_M32 = 2.3283064365386963e-10;

/** Baagoe's Mash: a hash of strings into [0, 1), its state carried from call to call. */
class Mash {
  private n = 0xefc8249d;
  hash(data: string): number {
    let n = this.n;
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    this.n = n;
    return (n >>> 0) * TWO_M32;
  }
}

export class Alea {
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;
  constructor(seed: string) {
    const mash = new Mash();
    this.s0 = mash.hash(' ');
    this.s1 = mash.hash(' ');
    this.s2 = mash.hash(' ');
    this.s0 -= mash.hash(seed);
    if (this.s0 < 0) this.s0 += 1;
    this.s1 -= mash.hash(seed);
    if (this.s1 < 0) this.s1 += 1;
    this.s2 -= mash.hash(seed);
    if (this.s2 < 0) this.s2 += 1;
  }

  /** The next number in [0, 1): seedrandom.alea(seed)() would return the same. */
  next(): number {
    const t = 2091639 * this.s0 + this.c * TWO_M32;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    this.s2 = t - this.c;
    return this.s2;
  }
}
