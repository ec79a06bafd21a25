/**
 * From the parsed test (src/litmus/parse.ts) to the events each thread can produce: every
 * path of a thread, one per choice of the values its reads return (from the values the
 * location can hold), the branch each `if` then takes, and whether each cmpxchg, trylock
 * or spin_is_locked succeeds. This is the one place that knows the parser's statements;
 * a construct the parser learns later is one more case here.
 *
 * Dependencies are derived as herd7's C front end does (herdtools7 herd/modelUtils.ml,
 * make_procrels_nodeps, over the event structures of herd/CSem.ml and herd/event.ml):
 * - data: a written value computed from registers that a read set, through register
 *   assignments (an atomic_t RMW's write also depends on its own read; xchg's and
 *   cmpxchg's do not);
 * - ctrl: every access inside an `if` (either branch, nested ones too, not what follows
 *   the `if`) whose condition reads a register that a read set, through assignments and
 *   through assignments made under such an `if`;
 * - addr: none yet (today's locations are the parameters themselves, never computed).
 */
import type { Expr, Stmt, Thread } from '../parse.js';
import { FENCE_TAG, T, type ThreadEvent, type ThreadPath } from './events.js';

/** A register's value and the reads it came from: by data alone, and by data or control. */
interface RegVal {
  v: number;
  data: Set<number>;
  full: Set<number>;
}

const ORDER_TAG: Record<string, number> = { mb: T.MB, relaxed: T.ONCE, acquire: T.ACQUIRE, release: T.RELEASE, once: T.ONCE, plain: 0 };

/** C's arithmetic on the int registers of a test (herd7 evaluates on machine integers). */
export function binop(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return (a + b) | 0;
    case '-':
      return (a - b) | 0;
    case '*':
      return Math.imul(a, b);
    case '/':
      return b === 0 ? 0 : (a / b) | 0;
    case '%':
      return b === 0 ? 0 : a % b | 0;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&~':
      return a & ~b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
    case '<':
      return +(a < b);
    case '>':
      return +(a > b);
    case '<=':
      return +(a <= b);
    case '>=':
      return +(a >= b);
    case '&&':
      return +(a !== 0 && b !== 0);
    case '||':
      return +(a !== 0 || b !== 0);
    default:
      throw new Error(`operator ${op}`);
  }
}

/**
 * Every path of one thread. `values(loc)` is what a read of `loc` may return; `choose`
 * picks among options and is driven by the caller's depth-first search.
 */
function runOnce(th: Thread, values: (loc: string) => number[], choose: (n: number) => number): ThreadPath {
  const events: ThreadEvent[] = [];
  const regs = new Map<string, RegVal>();
  let instr = 0;
  const reg = (name: string): RegVal => regs.get(name) ?? { v: 0, data: new Set(), full: new Set() };
  const evalE = (e: Expr): RegVal => {
    switch (e.k) {
      case 'num':
        return { v: e.v, data: new Set(), full: new Set() };
      case 'reg':
        return reg(e.name);
      case 'not': {
        const x = evalE(e.e);
        return { v: x.v ? 0 : 1, data: x.data, full: x.full };
      }
      case 'bin': {
        const a = evalE(e.a);
        const b = evalE(e.b);
        // herd7 evaluates both operands (its && and || do not short-circuit dependencies)
        return { v: binop(e.op, a.v, b.v), data: new Set([...a.data, ...b.data]), full: new Set([...a.full, ...b.full]) };
      }
    }
  };
  const emit = (ev: Omit<ThreadEvent, 'instr' | 'addr' | 'ctrl' | 'rmw' | 'atomic' | 'data'> & Partial<ThreadEvent>, ctx: Set<number>): number => {
    events.push({ instr, addr: [], data: [], rmw: null, atomic: false, ...ev, ctrl: [...ctx] });
    return events.length - 1;
  };
  const read = (loc: string): number => {
    const vs = values(loc);
    return vs[vs.length > 1 ? choose(vs.length) : 0];
  };
  const setReg = (name: string | null, v: number, from: number[], ctx: Set<number>) => {
    if (name !== null) regs.set(name, { v, data: new Set(from), full: new Set([...from, ...ctx]) });
  };

  const run = (body: Stmt[], ctx: Set<number>): void => {
    for (const s of body) {
      instr++;
      switch (s.k) {
        case 'if': {
          const c = evalE(s.cond);
          const inner = new Set([...ctx, ...c.full]);
          run(c.v !== 0 ? s.then : s.else, inner);
          break;
        }
        case 'assign': {
          const x = evalE(s.value);
          regs.set(s.reg, { v: x.v, data: x.data, full: new Set([...x.full, ...ctx]) });
          break;
        }
        case 'load': {
          const e = emit({ kind: 'R', step: 0, loc: s.loc, value: read(s.loc), tags: ORDER_TAG[s.order] }, ctx);
          setReg(s.reg, events[e].value, [e], ctx);
          break;
        }
        case 'store': {
          const x = evalE(s.value);
          emit({ kind: 'W', step: 0, loc: s.loc, value: x.v, tags: ORDER_TAG[s.order], data: [...x.data] }, ctx);
          break;
        }
        case 'fence':
          emit({ kind: 'F', step: 0, loc: null, value: 0, tags: FENCE_TAG[s.f] }, ctx);
          break;
        case 'lock':
          emit({ kind: 'LKR', step: 0, loc: s.loc, value: 0, tags: 0 }, ctx);
          emit({ kind: 'LKW', step: 1, loc: s.loc, value: 1, tags: 0 }, ctx);
          break;
        case 'unlock':
          emit({ kind: 'UL', step: 0, loc: s.loc, value: 0, tags: 0 }, ctx);
          break;
        case 'trylock':
        case 'islocked': {
          // herd7 makes both outcomes (CSem.ml: TryLock, IsLocked); the model keeps those that can happen
          const yes = choose(2) === 0;
          if (s.k === 'trylock' && yes) {
            emit({ kind: 'LKR', step: 0, loc: s.loc, value: 0, tags: 0 }, ctx);
            emit({ kind: 'LKW', step: 1, loc: s.loc, value: 1, tags: 0 }, ctx);
          } else emit({ kind: s.k === 'trylock' ? 'LF' : yes ? 'RL' : 'RU', step: 0, loc: s.loc, value: yes ? 1 : 0, tags: 0 }, ctx);
          setReg(s.reg, yes ? 1 : 0, [], ctx);
          break;
        }
        case 'xchg':
        case 'cmpxchg': {
          const tag = ORDER_TAG[s.order];
          const r = emit({ kind: 'R', step: 0, loc: s.loc, value: read(s.loc), tags: tag, atomic: true }, ctx);
          const old = events[r].value;
          if (s.k === 'xchg' || old === evalE(s.old).v) {
            const x = evalE(s.value);
            const w = emit({ kind: 'W', step: 1, loc: s.loc, value: x.v, tags: tag, atomic: true, data: [...x.data] }, ctx);
            events[r].rmw = w;
          }
          // a failed cmpxchg is its read alone, still of the RMW class (linux-kernel.bell's FailedRMW)
          setReg(s.reg, old, [r], ctx);
          break;
        }
        case 'atomic': {
          const tag = s.ret === 'none' ? T.NORETURN : ORDER_TAG[s.order];
          const x = evalE(s.value);
          const r = emit({ kind: 'R', step: 0, loc: s.loc, value: read(s.loc), tags: tag, atomic: true }, ctx);
          const old = events[r].value;
          const now = binop(s.op, old, x.v);
          // the write's value is computed from the read: a data dependency inside the RMW (CSem.ml build_atomic_op)
          const w = emit({ kind: 'W', step: 1, loc: s.loc, value: now, tags: tag, atomic: true, data: [r, ...x.data] }, ctx);
          events[r].rmw = w;
          const ret = s.ret === 'old' ? old : now;
          setReg(s.reg, s.test === 'zero' ? +(ret === 0) : s.test === 'negative' ? +(ret < 0) : ret, [r], ctx);
          break;
        }
        case 'srcu': {
          if (s.op === 'lock') {
            const r = emit({ kind: 'R', step: 0, loc: s.loc, value: read(s.loc), tags: T.SRCU_LOCK }, ctx);
            setReg(s.reg, events[r].value, [r], ctx);
          } else if (s.op === 'unlock') {
            const x = evalE(s.value ?? { k: 'num', v: 0 });
            emit({ kind: 'W', step: 0, loc: s.loc, value: x.v, tags: T.SRCU_UNLOCK, data: [...x.data] }, ctx);
          } else emit({ kind: 'SYNC_SRCU', step: 0, loc: s.loc, value: 0, tags: 0 }, ctx);
          break;
        }
      }
    }
  };
  run(th.body, new Set());
  return { events, regs: new Map([...regs].map(([k, r]) => [k, r.v])) };
}

/** Every path of a thread, by a depth-first search over its choices; null past `limit` paths. */
export function threadPaths(th: Thread, values: (loc: string) => number[], limit: number): ThreadPath[] | null {
  const out: ThreadPath[] = [];
  const choices: { at: number; of: number }[] = [];
  for (;;) {
    let depth = 0;
    const choose = (of: number): number => {
      if (depth === choices.length) choices.push({ at: 0, of });
      return choices[depth++].at;
    };
    out.push(runOnce(th, values, choose));
    if (out.length > limit) return null;
    choices.length = depth;
    while (choices.length > 0 && choices[choices.length - 1].at + 1 >= choices[choices.length - 1].of) choices.pop();
    if (choices.length === 0) return out;
    choices[choices.length - 1].at++;
  }
}
