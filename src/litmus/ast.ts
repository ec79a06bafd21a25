/**
 * The parsed form of a C litmus test, as herd7 reads it under the kernel's model
 * (tools/memory-model/linux-kernel.def names each primitive's events).
 *
 * The AST before issue 20 is a subset of this one: every kind and field it had keeps its
 * meaning. Issue 20 added, each marked "(issue 20)" where it is declared:
 * - Expr: `loc` (the address of a shared location, a pointer value), `bnot` (`~e`),
 *   `cond` (`c ? a : b`); `bin` ops now also `* / % & | ^ << >>`.
 * - Stmt: a `line` on every statement; `addr` on every access (a computed address:
 *   `READ_ONCE(*r0)`, an address dependency), with `loc` '' then; `fn`, the primitive as
 *   written (`rcu_dereference`, `atomic_read`, ...); load/store order `plain` (`*x = 1`,
 *   `r = *x`); fence kinds `before-atomic`, `after-atomic`, `after-spinlock`,
 *   `after-unlock-lock`, `after-srcu-read-unlock`, `barrier`, `rcu-lock`, `rcu-unlock`,
 *   `sync-rcu` (herd7's own annotation names); new kinds `trylock`, `islocked`, `atomic`,
 *   `add-unless`, `srcu`.
 * - Thread: `temps` (registers the parser made for accesses nested in expressions),
 *   `params` (parameter names and types).
 * - Cond: `ptr` (a register or location holding the address of a location: `0:r1=x`),
 *   `same` (two of them equal: `0:r1=1:r2`).
 *   `->` and `false` are written with the old kinds (`~a \/ b`, `~true`).
 * - LitmusTest: `arch`, `doc`, `info` (the diy header), `types`, `srcus`, `pointers`,
 *   `initRegs`, `filter`, `line` of the `exists`/`forall`.
 *
 * Accesses nested in an expression (`if (READ_ONCE(*x))`, `WRITE_ONCE(*y, READ_ONCE(*x) ^ 1)`)
 * are lifted into statements of their own, in evaluation order, each loading into a
 * temporary register (`Thread.temps`) that the expression then reads: dependencies
 * (data, address, control) stay visible as register uses, as they are in herd7's events.
 */

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'reg'; name: string }
  | { k: 'not'; e: Expr }
  /** `+ - == != < > <= >= && ||`, and (issue 20) `* / % & | ^ << >>`; unary minus is `0 - e`. */
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  /** (issue 20) The address of shared location `name`: a parameter used as a value (`rcu_assign_pointer(*y, x)`), `&x`. */
  | { k: 'loc'; name: string }
  /** (issue 20) `~e`, bitwise complement (C; not in herd7's C grammar). */
  | { k: 'bnot'; e: Expr }
  /** (issue 20) `c ? a : b` (C; not in herd7's C grammar; its operands load nothing). */
  | { k: 'cond'; c: Expr; a: Expr; b: Expr };

/** linux-kernel.def's orderings of an atomic: `mb` (full), `relaxed` (herd's `once`), `acquire`, `release`. */
export type Order = 'once' | 'relaxed' | 'acquire' | 'release' | 'mb';

/**
 * A fence: herd7's annotation of `__fence{...}` in linux-kernel.def. Before issue 20 only
 * `mb`, `wmb`, `rmb`; the others (issue 20) are smp_mb__before_atomic, smp_mb__after_atomic,
 * smp_mb__after_spinlock, smp_mb__after_unlock_lock, smp_mb__after_srcu_read_unlock,
 * barrier, rcu_read_lock, rcu_read_unlock, synchronize_rcu(_expedited).
 */
export type Fence =
  | 'mb'
  | 'wmb'
  | 'rmb'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock'
  | 'after-srcu-read-unlock'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu';

/**
 * Where an access goes (issue 20): `loc` is the shared location when the text names it
 * (`*x` for a parameter x, `x` for smp_load_acquire); when the address is computed at run
 * time (`*r0`, `*(int *)r1`) `loc` is '' and `addr` is the expression giving the pointer.
 */
interface Access {
  loc: string;
  addr?: Expr;
  /** The primitive as the file writes it (`rcu_dereference`, `atomic_read`, ...), when not the kind's plain name. */
  fn?: string;
}

export type Stmt = (
  | ({ k: 'load'; reg: string; order: 'once' | 'acquire' | 'plain' } & Access)
  | ({ k: 'store'; value: Expr; order: 'once' | 'release' | 'plain' } & Access)
  | { k: 'fence'; f: Fence; fn?: string }
  | ({ k: 'lock' } & Access)
  | ({ k: 'unlock' } & Access)
  | ({ k: 'xchg'; reg: string | null; value: Expr; order: Order } & Access)
  | ({ k: 'cmpxchg'; reg: string | null; old: Expr; value: Expr; order: Order } & Access)
  | { k: 'assign'; reg: string; value: Expr }
  | { k: 'if'; cond: Expr; then: Stmt[]; else: Stmt[] }
  /** (issue 20) spin_trylock: `reg` is 1 if the lock was taken, else 0 (herd's `__trylock`). */
  | ({ k: 'trylock'; reg: string } & Access)
  /** (issue 20) spin_is_locked: `reg` is 1 if the lock is held (herd's `__islocked`). */
  | ({ k: 'islocked'; reg: string } & Access)
  /**
   * (issue 20) atomic_add/sub/inc/dec (`returns` null: no value, herd's `__atomic_op`), the
   * `*_return*` forms (`returns` 'new', `__atomic_op_return`) and the `fetch_*` forms
   * (`returns` 'old', `__atomic_fetch_op`), with their orderings.
   */
  | ({ k: 'atomic'; reg: string | null; op: '+' | '-'; value: Expr; order: Order; returns: 'new' | 'old' | null } & Access)
  /** (issue 20) atomic_add_unless(v, a, u): adds `value` unless the location holds `unless`; `reg` is 1 if it added. */
  | ({ k: 'add-unless'; reg: string | null; value: Expr; unless: Expr } & Access)
  /**
   * (issue 20) SRCU on the srcu_struct at `loc`: `srcu-lock` (srcu_read_lock, srcu_down_read;
   * `reg` takes the index), `srcu-unlock` (srcu_read_unlock, srcu_up_read; `value` is the
   * index), `sync-srcu` (synchronize_srcu(_expedited)).
   */
  | ({ k: 'srcu'; op: 'srcu-lock' | 'srcu-unlock' | 'sync-srcu'; reg: string | null; value: Expr | null } & Access)
) & {
  /** (issue 20) The file's line the statement is on. */
  line?: number;
};

export interface Param {
  name: string;
  /** The type as written, without the parameter's own star: `int`, `int *`, `spinlock_t`, `struct srcu_struct`, `atomic_t`. */
  type: string;
}

export interface Thread {
  id: number;
  body: Stmt[];
  /** Registers of the body, in order: declared ones and (issue 20) those declared by first use. */
  regs: string[];
  /** (issue 20) Registers the parser made for accesses nested in expressions (`#1`, `#2`, ...: no C name). */
  temps: string[];
  /** (issue 20) The parameters, in order. */
  params: Param[];
}

export type Cond =
  | { k: 'true' }
  | { k: 'atom'; thread: number | null; name: string; value: number }
  /** (issue 20) `0:r1=x`, `y=x`: the register or location holds the address of location `loc`. */
  | { k: 'ptr'; thread: number | null; name: string; loc: string }
  /** (issue 20) `0:r1=1:r2`, `x=0:r1`: two registers or locations hold the same value. */
  | { k: 'same'; a: { thread: number | null; name: string }; b: { thread: number | null; name: string } }
  | { k: 'not'; c: Cond }
  | { k: 'and' | 'or'; a: Cond; b: Cond };

export interface LitmusTest {
  name: string;
  /** (issue 20) The architecture word of the first line: always 'C' for a test the parser returns. */
  arch: string;
  /** (issue 20) The quoted description after the name (diy's cycle), if any. */
  doc: string | null;
  /** (issue 20) The `key=value` lines before the initial state (diy's Cycle=, Relax=, Safe=, ...), in order. */
  info: [string, string][];
  /** The verdict the file's comment states ("Result: Never"), if any. */
  expected: 'Never' | 'Sometimes' | 'Always' | null;
  /** Every shared location (not the locks) with its integer initial value (0 when it starts as a pointer: see `pointers`). */
  init: Map<string, number>;
  /** (issue 20) The type of each shared location, as the initial state or a parameter gives it (`int`, `int *`, `atomic_t`, ...). */
  types: Map<string, string>;
  locks: Set<string>;
  /** (issue 20) `struct srcu_struct *` parameters (also in `init`, at 0). */
  srcus: Set<string>;
  /** (issue 20) Locations whose initial value is the address of another: `x=y;`, `int *x = &y;`. */
  pointers: Map<string, { to: string; line: number }>;
  /** (issue 20) Registers the initial state sets: `0:r1=x;` (value `loc`), `1:r2=3;` (value `num`). */
  initRegs: { thread: number; reg: string; value: Expr; line: number }[];
  threads: Thread[];
  quantifier: 'exists' | '~exists' | 'forall';
  cond: Cond;
  /** (issue 20) The line of the final condition's keyword. */
  condLine: number;
  /** (issue 20) `filter (...)`: only executions whose final state satisfies it count. */
  filter: { cond: Cond; line: number } | null;
  /** Extra locations to show (`locations [...]`). */
  locations: { thread: number | null; name: string }[];
}
