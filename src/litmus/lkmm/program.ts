/**
 * From the parsed test (src/litmus/ast.ts) to the events each thread can produce: every
 * path of a thread, one per choice of the values its reads return (from the values the
 * location can hold), the branch each `if` then takes, and whether each cmpxchg, trylock,
 * spin_is_locked or atomic_add_unless succeeds. This is the one place that knows the
 * parser's statements; a construct the parser learns later is one more case here.
 *
 * The parser lifts an access nested in an expression into a statement of its own that
 * loads a temporary register (`#1`, ...), so every dependency is a register use, as in
 * herd7's events. Dependencies are derived as herd7's C front end does (herdtools7
 * herd/modelUtils.ml, make_procrels_nodeps, over the event structures of herd/CSem.ml):
 * - data: a written value computed from registers that a read set, through register
 *   assignments (an atomic_t RMW's write also depends on its own read; xchg's and
 *   cmpxchg's do not);
 * - addr: an access whose address is computed from such registers (`READ_ONCE(*r0)` after
 *   `r0 = rcu_dereference(*p)`), through assignments the same way;
 * - ctrl: every access inside an `if` (either branch, nested ones too, not what follows
 *   the `if`) whose condition reads a register that a read set, through assignments and
 *   through assignments made under such an `if`.
 */
import type { Expr, Stmt, Thread } from '../ast.js';
import { binop } from '../operators.js';
import type { Addresses } from './addresses.js';
import { FENCE_TAG, T, type ThreadEvent, type ThreadPath } from './events.js';

/** A register's value and the reads it came from: by data alone, and by data or control. */
interface RegVal {
  v: number;
  data: Set<number>;
  full: Set<number>;
}

/** What every path of a test shares: the locations' addresses and the registers' initial values. */
export interface ProgramContext {
  addresses: Addresses;
  /** Thread t's registers the initial state sets (`0:r1=x;`), by name. */
  initRegs: Map<string, number>;
}

const ORDER_TAG: Record<string, number> = { mb: T.MB, relaxed: T.ONCE, acquire: T.ACQUIRE, release: T.RELEASE, once: T.ONCE, plain: 0 };

/** A path that dereferences a value that is not the address of a location: it ends there. */
class Fault extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}


/**
 * Every path of one thread. `values(loc)` is what a read of `loc` may return; `choose`
 * picks among options and is driven by the caller's depth-first search.
 */
function runOnce(th: Thread, values: (loc: string) => number[], choose: (n: number) => number, ctx: ProgramContext): ThreadPath {
  const events: ThreadEvent[] = [];
  const none = (): Set<number> => new Set();
  const regs = new Map<string, RegVal>([...ctx.initRegs].map(([name, v]) => [name, { v, data: none(), full: none() }]));
  let instr = 0;
  const reg = (name: string): RegVal => regs.get(name) ?? { v: 0, data: none(), full: none() };
  const join = (...xs: RegVal[]): { data: Set<number>; full: Set<number> } => ({ data: new Set(xs.flatMap((x) => [...x.data])), full: new Set(xs.flatMap((x) => [...x.full])) });
  const evalE = (e: Expr): RegVal => {
    switch (e.k) {
      case 'num':
        return { v: e.v, data: none(), full: none() };
      case 'reg':
        return reg(e.name);
      case 'loc':
        return { v: ctx.addresses.of(e.name), data: none(), full: none() };
      case 'not': {
        const x = evalE(e.e);
        return { v: x.v ? 0 : 1, data: x.data, full: x.full };
      }
      case 'bnot': {
        const x = evalE(e.e);
        return { v: ~x.v, data: x.data, full: x.full };
      }
      case 'bin': {
        const a = evalE(e.a);
        const b = evalE(e.b);
        // herd7 evaluates both operands (its && and || do not short-circuit dependencies)
        return { v: binop(e.op, a.v, b.v), ...join(a, b) };
      }
      case 'cond': {
        // not herd7's C (the parser allows it where no access is nested): the value depends on all three
        const c = evalE(e.c);
        const a = evalE(e.a);
        const b = evalE(e.b);
        return { v: c.v ? a.v : b.v, ...join(c, a, b) };
      }
    }
  };
  const emit = (ev: Omit<ThreadEvent, 'instr' | 'addr' | 'ctrl' | 'rmw' | 'atomic' | 'data'> & Partial<ThreadEvent>, cx: Set<number>): number => {
    events.push({ instr, addr: [], data: [], rmw: null, atomic: false, ...ev, ctrl: [...cx] });
    return events.length - 1;
  };
  const read = (loc: string): number => {
    const vs = values(loc);
    return vs[vs.length > 1 ? choose(vs.length) : 0];
  };
  const setReg = (name: string | null, v: number, from: number[], cx: Set<number>) => {
    if (name !== null) regs.set(name, { v, data: new Set(from), full: new Set([...from, ...cx]) });
  };
  /** Where an access goes, and the reads its address depends on (none for a named location). */
  const where = (s: { loc: string; addr?: Expr; line?: number }): { loc: string; addr: number[] } => {
    if (!s.addr) return { loc: s.loc, addr: [] };
    const a = evalE(s.addr);
    const loc = ctx.addresses.location(a.v);
    if (loc === undefined) throw new Fault(`P${th.id} dereferences ${a.v}, which is not the address of a location`, s.line);
    return { loc, addr: [...a.data] };
  };

  const run = (body: Stmt[], cx: Set<number>): void => {
    for (const s of body) {
      instr++;
      switch (s.k) {
        case 'if': {
          const c = evalE(s.cond);
          run(c.v !== 0 ? s.then : s.else, new Set([...cx, ...c.full]));
          break;
        }
        case 'assign': {
          const x = evalE(s.value);
          regs.set(s.reg, { v: x.v, data: x.data, full: new Set([...x.full, ...cx]) });
          break;
        }
        case 'load': {
          const { loc, addr } = where(s);
          const e = emit({ kind: 'R', step: 0, loc, value: read(loc), tags: ORDER_TAG[s.order], addr }, cx);
          setReg(s.reg, events[e].value, [e], cx);
          break;
        }
        case 'store': {
          const { loc, addr } = where(s);
          const x = evalE(s.value);
          emit({ kind: 'W', step: 0, loc, value: x.v, tags: ORDER_TAG[s.order], addr, data: [...x.data] }, cx);
          break;
        }
        case 'fence':
          emit({ kind: 'F', step: 0, loc: null, value: 0, tags: FENCE_TAG[s.f] }, cx);
          break;
        case 'lock': {
          const { loc, addr } = where(s);
          emit({ kind: 'LKR', step: 0, loc, value: 0, tags: 0, addr }, cx);
          emit({ kind: 'LKW', step: 1, loc, value: 1, tags: 0, addr }, cx);
          break;
        }
        case 'unlock': {
          const { loc, addr } = where(s);
          emit({ kind: 'UL', step: 0, loc, value: 0, tags: 0, addr }, cx);
          break;
        }
        case 'trylock':
        case 'islocked': {
          const { loc, addr } = where(s);
          // herd7 makes both outcomes (CSem.ml: TryLock, IsLocked); the model keeps those that can happen
          const yes = choose(2) === 0;
          if (s.k === 'trylock' && yes) {
            emit({ kind: 'LKR', step: 0, loc, value: 0, tags: 0, addr }, cx);
            emit({ kind: 'LKW', step: 1, loc, value: 1, tags: 0, addr }, cx);
          } else emit({ kind: s.k === 'trylock' ? 'LF' : yes ? 'RL' : 'RU', step: 0, loc, value: yes ? 1 : 0, tags: 0, addr }, cx);
          setReg(s.reg, yes ? 1 : 0, [], cx);
          break;
        }
        case 'xchg':
        case 'cmpxchg': {
          const { loc, addr } = where(s);
          const tag = ORDER_TAG[s.order];
          const r = emit({ kind: 'R', step: 0, loc, value: read(loc), tags: tag, atomic: true, addr }, cx);
          const old = events[r].value;
          if (s.k === 'xchg' || old === evalE(s.old).v) {
            const x = evalE(s.value);
            const w = emit({ kind: 'W', step: 1, loc, value: x.v, tags: tag, atomic: true, addr, data: [...x.data] }, cx);
            events[r].rmw = w;
          }
          // a failed cmpxchg is its read alone, still of the RMW class (linux-kernel.bell's FailedRMW)
          setReg(s.reg, old, [r], cx);
          break;
        }
        case 'atomic': {
          const { loc, addr } = where(s);
          const tag = s.returns === null ? T.NORETURN : ORDER_TAG[s.order];
          const x = evalE(s.value);
          const r = emit({ kind: 'R', step: 0, loc, value: read(loc), tags: tag, atomic: true, addr }, cx);
          const old = events[r].value;
          const now = binop(s.op, old, x.v);
          // the write's value is computed from the read: a data dependency inside the RMW (CSem.ml build_atomic_op)
          const w = emit({ kind: 'W', step: 1, loc, value: now, tags: tag, atomic: true, addr, data: [r, ...x.data] }, cx);
          events[r].rmw = w;
          setReg(s.reg, s.returns === 'old' ? old : now, [r], cx);
          break;
        }
        case 'add-unless': {
          // atomic_add_unless(v, a, u): an RMW adding a when v != u, fully ordered then; else its read alone, unordered (FailedRMW)
          const { loc, addr } = where(s);
          const a = evalE(s.value);
          const u = evalE(s.unless);
          const r = emit({ kind: 'R', step: 0, loc, value: read(loc), tags: T.MB, atomic: true, addr }, cx);
          const old = events[r].value;
          const added = old !== u.v;
          if (added) events[r].rmw = emit({ kind: 'W', step: 1, loc, value: binop('+', old, a.v), tags: T.MB, atomic: true, addr, data: [r, ...a.data] }, cx);
          setReg(s.reg, added ? 1 : 0, [r], cx);
          break;
        }
        case 'srcu': {
          const { loc, addr } = where(s);
          if (s.op === 'srcu-lock') {
            const r = emit({ kind: 'R', step: 0, loc, value: read(loc), tags: T.SRCU_LOCK, addr }, cx);
            setReg(s.reg, events[r].value, [r], cx);
          } else if (s.op === 'srcu-unlock') {
            const x = evalE(s.value ?? { k: 'num', v: 0 });
            emit({ kind: 'W', step: 0, loc, value: x.v, tags: T.SRCU_UNLOCK, addr, data: [...x.data] }, cx);
          } else emit({ kind: 'SYNC_SRCU', step: 0, loc, value: 0, tags: 0, addr }, cx);
          break;
        }
      }
    }
  };
  let fault: ThreadPath['fault'];
  try {
    run(th.body, new Set());
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    fault = { what: e.message, line: e.line };
  }
  return { events, regs: new Map([...regs].map(([k, r]) => [k, r.v])), ...(fault ? { fault } : {}) };
}

/** Every path of a thread, by a depth-first search over its choices; null past `limit` paths. */
export function threadPaths(th: Thread, values: (loc: string) => number[], limit: number, ctx: ProgramContext): ThreadPath[] | null {
  const out: ThreadPath[] = [];
  const choices: { at: number; of: number }[] = [];
  for (;;) {
    let depth = 0;
    const choose = (of: number): number => {
      if (depth === choices.length) choices.push({ at: 0, of });
      return choices[depth++].at;
    };
    out.push(runOnce(th, values, choose, ctx));
    if (out.length > limit) return null;
    choices.length = depth;
    while (choices.length > 0 && choices[choices.length - 1].at + 1 >= choices[choices.length - 1].of) choices.pop();
    if (choices.length === 0) return out;
    choices[choices.length - 1].at++;
  }
}
