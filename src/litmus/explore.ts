/**
 * Every outcome of a litmus test under the weak model (src/memory/weak.ts), found by
 * exhaustive stateless search: each execution is run from the start following a
 * prefix of choices, then the last choice with options left is advanced. A choice is
 * which instruction runs next (any thread's, and within a thread any instruction that
 * nothing orders it behind: this is how loads and stores of different locations
 * reorder, which load buffering needs) or which store a load reads.
 *
 * Within a thread, instruction j may run before an earlier instruction i unless:
 * they touch the same location; j uses a register i sets (or either sets one the
 * other uses); i is an acquire (smp_load_acquire, spin_lock, an _acquire or full
 * atomic); j is a release (smp_store_release, spin_unlock, a _release or full
 * atomic); either is smp_mb(); or one is smp_wmb() and the other a store (smp_rmb() and
 * a load), as LKMM's fences order. A store's place in its location's coherence order is
 * a choice as well (WeakMemory.placements).
 * Dependencies order nothing here; a test whose outcome rests on one (a stored value
 * or a store's `if` computed from a load) is refused (`dependencies()`).
 *
 * The search can be bounded (`ExploreLimits`): by executions, which gives the same cut on
 * any machine, and by a deadline the loop checks itself every CLOCK_EVERY instructions.
 * A bounded search returns the outcomes found so far and `complete: false`.
 */
import { WeakMemory, type WeakStore } from '../memory/weak.js';
import { type Cond, type Expr, type LitmusTest, type Stmt, Unsupported } from './parse.js';
import { binop, locationsShown } from './operators.js';
import { checkSupported } from './support.js';

/** One instruction of a thread, its `if`s folded into a guard. */
interface Instr {
  s: Exclude<Stmt, { k: 'if' }>;
  guard: { cond: Expr; holds: boolean }[];
  uses: Set<string>;
  defs: string | null;
  loc: string | null;
  /** Nothing after it may run before it. */
  acquire: boolean;
  /** Nothing before it may run after it. */
  release: boolean;
}

function regsOf(e: Expr, into: Set<string>): Set<string> {
  if (e.k === 'reg') into.add(e.name);
  else if (e.k === 'not' || e.k === 'bnot') regsOf(e.e, into);
  else if (e.k === 'bin') {
    regsOf(e.a, into);
    regsOf(e.b, into);
  } else if (e.k === 'cond') {
    regsOf(e.c, into);
    regsOf(e.a, into);
    regsOf(e.b, into);
  }
  return into;
}

function flatten(body: Stmt[], guard: Instr['guard'], out: Instr[]): Instr[] {
  for (const s of body) {
    if (s.k === 'if') {
      flatten(s.then, [...guard, { cond: s.cond, holds: true }], out);
      flatten(s.else, [...guard, { cond: s.cond, holds: false }], out);
      continue;
    }
    const uses = new Set<string>();
    for (const g of guard) regsOf(g.cond, uses);
    let defs: string | null = null;
    let loc: string | null = null;
    let acquire = false;
    let release = false;
    switch (s.k) {
      case 'load':
        defs = s.reg;
        loc = s.loc;
        acquire = s.order === 'acquire';
        break;
      case 'store':
        regsOf(s.value, uses);
        loc = s.loc;
        release = s.order === 'release';
        break;
      case 'fence':
        // smp_mb() holds everything in place; smp_wmb() and smp_rmb() only stores, only loads (ordered())
        acquire = release = s.f === 'mb';
        break;
      case 'lock':
        loc = s.loc;
        acquire = true;
        break;
      case 'unlock':
        loc = s.loc;
        release = true;
        break;
      case 'xchg':
      case 'cmpxchg':
        regsOf(s.value, uses);
        if (s.k === 'cmpxchg') regsOf(s.old, uses);
        defs = s.reg;
        loc = s.loc;
        acquire = s.order === 'mb' || s.order === 'acquire';
        release = s.order === 'mb' || s.order === 'release';
        break;
      case 'assign':
        regsOf(s.value, uses);
        defs = s.reg;
        break;
    }
    out.push({ s, guard, uses, defs, loc, acquire, release });
  }
  return out;
}

/** Does it write (a store, a lock or unlock, an atomic)? Does it read (a load, a lock, an atomic)? */
const writes = (x: Instr) => x.s.k === 'store' || x.s.k === 'lock' || x.s.k === 'unlock' || x.s.k === 'xchg' || x.s.k === 'cmpxchg';
const reads = (x: Instr) => x.s.k === 'load' || x.s.k === 'lock' || x.s.k === 'xchg' || x.s.k === 'cmpxchg';

/** What a fence keeps on its side of program order: smp_wmb() stores, smp_rmb() loads (smp_mb() everything, as acquire and release). */
function fenceHolds(f: Instr, x: Instr): boolean {
  if (f.s.k !== 'fence') return false;
  if (x.s.k === 'fence') return true;
  return f.s.f === 'wmb' ? writes(x) : f.s.f === 'rmb' && reads(x);
}

function ordered(i: Instr, j: Instr): boolean {
  if (i.acquire || j.release) return true;
  if (fenceHolds(i, j) || fenceHolds(j, i)) return true;
  // two critical sections on one CPU run in order, even of different locks (po-unlock-lock-po)
  if (i.s.k === 'unlock' && j.s.k === 'lock') return true;
  if (i.loc !== null && i.loc === j.loc) return true;
  if (i.defs !== null && (j.uses.has(i.defs) || j.defs === i.defs)) return true;
  if (j.defs !== null && i.uses.has(j.defs)) return true;
  return false;
}

/**
 * Refuse what the model would get wrong: a dependency LKMM respects. A register is
 * "loaded" if a load or an atomic sets it, or an assignment from a loaded one.
 */
export function dependencies(test: LitmusTest): void {
  for (const th of test.threads) {
    /** Registers whose value may come from a load, after `body` ran from `loaded`. */
    const walk = (body: Stmt[], underLoadedIf: boolean, loaded: Set<string>): Set<string> => {
      for (const s of body) {
        if (s.k === 'if') {
          const condRegs = regsOf(s.cond, new Set());
          const c = [...condRegs].some((r) => loaded.has(r));
          // the condition is evaluated once, when the if is reached: a body that changes it is not modeled
          for (const branch of [s.then, s.else]) {
            for (const b of flatten(branch, [], [])) if (b.defs !== null && condRegs.has(b.defs)) throw new Unsupported('an if whose body assigns a register its condition reads', s.line);
          }
          // either branch may have run: a register loaded on either side is loaded after the if
          const a = walk(s.then, underLoadedIf || c, new Set(loaded));
          const b = walk(s.else, underLoadedIf || c, new Set(loaded));
          loaded = new Set([...a, ...b]);
          continue;
        }
        const writes = s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg' || s.k === 'lock' || s.k === 'unlock';
        if (writes && underLoadedIf) throw new Unsupported('a control dependency (a store under an if on a loaded value)', s.line);
        if (s.k === 'store' || s.k === 'xchg' || s.k === 'cmpxchg') {
          const used = regsOf(s.value, new Set());
          if (s.k === 'cmpxchg') regsOf(s.old, used);
          if ([...used].some((r) => loaded.has(r))) throw new Unsupported('a data dependency (a stored value computed from a load)', s.line);
        }
        if (s.k === 'load' || ((s.k === 'xchg' || s.k === 'cmpxchg') && s.reg)) loaded.add(s.k === 'load' ? s.reg : (s.reg as string));
        if (s.k === 'assign') {
          // an assignment under an if on a loaded value depends on that load too
          if (underLoadedIf || [...regsOf(s.value, new Set())].some((r) => loaded.has(r))) loaded.add(s.reg);
          else loaded.delete(s.reg);
        }
      }
      return loaded;
    };
    walk(th.body, false, new Set());
  }
}

function evalExpr(e: Expr, regs: Map<string, number>): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'reg':
      return regs.get(e.name) ?? 0;
    case 'not':
      return evalExpr(e.e, regs) ? 0 : 1;
    case 'bnot':
      return ~evalExpr(e.e, regs);
    case 'cond':
      return evalExpr(e.c, regs) ? evalExpr(e.a, regs) : evalExpr(e.b, regs);
    case 'loc':
      // checkSupported() refuses pointer values before anything runs
      throw new Unsupported(`a pointer value ('${e.name}' used as a value)`);
    case 'bin': {
      const a = evalExpr(e.a, regs);
      if (e.op === '&&') return a && evalExpr(e.b, regs) ? 1 : 0;
      if (e.op === '||') return a || evalExpr(e.b, regs) ? 1 : 0;
      const b = evalExpr(e.b, regs);
      return binop(e.op, a, b);
    }
  }
}


export interface LitmusOutcome {
  /** "0:r0=1; x=2;" over the locations the condition and `locations` name. */
  state: string;
  satisfies: boolean;
}

export interface Exploration {
  outcomes: LitmusOutcome[];
  /** Complete executions run (several may end in the same outcome). */
  executions: number;
  /** Executions that stopped with a thread waiting for a lock forever. */
  blocked: number;
  /** Instructions run, over every execution. */
  steps: number;
  /** Every execution was explored; otherwise the outcomes are those found so far. */
  complete: boolean;
  /** What stopped an incomplete exploration: its deadline or its execution budget. */
  stoppedBy?: 'time' | 'executions';
  /** Some outcome satisfies the condition; every outcome does. */
  some: boolean;
  all: boolean;
}

/** The default execution budget of one test (complete and blocked executions together). */
export const MAX_LITMUS_EXECUTIONS = 2_000_000;

/** How many instructions run between two looks at the clock (a look is cheap, but not free). */
const CLOCK_EVERY = 1024;

export interface ExploreLimits {
  /** Stop (incomplete) once this many executions, blocked ones included, have run. */
  maxExecutions?: number;
  /** Stop (incomplete) once `now()` reaches it (checked every CLOCK_EVERY instructions). */
  deadline?: number;
  /** The clock the deadline is on; performance.now() unless a test gives its own. */
  now?: () => number;
}

export function explore(test: LitmusTest, limits: ExploreLimits = {}): Exploration {
  checkSupported(test);
  dependencies(test);
  const maxExecutions = limits.maxExecutions ?? MAX_LITMUS_EXECUTIONS;
  const deadline = limits.deadline ?? Number.POSITIVE_INFINITY;
  const now = limits.now ?? (() => performance.now());
  const names = [...test.init.keys(), ...[...test.locks].filter((l) => !test.init.has(l))];
  const word = new Map(names.map((n, k) => [n, k]));
  const programs = test.threads.map((th) => flatten(th.body, [], []));
  const shown = locationsShown(test);
  const seen = new Map<string, boolean>();
  const choices: { at: number; of: number }[] = [];
  let executions = 0;
  let blocked = 0;
  let steps = 0;
  let stoppedBy: Exploration['stoppedBy'];

  explorations: for (;;) {
    let depth = 0;
    const choose = (of: number): number => {
      if (depth === choices.length) choices.push({ at: 0, of });
      return choices[depth++].at;
    };
    const mem = new WeakMemory(programs.length, 8, (w) => (w < test.init.size ? (test.init.get(names[w]) ?? 0) : 0));
    const regs = test.threads.map((th) => new Map(th.regs.map((r) => [r, 0])));
    const done = programs.map((p) => new Uint8Array(p.length));
    const unlocked = new Uint8Array(programs.length);
    let left = programs.reduce((n, p) => n + p.length, 0);
    for (;;) {
      // cooperative deadline: the execution under way is dropped, the finished ones count
      if (++steps % CLOCK_EVERY === 0 && now() >= deadline) {
        stoppedBy = 'time';
        break explorations;
      }
      const enabled: [number, number][] = [];
      programs.forEach((p, t) => {
        for (let j = 0; j < p.length; j++) {
          if (done[t][j]) continue;
          let free = true;
          for (let i = 0; i < j && free; i++) if (!done[t][i] && ordered(p[i], p[j])) free = false;
          if (!free) continue;
          const s = p[j].s;
          if (s.k === 'lock' && mem.latest(word.get(s.loc) as number).value !== 0 && guardHolds(p[j], regs[t])) continue;
          enabled.push([t, j]);
        }
      });
      if (enabled.length === 0) break;
      const [t, j] = enabled[enabled.length > 1 ? choose(enabled.length) : 0];
      done[t][j] = 1;
      left--;
      const ins = programs[t][j];
      if (guardHolds(ins, regs[t])) run(ins.s, t, mem, regs[t], word, unlocked, choose);
    }
    if (left > 0) blocked++;
    else {
      executions++;
      const final = finalState(test, shown, regs, mem, word);
      if (!seen.has(final.state)) seen.set(final.state, final.satisfies);
    }
    // next branch: the deepest choice with an option left
    choices.length = Math.min(choices.length, depth);
    while (choices.length > 0 && choices[choices.length - 1].at + 1 >= choices[choices.length - 1].of) choices.pop();
    if (choices.length === 0) break;
    if (executions + blocked >= maxExecutions) {
      stoppedBy = 'executions';
      break;
    }
    choices[choices.length - 1].at++;
  }
  const outcomes = [...seen].map(([state, satisfies]) => ({ state, satisfies })).sort((a, b) => (a.state < b.state ? -1 : 1));
  return {
    outcomes,
    executions,
    blocked,
    steps,
    complete: stoppedBy === undefined,
    ...(stoppedBy ? { stoppedBy } : {}),
    some: outcomes.some((o) => o.satisfies),
    all: outcomes.length > 0 && outcomes.every((o) => o.satisfies),
  };
}

function guardHolds(ins: Instr, regs: Map<string, number>): boolean {
  return ins.guard.every((g) => (evalExpr(g.cond, regs) !== 0) === g.holds);
}

function run(
  s: Instr['s'],
  t: number,
  mem: WeakMemory,
  regs: Map<string, number>,
  word: Map<string, number>,
  unlocked: Uint8Array,
  choose: (of: number) => number,
): void {
  const w = s.k === 'fence' || s.k === 'assign' ? -1 : (word.get(s.loc) as number);
  switch (s.k) {
    case 'load': {
      const c = mem.candidates(t, w);
      const st: WeakStore = c[c.length > 1 ? choose(c.length) : 0];
      mem.load(t, w, st, s.order === 'acquire' ? 'acquire' : 'relaxed');
      regs.set(s.reg, st.value);
      return;
    }
    case 'store': {
      // where it goes in the location's coherence order is a branch too
      const kind = s.order === 'release' ? 'release' : 'relaxed';
      const places = mem.placements(t, w, kind);
      mem.store(t, w, evalExpr(s.value, regs), kind, 0, null, places[places.length > 1 ? choose(places.length) : 0]);
      return;
    }
    case 'fence':
      // checkSupported() lets only the model's own fences through
      mem.fence(t, s.f as 'mb' | 'wmb' | 'rmb');
      return;
    case 'lock': {
      const unlock = mem.latest(w);
      mem.load(t, w, unlock, 'acquire');
      // po-unlock-lock-po: what preceded an unlock (this CPU's earlier one, or the one this lock
      // takes over from) is ordered before what follows the lock, cumulatively
      if (unlock.task >= 0 || unlocked[t]) mem.lockAcquired(t);
      mem.store(t, w, 1, 'relaxed', 0);
      return;
    }
    case 'unlock':
      mem.store(t, w, 0, 'release', 0);
      unlocked[t] = 1;
      return;
    case 'assign':
      regs.set(s.reg, evalExpr(s.value, regs));
      return;
    case 'xchg':
    case 'cmpxchg': {
      // atomic: reads the newest store; full ones are ordered against everything around them
      if (s.order === 'mb') mem.fence(t, 'mb');
      const old = mem.latest(w);
      mem.load(t, w, old, s.order === 'acquire' || s.order === 'mb' ? 'acquire' : 'relaxed');
      if (s.k === 'xchg' || old.value === evalExpr(s.old, regs)) {
        // the atomic's store continues the release sequence of the store it read
        mem.store(t, w, evalExpr(s.value, regs), s.order === 'release' || s.order === 'mb' ? 'release' : 'relaxed', 0, old);
      }
      if (s.order === 'mb') mem.fence(t, 'mb');
      if (s.reg) regs.set(s.reg, old.value);
      return;
    }
  }
}


function finalState(
  test: LitmusTest,
  shown: { thread: number | null; name: string }[],
  regs: Map<string, number>[],
  mem: WeakMemory,
  word: Map<string, number>,
): LitmusOutcome {
  const value = (thread: number | null, name: string): number => {
    if (thread === null) {
      const w = word.get(name);
      if (w === undefined) throw new Unsupported(`'${name}' in the condition is not a location of the test`);
      return mem.latest(w).value;
    }
    const r = regs[thread]?.get(name);
    if (r === undefined) throw new Unsupported(`'${thread}:${name}' in the condition is not a register of P${thread}`);
    return r;
  };
  const holds = (c: Cond): boolean => {
    switch (c.k) {
      case 'true':
        return true;
      case 'atom':
        return value(c.thread, c.name) === c.value;
      case 'same':
        return value(c.a.thread, c.a.name) === value(c.b.thread, c.b.name);
      case 'ptr':
        // checkSupported() refuses pointer values before anything runs
        throw new Unsupported('a pointer value in the final condition', test.condLine);
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
