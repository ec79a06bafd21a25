/**
 * Sets and binary relations over the few events of one candidate execution, as bit
 * matrices: a set is `w` 32-bit words, a relation is `n` rows of `w` words (row i holds
 * the events i relates to). A litmus test has tens of events, so a row is one or two
 * words and every operation of the model (sequence, closure, inverse) is a few loops.
 *
 * The names follow the cat language the kernel's model is written in (`;` is `seq`,
 * `r+` is `plus`, `r*` is `star`, `r?` is `opt`, `[S]` is `ident`, `S * T` is `cart`).
 */

export type EvSet = Uint32Array;
export type Rel = Uint32Array;

export class Space {
  /** Words per row. */
  readonly w: number;

  constructor(readonly n: number) {
    this.w = Math.max(1, Math.ceil(n / 32));
  }

  set(): EvSet {
    return new Uint32Array(this.w);
  }

  rel(): Rel {
    return new Uint32Array(this.n * this.w);
  }

  setOf(members: Iterable<number>): EvSet {
    const s = this.set();
    for (const i of members) s[i >>> 5] |= 1 << (i & 31);
    return s;
  }

  all(): EvSet {
    return this.setOf(Array.from({ length: this.n }, (_, i) => i));
  }

  has(s: EvSet, i: number): boolean {
    return (s[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  hasEdge(r: Rel, i: number, j: number): boolean {
    return (r[i * this.w + (j >>> 5)] & (1 << (j & 31))) !== 0;
  }

  addEdge(r: Rel, i: number, j: number): void {
    r[i * this.w + (j >>> 5)] |= 1 << (j & 31);
  }

  /** The members of a set, ascending. */
  members(s: EvSet): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.w; k++) {
      let x = s[k];
      while (x !== 0) {
        const b = 31 - Math.clz32(x & -x);
        out.push(k * 32 + b);
        x &= x - 1;
      }
    }
    return out;
  }

  /** The events row i of r relates to. */
  row(r: Rel, i: number): number[] {
    return this.members(r.subarray(i * this.w, (i + 1) * this.w));
  }

  union(...xs: Uint32Array[]): Uint32Array {
    const out = new Uint32Array(xs[0].length);
    for (const x of xs) for (let k = 0; k < out.length; k++) out[k] |= x[k];
    return out;
  }

  inter(...xs: Uint32Array[]): Uint32Array {
    const out = Uint32Array.from(xs[0]);
    for (const x of xs.slice(1)) for (let k = 0; k < out.length; k++) out[k] &= x[k];
    return out;
  }

  diff(a: Uint32Array, b: Uint32Array): Uint32Array {
    const out = new Uint32Array(a.length);
    for (let k = 0; k < a.length; k++) out[k] = a[k] & ~b[k];
    return out;
  }

  /** The complement of a set. */
  not(s: EvSet): EvSet {
    return this.diff(this.all(), s);
  }

  isEmpty(x: Uint32Array): boolean {
    for (let k = 0; k < x.length; k++) if (x[k] !== 0) return false;
    return true;
  }

  /** a ; b */
  seq(a: Rel, b: Rel): Rel {
    const { n, w } = this;
    const out = this.rel();
    for (let i = 0; i < n; i++) {
      const oi = i * w;
      for (let k = 0; k < w; k++) {
        let x = a[oi + k];
        while (x !== 0) {
          const j = k * 32 + (31 - Math.clz32(x & -x));
          x &= x - 1;
          const oj = j * w;
          for (let m = 0; m < w; m++) out[oi + m] |= b[oj + m];
        }
      }
    }
    return out;
  }

  /** a1 ; a2 ; ... */
  seqs(...xs: Rel[]): Rel {
    return xs.reduce((a, b) => this.seq(a, b));
  }

  /** r+ (Warshall's algorithm over rows). */
  plus(r: Rel): Rel {
    const { n, w } = this;
    const out = Uint32Array.from(r);
    for (let k = 0; k < n; k++) {
      const ok = k * w;
      const bit = 1 << (k & 31);
      const word = k >>> 5;
      for (let i = 0; i < n; i++) {
        const oi = i * w;
        if (out[oi + word] & bit) for (let m = 0; m < w; m++) out[oi + m] |= out[ok + m];
      }
    }
    return out;
  }

  id(): Rel {
    const out = this.rel();
    for (let i = 0; i < this.n; i++) this.addEdge(out, i, i);
    return out;
  }

  /** r* */
  star(r: Rel): Rel {
    return this.union(this.plus(r), this.id());
  }

  /** r? */
  opt(r: Rel): Rel {
    return this.union(r, this.id());
  }

  /** r^-1 */
  inv(r: Rel): Rel {
    const out = this.rel();
    for (let i = 0; i < this.n; i++) for (const j of this.row(r, i)) this.addEdge(out, j, i);
    return out;
  }

  /** [S] */
  ident(s: EvSet): Rel {
    const out = this.rel();
    for (const i of this.members(s)) this.addEdge(out, i, i);
    return out;
  }

  /** S * T */
  cart(s: EvSet, t: EvSet): Rel {
    const out = this.rel();
    for (const i of this.members(s)) out.set(t, i * this.w);
    return out;
  }

  /** [S] ; r ; [T] */
  restrict(s: EvSet | null, r: Rel, t: EvSet | null): Rel {
    const { n, w } = this;
    const out = this.rel();
    for (let i = 0; i < n; i++) {
      if (s && !this.has(s, i)) continue;
      for (let m = 0; m < w; m++) out[i * w + m] = r[i * w + m] & (t ? t[m] : 0xffffffff);
    }
    return out;
  }

  domain(r: Rel): EvSet {
    const out = this.set();
    for (let i = 0; i < this.n; i++) if (!this.isEmpty(r.subarray(i * this.w, (i + 1) * this.w))) out[i >>> 5] |= 1 << (i & 31);
    return out;
  }

  range(r: Rel): EvSet {
    const out = this.set();
    for (let i = 0; i < this.n; i++) for (let m = 0; m < this.w; m++) out[m] |= r[i * this.w + m];
    return out;
  }

  irreflexive(r: Rel): boolean {
    for (let i = 0; i < this.n; i++) if (this.hasEdge(r, i, i)) return false;
    return true;
  }

  acyclic(r: Rel): boolean {
    return this.irreflexive(this.plus(r));
  }

  /** r \ (r ; r): the immediate steps of an order. */
  singlestep(r: Rel): Rel {
    return this.diff(r, this.seq(r, r));
  }
}
