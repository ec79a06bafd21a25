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

/**
 * Scratch arrays: inside `Space.scoped()`, sets and relations come from pools of arrays
 * kept across candidates, one pool per length, taken in stack order and given back when
 * the scope ends. Judging a candidate makes a few hundred short-lived relations; a fresh
 * typed array each (then garbage) cost more than the algebra on them. Candidates are
 * judged one at a time, so one pool per length serves every Space.
 */
interface Pool {
  arrays: Uint32Array[];
  top: number;
}
const pools = new Map<number, Pool>();
const scope = { depth: 0 };

function poolOf(len: number): Pool {
  let p = pools.get(len);
  if (!p) {
    p = { arrays: [], top: 0 };
    pools.set(len, p);
  }
  return p;
}

export class Space {
  /** Words per row. */
  readonly w: number;
  private readonly full: EvSet;
  private readonly relPool: Pool;
  private readonly setPool: Pool;

  constructor(readonly n: number) {
    this.w = Math.max(1, Math.ceil(n / 32));
    this.full = new Uint32Array(this.w);
    for (let i = 0; i < n; i++) this.full[i >>> 5] |= 1 << (i & 31);
    this.relPool = poolOf(n * this.w);
    this.setPool = poolOf(this.w);
  }

  /** Run f with scratch arrays: what it allocates is reused after it returns (nothing it makes may outlive it). */
  scoped<X>(f: () => X): X {
    const rels = this.relPool.top;
    const sets = this.setPool.top;
    scope.depth++;
    try {
      return f();
    } finally {
      scope.depth--;
      this.relPool.top = rels;
      this.setPool.top = sets;
    }
  }

  /** Run f outside the scratch pools: for results kept across candidates (memoized relations, cached choices). */
  lasting<X>(f: () => X): X {
    const d = scope.depth;
    scope.depth = 0;
    try {
      return f();
    } finally {
      scope.depth = d;
    }
  }

  private alloc(len: number): Uint32Array {
    if (scope.depth > 0) {
      const pool = len === this.w ? this.setPool : len === this.n * this.w ? this.relPool : null;
      if (pool) {
        if (pool.top < pool.arrays.length) {
          const out = pool.arrays[pool.top++];
          out.fill(0);
          return out;
        }
        const out = new Uint32Array(len);
        pool.arrays.push(out);
        pool.top++;
        return out;
      }
    }
    return new Uint32Array(len);
  }

  private copy(x: Uint32Array): Uint32Array {
    const out = this.alloc(x.length);
    out.set(x);
    return out;
  }

  set(): EvSet {
    return this.alloc(this.w);
  }

  rel(): Rel {
    return this.alloc(this.n * this.w);
  }

  setOf(members: Iterable<number>): EvSet {
    const s = this.set();
    for (const i of members) s[i >>> 5] |= 1 << (i & 31);
    return s;
  }

  all(): EvSet {
    return this.copy(this.full);
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

  removeEdge(r: Rel, i: number, j: number): void {
    r[i * this.w + (j >>> 5)] &= ~(1 << (j & 31));
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

  /** Whether row i of r is empty (i relates to nothing), without listing it. */
  rowEmpty(r: Rel, i: number): boolean {
    for (let m = 0; m < this.w; m++) if (r[i * this.w + m] !== 0) return false;
    return true;
  }

  /** The events row i of r relates to. */
  row(r: Rel, i: number): number[] {
    return this.members(r.subarray(i * this.w, (i + 1) * this.w));
  }

  union(...xs: Uint32Array[]): Uint32Array {
    const out = this.copy(xs[0]);
    for (let j = 1; j < xs.length; j++) {
      const x = xs[j];
      for (let k = 0; k < out.length; k++) out[k] |= x[k];
    }
    return out;
  }

  inter(...xs: Uint32Array[]): Uint32Array {
    const out = this.copy(xs[0]);
    for (let j = 1; j < xs.length; j++) {
      const x = xs[j];
      for (let k = 0; k < out.length; k++) out[k] &= x[k];
    }
    return out;
  }

  diff(a: Uint32Array, b: Uint32Array): Uint32Array {
    const out = this.alloc(a.length);
    for (let k = 0; k < a.length; k++) out[k] = a[k] & ~b[k];
    return out;
  }

  /** The complement of a set. */
  not(s: EvSet): EvSet {
    return this.diff(this.full, s);
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
    let out = xs[0];
    for (let j = 1; j < xs.length; j++) out = this.seq(out, xs[j]);
    return out;
  }

  /** r+ (Warshall's algorithm over rows). */
  plus(r: Rel): Rel {
    const out = this.copy(r);
    this.closeInPlace(out);
    return out;
  }

  private closeInPlace(out: Rel): void {
    const { n, w } = this;
    for (let k = 0; k < n; k++) {
      const ok = k * w;
      const bit = 1 << (k & 31);
      const word = k >>> 5;
      for (let i = 0; i < n; i++) {
        const oi = i * w;
        if (out[oi + word] & bit) for (let m = 0; m < w; m++) out[oi + m] |= out[ok + m];
      }
    }
  }

  id(): Rel {
    const out = this.rel();
    for (let i = 0; i < this.n; i++) this.addEdge(out, i, i);
    return out;
  }

  /** r* */
  star(r: Rel): Rel {
    const out = this.opt(r);
    // the identity (r empty, as rmw and data often are) is closed already
    if (!this.isEmpty(r)) this.closeInPlace(out);
    return out;
  }

  /** r? */
  opt(r: Rel): Rel {
    const out = this.copy(r);
    for (let i = 0; i < this.n; i++) this.addEdge(out, i, i);
    return out;
  }

  /** r^-1 */
  inv(r: Rel): Rel {
    const { n, w } = this;
    const out = this.rel();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < w; k++) {
        let x = r[i * w + k];
        while (x !== 0) {
          const j = k * 32 + (31 - Math.clz32(x & -x));
          x &= x - 1;
          out[j * w + (i >>> 5)] |= 1 << (i & 31);
        }
      }
    }
    return out;
  }

  /** [S] */
  ident(s: EvSet): Rel {
    const out = this.rel();
    for (let i = 0; i < this.n; i++) if (s[i >>> 5] & (1 << (i & 31))) this.addEdge(out, i, i);
    return out;
  }

  /** S * T */
  cart(s: EvSet, t: EvSet): Rel {
    const out = this.rel();
    for (let i = 0; i < this.n; i++) if (s[i >>> 5] & (1 << (i & 31))) out.set(t, i * this.w);
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
    const { n, w } = this;
    const out = this.set();
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < w; m++) {
        if (r[i * w + m] !== 0) {
          out[i >>> 5] |= 1 << (i & 31);
          break;
        }
      }
    }
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

  /** No cycle: Kahn's algorithm (repeatedly drop the events no remaining edge leads to), no closure needed. */
  acyclic(r: Rel): boolean {
    const { n, w } = this;
    const indeg = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < w; k++) {
        let x = r[i * w + k];
        while (x !== 0) {
          indeg[k * 32 + (31 - Math.clz32(x & -x))]++;
          x &= x - 1;
        }
      }
    }
    const stack: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) stack.push(i);
    let seen = 0;
    while (stack.length) {
      const i = stack.pop() as number;
      seen++;
      for (let k = 0; k < w; k++) {
        let x = r[i * w + k];
        while (x !== 0) {
          const j = k * 32 + (31 - Math.clz32(x & -x));
          x &= x - 1;
          if (--indeg[j] === 0) stack.push(j);
        }
      }
    }
    return seen === n;
  }

  /** r \ (r ; r): the immediate steps of an order. */
  singlestep(r: Rel): Rel {
    return this.diff(r, this.seq(r, r));
  }
}
