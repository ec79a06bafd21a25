/**
 * Decide a litmus test under LKMM the way herd7 does: enumerate the candidate executions
 * (a path per thread, which write each read reads from, the coherence order of each
 * location, lock.cat's choices for failed trylocks and spin_is_locked), keep those the
 * model allows (model.ts), and count the outcomes that satisfy the final condition.
 *
 * The answer is herd7's: the states reached, the allowed executions that satisfy the
 * condition (positive) and those that do not (negative), and the flags any allowed
 * execution raises ("data-race", ...). Observation: Never (no positive), Always (no
 * negative), Sometimes otherwise.
 *
 * Candidates are built location by location: a location's reads-from and coherence choices
 * that already break coherence on that location (or lock.cat's ConsCo) are dropped before
 * the locations are combined, so most candidates never reach the whole model.
 */
import type { Cond, LitmusTest } from '../parse.js';
import { Unsupported } from '../parse.js';
import type { ThreadPath } from './events.js';
import { judge, Static } from './model.js';
import type { Rel } from './rel.js';
import { threadPaths } from './program.js';

export interface LkmmOutcome {
  /** "0:r0=1; x=2;" over the locations the condition and `locations` name. */
  state: string;
  satisfies: boolean;
}

export interface LkmmResult {
  outcomes: LkmmOutcome[];
  /** Allowed executions that satisfy the condition, and those that do not (herd7's Witnesses). */
  positive: number;
  negative: number;
  /** Candidate executions judged by the whole model. */
  candidates: number;
  /** Search steps: thread-path combinations and per-location choices looked at, candidates judged. */
  steps: number;
  /** Flags raised by some allowed execution, sorted. */
  flags: string[];
  complete: boolean;
  stoppedBy?: 'time' | 'executions';
  some: boolean;
  all: boolean;
}

export interface CheckLimits {
  /** Stop (incomplete) once this many candidates have been judged. */
  maxCandidates?: number;
  /** Stop (incomplete) once now() reaches it (looked at every CLOCK_EVERY steps). */
  deadline?: number;
  now?: () => number;
}

const CLOCK_EVERY = 256;
/** Paths of one thread before the test is called too big to enumerate. */
const MAX_PATHS = 1_000_000;

class Stop extends Error {
  constructor(readonly by: 'time' | 'executions') {
    super(by);
  }
}

/** The locations of a test: its shared variables, locks and srcu structs, in a stable order. */
function locationsOf(test: LitmusTest): string[] {
  return [...new Set([...test.init.keys(), ...test.locks])];
}

/** What each location can hold: its initial value and every value some path writes there (a fixpoint). */
function valueDomains(test: LitmusTest, locations: string[]): Map<string, number[]> {
  const dom = new Map(locations.map((l) => [l, new Set([test.init.get(l) ?? 0])]));
  // A value a read returns comes from a chain of writes, each computed from what the one before
  // wrote, at most as long as the test has writes: that many rounds find every value an
  // execution can see (atomic_inc's 1, 2, 3, ...). Values no execution can produce only make
  // paths whose reads find no write to read from.
  const rounds = test.threads.reduce((n, th) => n + countWrites(th.body), 0) + 1;
  for (let round = 0; round <= rounds; round++) {
    let grew = false;
    const values = (l: string) => [...(dom.get(l) ?? [0])].sort((a, b) => a - b);
    for (const th of test.threads) {
      const paths = threadPaths(th, values, MAX_PATHS);
      if (!paths) throw new Unsupported(`P${th.id} has more than ${MAX_PATHS} paths`);
      for (const p of paths)
        for (const e of p.events) {
          if (e.kind !== 'W' || e.loc === null) continue;
          const d = dom.get(e.loc) as Set<number>;
          if (!d.has(e.value)) {
            d.add(e.value);
            grew = true;
          }
        }
    }
    if (!grew) break;
  }
  return new Map([...dom].map(([l, s]) => [l, [...s].sort((a, b) => a - b)]));
}

/** The statements of a body that write memory (an upper bound on a path's writes). */
function countWrites(body: LitmusTest['threads'][number]['body']): number {
  let n = 0;
  for (const s of body) {
    if (s.k === 'if') n += countWrites(s.then) + countWrites(s.else);
    else if (s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg' || s.k === 'atomic' || (s.k === 'srcu' && s.op === 'unlock')) n++;
  }
  return n;
}

/** One location's choice: the read-from edges and coherence order it contributes. */
interface LocChoice {
  rf0: [number, number][];
  /** Lock reads and lock.cat's other read-from edges (LF, RU, LKR). */
  rfLock: [number, number][];
  co: Rel;
}

export function checkLkmm(test: LitmusTest, limits: CheckLimits = {}): LkmmResult {
  const maxCandidates = limits.maxCandidates ?? Number.POSITIVE_INFINITY;
  const deadline = limits.deadline ?? Number.POSITIVE_INFINITY;
  const now = limits.now ?? (() => performance.now());
  const locations = locationsOf(test);
  const dom = valueDomains(test, locations);
  const values = (l: string) => dom.get(l) ?? [0];
  const perThread = ownWritesFirst(test.threads.map((th) => threadPaths(th, values, MAX_PATHS) as ThreadPath[]));
  const shown = locationsShown(test);
  const seen = new Map<string, boolean>();
  const flags = new Set<string>();
  let positive = 0;
  let negative = 0;
  let candidates = 0;
  let steps = 0;
  let stoppedBy: 'time' | 'executions' | undefined;
  const tick = () => {
    if (++steps % CLOCK_EVERY === 0 && now() >= deadline) throw new Stop('time');
  };

  const combine = (k: number, chosen: ThreadPath[]) => {
    if (k === perThread.length) {
      tick();
      examine(chosen);
      return;
    }
    for (const p of perThread[k]) combine(k + 1, [...chosen, p]);
  };

  const examine = (paths: ThreadPath[]) => {
    // a read whose value no write of these paths (or the initial state) gives cannot happen
    const written = new Map(locations.map((l) => [l, new Set([test.init.get(l) ?? 0])]));
    for (const p of paths) for (const e of p.events) if (e.kind === 'W' && e.loc !== null) written.get(e.loc)?.add(e.value);
    for (const p of paths) for (const e of p.events) if (e.kind === 'R' && e.loc !== null && !written.get(e.loc)?.has(e.value)) return;
    const st = new Static(locations, test.init, paths);
    if (st.staticFailure) return;
    const perLoc: LocChoice[][] = [];
    for (const l of locations) {
      const c = locationChoices(st, l, tick);
      if (c.length === 0) return;
      perLoc.push(c);
    }
    const sp = st.sp;
    const pick = (k: number, rf0: Rel, rf: Rel, co: Rel) => {
      if (k === perLoc.length) {
        tick();
        if (candidates >= maxCandidates) throw new Stop('executions');
        candidates++;
        const v = judge(st, rf0, rf, co);
        if (!v.ok) return;
        for (const f of v.flags) flags.add(f);
        const o = outcome(test, shown, st, paths, co);
        if (o.satisfies) positive++;
        else negative++;
        if (!seen.has(o.state)) seen.set(o.state, o.satisfies);
        return;
      }
      for (const c of perLoc[k]) {
        const rf0n = Uint32Array.from(rf0);
        const rfn = Uint32Array.from(rf);
        for (const [w, r] of c.rf0) {
          sp.addEdge(rf0n, w, r);
          sp.addEdge(rfn, w, r);
        }
        for (const [w, r] of c.rfLock) sp.addEdge(rfn, w, r);
        pick(k + 1, rf0n, rfn, sp.union(co, c.co));
      }
    };
    pick(0, sp.rel(), sp.rel(), sp.rel());
  };

  try {
    combine(0, []);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    stoppedBy = e.by;
  }
  const outcomes = [...seen].map(([state, satisfies]) => ({ state, satisfies })).sort((a, b) => (a.state < b.state ? -1 : 1));
  return {
    outcomes,
    positive,
    negative,
    candidates,
    steps,
    flags: [...flags].sort(),
    complete: stoppedBy === undefined,
    ...(stoppedBy ? { stoppedBy } : {}),
    some: positive > 0,
    all: positive > 0 && negative === 0,
  };
}

/**
 * Drop the paths that cannot be coherent on their own: a read after its own CPU's write to
 * the location reads that write or another CPU's (never the initial value or an own older
 * write: [cat] coherence). A pruning only: the model would reject those candidates anyway,
 * but pruning them here keeps the search from spending itself on combinations that fail
 * late, and brings the first candidates of a big test early.
 */
function ownWritesFirst(perThread: ThreadPath[][]): ThreadPath[][] {
  const writable = perThread.map((paths) => {
    const m = new Map<string, Set<number>>();
    for (const p of paths) for (const e of p.events) if (e.kind === 'W' && e.loc !== null) (m.get(e.loc) ?? m.set(e.loc, new Set()).get(e.loc))?.add(e.value);
    return m;
  });
  return perThread.map((paths, t) =>
    paths.filter((p) => {
      const last = new Map<string, number>();
      for (const e of p.events) {
        if (e.loc === null) continue;
        if (e.kind === 'R' && last.has(e.loc) && last.get(e.loc) !== e.value && !writable.some((m, u) => u !== t && m.get(e.loc as string)?.has(e.value))) return false;
        if (e.kind === 'W') last.set(e.loc, e.value);
      }
      return true;
    }),
  );
}

/** Every order of `xs` (Heap's algorithm would do; tests have a handful of writes per location). */
function permutations<X>(xs: X[]): X[][] {
  if (xs.length <= 1) return [xs];
  const out: X[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** Every product of one option per slot. */
function product<X>(slots: X[][]): X[][] {
  return slots.reduce<X[][]>((acc, opts) => acc.flatMap((a) => opts.map((o) => [...a, o])), [[]]);
}

/**
 * One location's read-from and coherence choices that keep it coherent ([cat] coherence and
 * atomic restricted to the location, [cos] co0 and the ConsCo order, [lock] the lock events).
 */
function locationChoices(st: Static, l: string, tick: () => void): LocChoice[] {
  const sp = st.sp;
  const at = st.ev.flatMap((e, i) => (e.loc === l ? [i] : []));
  const is = (i: number, k: string) => st.ev[i].kind === k;
  const iw = at.find((i) => st.ev[i].init) as number;
  const writes = at.filter((i) => is(i, 'W'));
  const reads = at.filter((i) => is(i, 'R'));
  const lkw = at.filter((i) => is(i, 'LKW'));
  const ul = at.filter((i) => is(i, 'UL'));
  const lf = at.filter((i) => sp.has(st.LF, i));
  const ru = at.filter((i) => is(i, 'RU'));
  const lkr = at.filter((i) => is(i, 'LKR'));
  const po = (a: number, b: number) => sp.hasEdge(st.po, a, b);
  const ext = (a: number, b: number) => st.ev[a].init || st.ev[b].init || st.ev[a].thread !== st.ev[b].thread;

  // herd7's rf for ordinary reads: any write of the location with the value the read returns
  const rfOpts = reads.map((r) => writes.filter((w) => st.ev[w].value === st.ev[r].value).map((w): [number, number] => [w, r]));
  // [lock] rfi-lf: an LF inside a critical section reads its lock; the others read some other CPU's lock write
  const lfOpts = lf.map((r) => {
    const inside = lkw.filter((w) => po(w, r) && !ul.some((u) => po(w, u) && po(u, r)));
    if (inside.length) return inside.map((w): [number, number] => [w, r]);
    return lkw.filter((w) => ext(w, r)).map((w): [number, number] => [w, r]);
  });
  // [lock] possible-rf-ru: the last unlock before it on its CPU, or another CPU's unlock, or the initial state
  const ruOpts = ru.map((r) => {
    const own = ul.filter((u) => po(u, r) && !ul.some((v) => po(u, v) && po(v, r)));
    const other = [iw, ...ul].filter((u) => ext(u, r));
    return [...own, ...other].map((u): [number, number] => [u, r]);
  });
  const unmatched = lkw.filter((w) => sp.row(st.critical, w).length === 0);
  const ordered = [...writes.filter((w) => w !== iw), ...lkw.filter((w) => !unmatched.includes(w))];
  const out: LocChoice[] = [];
  const locRel = st.loc;
  for (const order of permutations(ordered)) {
    tick();
    // [cos] co0: the initial write first; [lock] an unmatched lock write last
    const seq = [iw, ...order, ...unmatched];
    let co = sp.rel();
    for (let a = 0; a < seq.length; a++) for (let b = a + 1; b < seq.length; b++) sp.addEdge(co, seq[a], seq[b]);
    if (st.hasLocks && (lkw.length || ul.length)) {
      // [lock] co = (co | critical | (critical^-1 ; co))+ : each unlock right after its lock write
      co = sp.plus(sp.union(co, st.critical, sp.seq(sp.inv(st.critical), co)));
    }
    co = sp.inter(co, locRel);
    // [lock] a lock's read reads the write just before its lock write in co, if that is the initial state or an unlock
    const lkrRf: [number, number][] = [];
    const step = sp.singlestep(co);
    for (const r of lkr) {
      const w = sp.row(st.lkRmw, r)[0];
      if (w === undefined) continue;
      for (const p of at) if (sp.hasEdge(step, p, w) && (p === iw || is(p, 'UL'))) lkrRf.push([p, r]);
    }
    for (const rfChoice of product([...rfOpts, ...lfOpts, ...ruOpts])) {
      tick();
      const rf = sp.rel();
      for (const [w, r] of rfChoice) sp.addEdge(rf, w, r);
      for (const [w, r] of lkrRf) sp.addEdge(rf, w, r);
      const fr = sp.seq(sp.inv(rf), co);
      if (!sp.acyclic(sp.union(st.poLoc, rf, co, fr))) continue;
      if (!sp.isEmpty(sp.inter(st.rmw, sp.seq(sp.inter(fr, st.ext), sp.inter(co, st.ext))))) continue;
      out.push({ rf0: rfChoice.slice(0, reads.length), rfLock: [...rfChoice.slice(reads.length), ...lkrRf], co });
    }
  }
  return out;
}

function locationsShown(test: LitmusTest): { thread: number | null; name: string }[] {
  const out: { thread: number | null; name: string }[] = [];
  const add = (l: { thread: number | null; name: string }) => {
    if (!out.some((o) => o.thread === l.thread && o.name === l.name)) out.push(l);
  };
  const walk = (c: Cond) => {
    if (c.k === 'atom') add({ thread: c.thread, name: c.name });
    else if (c.k === 'not') walk(c.c);
    else if (c.k === 'and' || c.k === 'or') {
      walk(c.a);
      walk(c.b);
    }
  };
  walk(test.cond);
  test.locations.forEach(add);
  return out;
}

/** The final state of a candidate: registers from the paths, memory from each location's co-last write. */
function outcome(test: LitmusTest, shown: { thread: number | null; name: string }[], st: Static, paths: ThreadPath[], co: Rel): LkmmOutcome {
  const sp = st.sp;
  const final = new Map<string, number>();
  st.ev.forEach((e, i) => {
    if ((e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') && e.loc !== null && sp.row(co, i).length === 0) final.set(e.loc, e.kind === 'W' ? e.value : e.kind === 'LKW' ? 1 : 0);
  });
  const value = (thread: number | null, name: string): number => (thread === null ? (final.get(name) ?? test.init.get(name) ?? 0) : (paths[thread]?.regs.get(name) ?? 0));
  const holds = (c: Cond): boolean => {
    switch (c.k) {
      case 'true':
        return true;
      case 'atom':
        return value(c.thread, c.name) === c.value;
      case 'not':
        return !holds(c.c);
      case 'and':
        return holds(c.a) && holds(c.b);
      case 'or':
        return holds(c.a) || holds(c.b);
    }
  };
  const state = shown.map((l) => `${l.thread === null ? '' : `${l.thread}:`}${l.name}=${value(l.thread, l.name)};`).join(' ');
  return { state, satisfies: holds(test.cond) };
}
