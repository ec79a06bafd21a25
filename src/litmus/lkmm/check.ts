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
 *
 * A `filter` clause drops, before anything is counted, the allowed executions whose final
 * state fails it (herd7 counts, shows and flags only those that pass).
 */
import type { Cond, Expr, LitmusTest, Stmt } from '../ast.js';
import { Unsupported } from '../parse.js';
import { locationsShown } from '../operators.js';
import { Addresses } from './addresses.js';
import type { ThreadPath } from './events.js';
import { judge, Static } from './model.js';
import { type ProgramContext, threadPaths } from './program.js';
import type { Rel } from './rel.js';

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
  /** Every candidate was judged: the counts, outcomes and flags are all there are. */
  complete: boolean;
  /**
   * The observation and the flags are exact: the search was complete, or, stopped by its
   * deadline, a search for one allowed execution that satisfies the condition and one that
   * does not settled the observation (the counts and outcomes are then those found so far,
   * lower bounds).
   */
  decided: boolean;
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
/** Shapes of path combinations whose Static is kept for reuse (a test with many branches has many). */
const MAX_STATICS = 512;
/** Paths of one thread before the test is called too big to enumerate. */
const MAX_PATHS = 1_000_000;

/** A verdict search found what it looked for. */
class Found extends Error {}

class Stop extends Error {
  constructor(readonly by: 'time' | 'executions') {
    super(by);
  }
}

/** The locations of a test: its shared variables, locks and srcu structs, in a stable order. */
function locationsOf(test: LitmusTest): string[] {
  return [...new Set([...test.init.keys(), ...test.locks])];
}

/** What a test starts from: each location's initial value (an address for a pointer), each thread's registers. */
interface Start {
  addresses: Addresses;
  init: Map<string, number>;
  contexts: ProgramContext[];
}

function startOf(test: LitmusTest, locations: string[]): Start {
  const addresses = new Addresses(locations);
  const init = new Map(locations.map((l) => [l, test.init.get(l) ?? 0]));
  for (const [l, p] of test.pointers) init.set(l, addresses.of(p.to));
  const value = (e: Expr) => (e.k === 'loc' ? addresses.of(e.name) : e.k === 'num' ? e.v : 0);
  const contexts = test.threads.map((th) => ({ addresses, initRegs: new Map(test.initRegs.filter((r) => r.thread === th.id).map((r) => [r.reg, value(r.value)])) }));
  return { addresses, init, contexts };
}

/** What each location can hold: its initial value and every value some path writes there (a fixpoint). */
function valueDomains(test: LitmusTest, locations: string[], start: Start): Map<string, number[]> {
  const dom = new Map(locations.map((l) => [l, new Set([start.init.get(l) ?? 0])]));
  // A value a read returns comes from a chain of writes, each computed from what the one before
  // wrote, at most as long as the test has writes: that many rounds find every value an
  // execution can see (atomic_inc's 1, 2, 3, ...). Values no execution can produce only make
  // paths whose reads find no write to read from.
  // herd7 solves for a read's value instead: a value only a branch the read itself decides can
  // write (crypto-control-data: `r1 = 1; if (READ_ONCE(*x) == 0) r1 = 0; WRITE_ONCE(*y, r1);`)
  // is a solution to it, though no chain from the initial values reaches it. So while the
  // domains grow, a read may also return any number the test writes down: every branch a
  // comparison with a literal can take is taken, and what it writes joins the domains.
  const seeds = literals(test);
  const rounds = test.threads.reduce((n, th) => n + countWrites(th.body), 0) + 1;
  for (let round = 0; round <= rounds; round++) {
    let grew = false;
    // each location's values for this round, computed once (every read of every path asks)
    const roundValues = new Map<string, number[]>();
    const values = (l: string) => {
      let v = roundValues.get(l);
      if (!v) {
        v = [...new Set([...(dom.get(l) ?? [0]), ...seeds])].sort((a, b) => a - b);
        roundValues.set(l, v);
      }
      return v;
    };
    for (const th of test.threads) {
      const paths = threadPaths(th, values, MAX_PATHS, start.contexts[th.id]);
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

/** Every number the test writes down (in its code, initial state and conditions), with 0 and 1 (what a comparison gives). */
function literals(test: LitmusTest): Set<number> {
  const out = new Set([0, 1, ...test.init.values()]);
  const expr = (e: Expr | null | undefined): void => {
    if (!e) return;
    if (e.k === 'num') out.add(e.v);
    else if (e.k === 'not' || e.k === 'bnot') expr(e.e);
    else if (e.k === 'bin') {
      expr(e.a);
      expr(e.b);
    } else if (e.k === 'cond') [e.c, e.a, e.b].forEach(expr);
  };
  const stmts = (body: Stmt[]): void => {
    for (const s of body) {
      if (s.k === 'if') {
        expr(s.cond);
        stmts(s.then);
        stmts(s.else);
      } else {
        if ('value' in s) expr(s.value);
        if ('addr' in s) expr(s.addr);
        if (s.k === 'cmpxchg') expr(s.old);
        if (s.k === 'add-unless') expr(s.unless);
      }
    }
  };
  for (const th of test.threads) stmts(th.body);
  for (const r of test.initRegs) expr(r.value);
  const cond = (c: Cond): void => {
    if (c.k === 'atom') out.add(c.value);
    else if (c.k === 'not') cond(c.c);
    else if (c.k === 'and' || c.k === 'or') {
      cond(c.a);
      cond(c.b);
    }
  };
  cond(test.cond);
  if (test.filter) cond(test.filter.cond);
  return out;
}

/** The statements of a body that write memory (an upper bound on a path's writes). */
function countWrites(body: LitmusTest['threads'][number]['body']): number {
  let n = 0;
  for (const s of body) {
    if (s.k === 'if') n += countWrites(s.then) + countWrites(s.else);
    else if (s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg' || s.k === 'atomic' || s.k === 'add-unless' || (s.k === 'srcu' && s.op === 'srcu-unlock')) n++;
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
  const start = startOf(test, locations);
  const dom = valueDomains(test, locations, start);
  const values = (l: string) => dom.get(l) ?? [0];
  const perThread = ownWritesFirst(test.threads.map((th) => threadPaths(th, values, MAX_PATHS, start.contexts[th.id]) as ThreadPath[]));
  const shown = locationsShown(test);
  const seen = new Map<string, boolean>();
  const flags = new Set<string>();
  let positive = 0;
  let negative = 0;
  let candidates = 0;
  let steps = 0;
  let stoppedBy: 'time' | 'executions' | undefined;
  // What the search is after: every candidate (counting), or one allowed execution that
  // satisfies the condition, or one that does not (the verdict searches, see below).
  let goal: 'all' | 'positive' | 'negative' = 'all';
  let until = deadline;
  const tick = () => {
    if (++steps % CLOCK_EVERY === 0 && now() >= until) throw new Stop('time');
  };
  const regOf = (paths: ThreadPath[], t: number, name: string) => paths[t]?.regs.get(name) ?? start.contexts[t]?.initRegs.get(name) ?? 0;

  // What threads k.. can write, any path of theirs: a chosen path's read of a value that
  // neither the initial state, the paths chosen so far nor any later thread writes has no
  // write to read from, so no combination under it is tried (atomic_inc chains make many such).
  const key = (l: string, v: number) => `${l}=${v}`;
  const initial = new Set(locations.map((l) => key(l, start.init.get(l) ?? 0)));
  // The threads are combined writers first, the threads that write nothing last: a reader's
  // read is then checked against the writes actually chosen, not against every value some
  // later thread might write (a reader with 900 paths combined first multiplies every
  // writer's paths by 900 before anything can be dropped). Each count is the same in any order.
  const writes = (t: number) => perThread[t].some((p) => p.events.some((e) => e.kind === 'W' && e.loc !== null));
  const order = [...perThread.keys()].sort((a, b) => Number(writes(b)) - Number(writes(a)) || a - b);
  const later: Set<string>[] = perThread.map(() => new Set());
  later.push(new Set(locations.map((l) => key(l, start.init.get(l) ?? 0))));
  for (let k = perThread.length - 1; k >= 0; k--) {
    later[k] = new Set(later[k + 1]);
    for (const p of perThread[order[k]]) for (const e of p.events) if (e.kind === 'W' && e.loc !== null) later[k].add(key(e.loc, e.value));
  }
  // whether thread t is among the first k+1 combined
  const rank = new Map(order.map((t, k) => [t, k]));
  // Each path's writes and reads as keys, computed once.
  const keysOf = new WeakMap<ThreadPath, { w: string[]; r: string[] }>();
  const keys = (p: ThreadPath) => {
    let x = keysOf.get(p);
    if (!x) {
      x = { w: [], r: [] };
      for (const e of p.events) {
        if (e.loc === null) continue;
        if (e.kind === 'W') x.w.push(key(e.loc, e.value));
        else if (e.kind === 'R') x.r.push(key(e.loc, e.value));
      }
      keysOf.set(p, x);
    }
    return x;
  };
  // `pending`: the reads of the chosen paths whose value no chosen path writes yet (nor the
  // initial state); each must still be written by a later thread, and once written stays so.
  // `chosen` is indexed by thread, filled in `order`.
  const combine = (k: number, chosen: ThreadPath[], written: Set<string>, pending: string[]) => {
    if (k === perThread.length) {
      tick();
      examine(chosen);
      return;
    }
    for (const p of perThread[order[k]]) {
      const { w, r } = keys(p);
      let now = written;
      if (w.length) {
        now = new Set(written);
        for (const x of w) now.add(x);
      }
      const pend: string[] = [];
      let possible = true;
      for (const x of pending.concat(r)) {
        if (now.has(x)) continue;
        if (!later[k + 1].has(x)) {
          possible = false;
          break;
        }
        pend.push(x);
      }
      tick();
      if (!possible) continue;
      const next = [...chosen];
      next[order[k]] = p;
      // a verdict search skips the paths under which the condition is already decided against
      // its goal, or the filter already fails (herd7 counts no execution the filter drops)
      if (goal !== 'all') {
        const known = (t: number | null, name: string) => (t !== null && (rank.get(t) ?? Number.POSITIVE_INFINITY) <= k ? regOf(next, t, name) : undefined);
        if (test.filter && holds3(test.filter.cond, known, start.addresses) === false) continue;
        if (holds3(test.cond, known, start.addresses) === (goal === 'negative')) continue;
      }
      combine(k + 1, next, now, pend);
    }
  };

  // One Static (and each location's coherence orders) per shape of the chosen paths: paths
  // that differ only in the values their reads return share them, their values swapped in.
  const statics = new Map<string, { st: Static; orders: LocOrders[] }>();
  const shapes = new WeakMap<ThreadPath, string>();
  const shapeIds = new Map<string, number>();
  const shapeId = (p: ThreadPath): number => {
    const k = shapeOf(p);
    let id = shapeIds.get(k);
    if (id === undefined) {
      id = shapeIds.size;
      shapeIds.set(k, id);
    }
    return id;
  };
  const shapeOf = (p: ThreadPath): string => {
    let k = shapes.get(p);
    if (k === undefined) {
      k = p.events.map((e) => `${e.kind}/${e.instr}/${e.step}/${e.loc}/${e.tags}/${e.atomic}/${e.rmw}/${e.addr}/${e.data}/${e.ctrl}`).join(';');
      shapes.set(p, k);
    }
    return k;
  };
  // (combine has already dropped the combinations with a read of a value no chosen path nor the initial state writes)
  const examine = (paths: ThreadPath[]) => {
    const shape = paths.map((p) => shapeId(p)).join(',');
    let cached = statics.get(shape);
    if (cached) cached.st.setValues(paths);
    else {
      if (statics.size >= MAX_STATICS) statics.clear();
      const st = new Static(locations, start.init, paths);
      cached = { st, orders: st.staticFailure ? [] : locations.map((l) => locationOrders(st, l, tick)) };
      statics.set(shape, cached);
    }
    const st = cached.st;
    if (st.staticFailure) return;
    st.sp.scoped(() => choose(paths, st, cached.orders));
  };
  // The candidates of one combination of paths: every location's choices, combined.
  const choose = (paths: ThreadPath[], st: Static, orders: LocOrders[]) => {
    const perLoc: LocChoice[][] = [];
    for (const o of orders) {
      const c = locationChoices(st, o, tick);
      if (c.length === 0) return;
      perLoc.push(c);
    }
    const sp = st.sp;
    const pick = (k: number, rf0: Rel, rf: Rel, co: Rel) => {
      if (k === perLoc.length) {
        tick();
        let final = goal === 'all' ? null : finalState(start, st, paths, co);
        // a verdict search judges only the candidates whose final state it is after: one the
        // filter keeps, on the goal's side of the condition
        if (final && test.filter && !holds(test.filter.cond, final, start.addresses)) return;
        if (final && holds(test.cond, final, start.addresses) !== (goal === 'positive')) return;
        if (candidates >= maxCandidates) throw new Stop('executions');
        candidates++;
        // each location's choices are coherent and atomic already (locationChoices)
        const v = judge(st, rf0, rf, co, true);
        if (!v.ok) return;
        // herd7's values are locations or integers; what it makes of a load from an integer is not modelled here
        const fault = paths.find((p) => p.fault)?.fault;
        if (fault) throw new Unsupported(`an allowed execution in which ${fault.what}`, fault.line);
        final ??= finalState(start, st, paths, co);
        if (test.filter && !holds(test.filter.cond, final, start.addresses)) return;
        for (const f of v.flags) flags.add(f);
        const o = outcome(test, shown, start, final);
        if (goal !== 'all') {
          if (!seen.has(o.state)) seen.set(o.state, o.satisfies);
          throw new Found();
        }
        if (o.satisfies) positive++;
        else negative++;
        if (!seen.has(o.state)) seen.set(o.state, o.satisfies);
        return;
      }
      for (const c of perLoc[k]) {
        const rf0n = sp.union(rf0);
        const rfn = sp.union(rf);
        for (const [w, r] of c.rf0) {
          sp.addEdge(rf0n, w, r);
          sp.addEdge(rfn, w, r);
        }
        for (const [w, r] of c.rfLock) sp.addEdge(rfn, w, r);
        const con = sp.union(co, c.co);
        // Every axiom of the model only gets harder to meet as rf and co gain edges (each is
        // acyclic / irreflexive / empty of relations built monotonically from them), so a
        // verdict search drops a partial choice of locations the model already forbids.
        // (Counting judges whole candidates only, so its candidate counts stay herd7's.)
        if (goal !== 'all' && k + 1 < perLoc.length) {
          tick();
          if (!judge(st, rf0n, rfn, con, true).ok) continue;
        }
        pick(k + 1, rf0n, rfn, con);
      }
    };
    pick(0, sp.rel(), sp.rel(), sp.rel());
  };

  // The verdict searches apply where an allowed execution's flags are those of its paths'
  // shape alone (no plain access, no SRCU read-side section): with one shape per thread,
  // finding one allowed execution gives every flag; with several, where no combination of
  // shapes raises any flag. The observation then needs only one allowed execution on each
  // side of the condition. With a `filter`, both sides look only at the executions it keeps
  // (herd7 neither counts nor flags the others): if neither side finds one, no execution
  // passes the filter, herd7's Never with no flag.
  const verdictSearch = flagsKnown(locations, start.init, perThread, shapeOf);
  const t0 = now();
  // Counting gets the whole budget where no verdict search can follow, a third of it
  // otherwise: the verdict matters more than exact counts, and a search that must exhaust
  // one side of the condition (a Never) needs the time.
  if (verdictSearch && Number.isFinite(deadline)) until = t0 + (deadline - t0) / 3;
  try {
    combine(0, [], initial, []);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    stoppedBy = e.by;
  }
  let some = positive > 0;
  let all = positive > 0 && negative === 0;
  let decided = stoppedBy === undefined;
  if (stoppedBy === 'time' && verdictSearch) {
    // The count ran out of time: look for one allowed execution on each side of the
    // condition, pruning paths and candidates on the condition before the model is asked.
    until = deadline;
    const find = (g: 'positive' | 'negative'): boolean | undefined => {
      goal = g;
      try {
        combine(0, [], initial, []);
        return false;
      } catch (e) {
        if (e instanceof Found) return true;
        if (e instanceof Stop) return undefined;
        throw e;
      }
    };
    const pos = positive > 0 || find('positive');
    const neg = pos === undefined ? undefined : negative > 0 || find('negative');
    if (pos !== undefined && neg !== undefined) {
      decided = true;
      some = pos;
      all = pos && !neg;
      positive = Math.max(positive, pos ? 1 : 0);
      negative = Math.max(negative, neg ? 1 : 0);
    }
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
    decided,
    ...(stoppedBy ? { stoppedBy } : {}),
    some,
    all,
  };
}

/** Combinations of path shapes looked at to know a test's flags without judging its candidates. */
const MAX_SHAPE_COMBINATIONS = 256;

/**
 * Whether the flags of every allowed execution are known without judging them all: no
 * combination of the threads' path shapes has a plain access or an SRCU read-side section
 * (the flags judge() adds), and either each thread has one shape (the flags are that
 * combination's) or no combination raises a flag of its own.
 */
function flagsKnown(locations: string[], init: Map<string, number>, perThread: ThreadPath[][], shapeOf: (p: ThreadPath) => string): boolean {
  const reps = perThread.map((ps) => [...new Map(ps.map((p) => [shapeOf(p), p])).values()]);
  if (reps.some((r) => r.length === 0)) return false;
  const single = reps.every((r) => r.length === 1);
  if (reps.reduce((n, r) => n * r.length, 1) > MAX_SHAPE_COMBINATIONS) return false;
  for (const paths of product(reps)) {
    const st = new Static(locations, init, paths);
    if (st.hasPlain || !st.sp.isEmpty(st.SrcuLock) || !st.sp.isEmpty(st.SrcuUnlock)) return false;
    if (!single && !st.staticFailure && st.staticFlags.length > 0) return false;
  }
  return true;
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

/**
 * Every order of `xs` in which `a` comes before `b` whenever `before(a, b)`: the coherence
 * orders of a location that keep each CPU's own writes in program order ([cat] coherence
 * forbids the others: po-loc and co would make a cycle). Two CPUs with four and two writes
 * to one location have 15 such orders where all orders number 720.
 */
function linearExtensions<X>(xs: X[], before: (a: X, b: X) => boolean): X[][] {
  if (xs.length <= 1) return [xs];
  const out: X[][] = [];
  xs.forEach((x, i) => {
    const rest = [...xs.slice(0, i), ...xs.slice(i + 1)];
    if (rest.some((y) => before(y, x))) return;
    for (const tail of linearExtensions(rest, before)) out.push([x, ...tail]);
  });
  return out;
}

/** Every product of one option per slot. */
function product<X>(slots: X[][]): X[][] {
  return slots.reduce<X[][]>((acc, opts) => acc.flatMap((a) => opts.map((o) => [...a, o])), [[]]);
}

/** What a location's choices need that no value changes: its events, and its coherence orders with lock.cat's read-from edges. */
interface LocOrders {
  reads: number[];
  writes: number[];
  lfOpts: [number, number][][];
  ruOpts: [number, number][][];
  orders: { co: Rel; lkrRf: [number, number][] }[];
  /** The choices already made, by the values of the location's reads and writes (all they depend on). */
  memo: Map<string, LocChoice[]>;
}

/** Value signatures of one location whose choices are kept (a test with many values has many). */
const MAX_LOC_MEMO = 4096;

/**
 * A location's coherence orders ([cos] co0 and the ConsCo order, [lock] the lock events):
 * each CPU's own writes in program order, the initial write first, an unmatched lock last.
 */
function locationOrders(st: Static, l: string, tick: () => void): LocOrders {
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
  const orders: LocOrders['orders'] = [];
  for (const order of linearExtensions(ordered, po)) {
    tick();
    // [cos] co0: the initial write first; [lock] an unmatched lock write last
    const seq = [iw, ...order, ...unmatched];
    let co = sp.rel();
    for (let a = 0; a < seq.length; a++) for (let b = a + 1; b < seq.length; b++) sp.addEdge(co, seq[a], seq[b]);
    if (st.hasLocks && (lkw.length || ul.length)) {
      // [lock] co = (co | critical | (critical^-1 ; co))+ : each unlock right after its lock write
      co = sp.plus(sp.union(co, st.critical, sp.seq(sp.inv(st.critical), co)));
    }
    co = sp.inter(co, st.loc);
    // [lock] a lock's read reads the write just before its lock write in co, if that is the initial state or an unlock
    const lkrRf: [number, number][] = [];
    const step = sp.singlestep(co);
    for (const r of lkr) {
      const w = sp.row(st.lkRmw, r)[0];
      if (w === undefined) continue;
      for (const p of at) if (sp.hasEdge(step, p, w) && (p === iw || is(p, 'UL'))) lkrRf.push([p, r]);
    }
    orders.push({ co, lkrRf });
  }
  return { reads, writes, lfOpts, ruOpts, orders, memo: new Map() };
}

/**
 * One location's read-from and coherence choices that keep it coherent ([cat] coherence and
 * atomic restricted to the location): herd7's rf for an ordinary read is any write of the
 * location with the value the read returns.
 */
function locationChoices(st: Static, o: LocOrders, tick: () => void): LocChoice[] {
  const sig = [...o.reads, ...o.writes].map((i) => st.ev[i].value).join(',');
  let out = o.memo.get(sig);
  if (!out) {
    if (o.memo.size >= MAX_LOC_MEMO) o.memo.clear();
    out = st.sp.lasting(() => coherentChoices(st, o, tick));
    o.memo.set(sig, out);
  }
  return out;
}

/**
 * The read-from choices of one location that keep it coherent with each of its coherence
 * orders, read by read: coherence and atomicity only get harder to meet as edges are added
 * (fr grows with rf), so a partial choice that already breaks them is not extended. An RMW's
 * read, which must read the write just before its own, leaves one option at its turn, so a
 * location with many writes (a lock word) is not multiplied out in full.
 */
function coherentChoices(st: Static, o: LocOrders, tick: () => void): LocChoice[] {
  const sp = st.sp;
  const { reads, writes } = o;
  const rfOpts = reads.map((r) => writes.filter((w) => st.ev[w].value === st.ev[r].value).map((w): [number, number] => [w, r]));
  const slots = [...rfOpts, ...o.lfOpts, ...o.ruOpts];
  const out: LocChoice[] = [];
  for (const { co, lkrRf } of o.orders) {
    const rf = sp.rel();
    for (const [w, r] of lkrRf) sp.addEdge(rf, w, r);
    const chosen: [number, number][] = [];
    const coherent = () =>
      sp.scoped(() => {
        const fr = sp.seq(sp.inv(rf), co);
        if (!sp.acyclic(sp.union(st.poLoc, rf, co, fr))) return false;
        return sp.isEmpty(sp.inter(st.rmw, sp.seq(sp.inter(fr, st.ext), sp.inter(co, st.ext))));
      });
    const extend = (k: number): void => {
      tick();
      if (!coherent()) return;
      if (k === slots.length) {
        out.push({ rf0: chosen.slice(0, reads.length), rfLock: [...chosen.slice(reads.length), ...lkrRf], co });
        return;
      }
      for (const [w, r] of slots[k]) {
        sp.addEdge(rf, w, r);
        chosen.push([w, r]);
        extend(k + 1);
        chosen.pop();
        sp.removeEdge(rf, w, r);
      }
    };
    extend(0);
  }
  return out;
}

/** A candidate's final state: registers from the paths, memory from each location's co-last write. */
type FinalState = (thread: number | null, name: string) => number;

function finalState(start: Start, st: Static, paths: ThreadPath[], co: Rel): FinalState {
  const sp = st.sp;
  const final = new Map<string, number>();
  st.ev.forEach((e, i) => {
    if ((e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') && e.loc !== null && sp.rowEmpty(co, i)) final.set(e.loc, e.kind === 'W' ? e.value : e.kind === 'LKW' ? 1 : 0);
  });
  return (thread, name) => (thread === null ? (final.get(name) ?? start.init.get(name) ?? 0) : (paths[thread]?.regs.get(name) ?? start.contexts[thread]?.initRegs.get(name) ?? 0));
}

/** Whether a final state satisfies a condition (`0:r1=x` compares with x's address). */
function holds(c: Cond, value: FinalState, addresses: Addresses): boolean {
  switch (c.k) {
    case 'true':
      return true;
    case 'atom':
      return value(c.thread, c.name) === c.value;
    case 'ptr':
      return value(c.thread, c.name) === addresses.of(c.loc);
    case 'same':
      return value(c.a.thread, c.a.name) === value(c.b.thread, c.b.name);
    case 'not':
      return !holds(c.c, value, addresses);
    case 'and':
      return holds(c.a, value, addresses) && holds(c.b, value, addresses);
    case 'or':
      return holds(c.a, value, addresses) || holds(c.b, value, addresses);
  }
}

/**
 * A condition over a partial state (`undefined`: not known yet): true or false once the
 * known values decide it, undefined while they do not.
 */
function holds3(c: Cond, value: (thread: number | null, name: string) => number | undefined, addresses: Addresses): boolean | undefined {
  switch (c.k) {
    case 'true':
      return true;
    case 'atom': {
      const v = value(c.thread, c.name);
      return v === undefined ? undefined : v === c.value;
    }
    case 'ptr': {
      const v = value(c.thread, c.name);
      return v === undefined ? undefined : v === addresses.of(c.loc);
    }
    case 'same': {
      const a = value(c.a.thread, c.a.name);
      const b = value(c.b.thread, c.b.name);
      return a === undefined || b === undefined ? undefined : a === b;
    }
    case 'not': {
      const x = holds3(c.c, value, addresses);
      return x === undefined ? undefined : !x;
    }
    case 'and': {
      const a = holds3(c.a, value, addresses);
      if (a === false) return false;
      const b = holds3(c.b, value, addresses);
      if (b === false) return false;
      return a && b ? true : undefined;
    }
    case 'or': {
      const a = holds3(c.a, value, addresses);
      if (a === true) return true;
      const b = holds3(c.b, value, addresses);
      if (b === true) return true;
      return a === false && b === false ? false : undefined;
    }
  }
}

/** The final state as herd7 prints it, over the locations shown, and whether it satisfies the condition. */
function outcome(test: LitmusTest, shown: { thread: number | null; name: string }[], start: Start, value: FinalState): LkmmOutcome {
  const state = shown.map((l) => `${l.thread === null ? '' : `${l.thread}:`}${l.name}=${start.addresses.show(value(l.thread, l.name))};`).join(' ');
  return { state, satisfies: holds(test.cond, value, start.addresses) };
}
