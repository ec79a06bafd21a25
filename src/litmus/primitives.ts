/**
 * The kernel primitives a C litmus test may call, and the events herd7 gives each: the
 * table is tools/memory-model/linux-kernel.def (torvalds/linux, read at commit
 * 02bae7a24257947fe95fcca80c78e6cb602e94bf), plus what herd7's C front end knows by
 * itself (atomic_add_unless) and the SRCU up/down pair later kernels define
 * (srcu_down_read / srcu_up_read, the same events as srcu_read_lock / srcu_read_unlock).
 *
 * `ptr` says how the location argument is written: 'lvalue' for READ_ONCE(*x),
 * WRITE_ONCE(*x, v), rcu_dereference(*p), rcu_assign_pointer(*p, v), smp_store_mb(*x, v)
 * (the .def passes X on as it is), 'pointer' for everything else (smp_load_acquire(x),
 * spin_lock(l), atomic_inc(v): the .def dereferences X itself).
 */
import type { Fence, Order } from './ast.js';

export type Primitive =
  /** A value: a load of the location. */
  | { kind: 'load'; order: 'once' | 'acquire'; ptr: 'lvalue' | 'pointer' }
  | { kind: 'store'; order: 'once' | 'release'; ptr: 'lvalue' | 'pointer'; mb?: true }
  | { kind: 'fence'; f: Fence }
  | { kind: 'lock' | 'unlock' }
  /** A value: 1 if taken / held. */
  | { kind: 'trylock' | 'islocked' }
  /** A value: the old one. */
  | { kind: 'xchg'; order: Order }
  | { kind: 'cmpxchg'; order: Order }
  /** `amount` 'arg': the call's first argument (atomic_add(i, v) takes the amount before the location). */
  | { kind: 'atomic'; op: '+' | '-'; amount: number | 'arg'; order: Order; returns: 'new' | 'old' | null; test?: '== 0' | '< 0' }
  | { kind: 'add-unless' }
  | { kind: 'srcu'; op: 'srcu-lock' | 'srcu-unlock' | 'sync-srcu' };

const P: Record<string, Primitive> = {
  READ_ONCE: { kind: 'load', order: 'once', ptr: 'lvalue' },
  WRITE_ONCE: { kind: 'store', order: 'once', ptr: 'lvalue' },
  smp_store_release: { kind: 'store', order: 'release', ptr: 'pointer' },
  smp_load_acquire: { kind: 'load', order: 'acquire', ptr: 'pointer' },
  rcu_assign_pointer: { kind: 'store', order: 'release', ptr: 'lvalue' },
  rcu_dereference: { kind: 'load', order: 'once', ptr: 'lvalue' },
  smp_store_mb: { kind: 'store', order: 'once', ptr: 'lvalue', mb: true },
  smp_mb: { kind: 'fence', f: 'mb' },
  smp_rmb: { kind: 'fence', f: 'rmb' },
  smp_wmb: { kind: 'fence', f: 'wmb' },
  smp_mb__before_atomic: { kind: 'fence', f: 'before-atomic' },
  smp_mb__after_atomic: { kind: 'fence', f: 'after-atomic' },
  smp_mb__after_spinlock: { kind: 'fence', f: 'after-spinlock' },
  smp_mb__after_unlock_lock: { kind: 'fence', f: 'after-unlock-lock' },
  smp_mb__after_srcu_read_unlock: { kind: 'fence', f: 'after-srcu-read-unlock' },
  barrier: { kind: 'fence', f: 'barrier' },
  rcu_read_lock: { kind: 'fence', f: 'rcu-lock' },
  rcu_read_unlock: { kind: 'fence', f: 'rcu-unlock' },
  synchronize_rcu: { kind: 'fence', f: 'sync-rcu' },
  synchronize_rcu_expedited: { kind: 'fence', f: 'sync-rcu' },
  spin_lock: { kind: 'lock' },
  spin_unlock: { kind: 'unlock' },
  spin_trylock: { kind: 'trylock' },
  spin_is_locked: { kind: 'islocked' },
  srcu_read_lock: { kind: 'srcu', op: 'srcu-lock' },
  srcu_read_unlock: { kind: 'srcu', op: 'srcu-unlock' },
  srcu_down_read: { kind: 'srcu', op: 'srcu-lock' },
  srcu_up_read: { kind: 'srcu', op: 'srcu-unlock' },
  synchronize_srcu: { kind: 'srcu', op: 'sync-srcu' },
  synchronize_srcu_expedited: { kind: 'srcu', op: 'sync-srcu' },
  atomic_read: { kind: 'load', order: 'once', ptr: 'pointer' },
  atomic_set: { kind: 'store', order: 'once', ptr: 'pointer' },
  atomic_read_acquire: { kind: 'load', order: 'acquire', ptr: 'pointer' },
  atomic_set_release: { kind: 'store', order: 'release', ptr: 'pointer' },
  atomic_add: { kind: 'atomic', op: '+', amount: 'arg', order: 'relaxed', returns: null },
  atomic_sub: { kind: 'atomic', op: '-', amount: 'arg', order: 'relaxed', returns: null },
  atomic_inc: { kind: 'atomic', op: '+', amount: 1, order: 'relaxed', returns: null },
  atomic_dec: { kind: 'atomic', op: '-', amount: 1, order: 'relaxed', returns: null },
  atomic_sub_and_test: { kind: 'atomic', op: '-', amount: 'arg', order: 'mb', returns: 'new', test: '== 0' },
  atomic_dec_and_test: { kind: 'atomic', op: '-', amount: 1, order: 'mb', returns: 'new', test: '== 0' },
  atomic_inc_and_test: { kind: 'atomic', op: '+', amount: 1, order: 'mb', returns: 'new', test: '== 0' },
  atomic_add_negative: { kind: 'atomic', op: '+', amount: 'arg', order: 'mb', returns: 'new', test: '< 0' },
  atomic_add_unless: { kind: 'add-unless' },
};

/** The .def's suffixes: none is fully ordered, `_relaxed` is herd's `once`. */
const ORDERS: [string, Order][] = [
  ['', 'mb'],
  ['_relaxed', 'relaxed'],
  ['_acquire', 'acquire'],
  ['_release', 'release'],
];

for (const [suffix, order] of ORDERS) {
  P[`xchg${suffix}`] = { kind: 'xchg', order };
  P[`cmpxchg${suffix}`] = { kind: 'cmpxchg', order };
  P[`atomic_xchg${suffix}`] = { kind: 'xchg', order };
  P[`atomic_cmpxchg${suffix}`] = { kind: 'cmpxchg', order };
  for (const [name, op] of [
    ['add', '+'],
    ['sub', '-'],
  ] as const) {
    P[`atomic_${name}_return${suffix}`] = { kind: 'atomic', op, amount: 'arg', order, returns: 'new' };
    P[`atomic_fetch_${name}${suffix}`] = { kind: 'atomic', op, amount: 'arg', order, returns: 'old' };
  }
  for (const [name, op] of [
    ['inc', '+'],
    ['dec', '-'],
  ] as const) {
    P[`atomic_${name}_return${suffix}`] = { kind: 'atomic', op, amount: 1, order, returns: 'new' };
    P[`atomic_fetch_${name}${suffix}`] = { kind: 'atomic', op, amount: 1, order, returns: 'old' };
  }
}

export const PRIMITIVES: ReadonlyMap<string, Primitive> = new Map(Object.entries(P));

/** Whether a call gives a value (the .def writes it as an expression) or is a statement only. */
export function hasValue(p: Primitive): boolean {
  switch (p.kind) {
    case 'load':
    case 'trylock':
    case 'islocked':
    case 'xchg':
    case 'cmpxchg':
    case 'add-unless':
      return true;
    case 'atomic':
      return p.returns !== null;
    case 'srcu':
      return p.op === 'srcu-lock';
    default:
      return false;
  }
}

/** How many arguments the call takes. */
export function arity(p: Primitive): number {
  switch (p.kind) {
    case 'fence':
      return 0;
    case 'load':
    case 'lock':
    case 'unlock':
    case 'trylock':
    case 'islocked':
      return 1;
    case 'store':
    case 'xchg':
      return 2;
    case 'cmpxchg':
    case 'add-unless':
      return 3;
    case 'atomic':
      return p.amount === 'arg' ? 2 : 1;
    case 'srcu':
      return p.op === 'srcu-unlock' ? 2 : 1;
  }
}
