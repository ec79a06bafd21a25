/**
 * The events of a candidate execution, as herd7's C front end makes them for the kernel's
 * model (herdtools7 herd/CSem.ml in its lkmmv2 mode; the macros of the kernel's
 * tools/memory-model/linux-kernel.def). Reads and writes carry the syntactic tags of the
 * primitive that made them; lock.cat's lock events have kinds of their own.
 */

/** What an event is: a memory access, a fence, or one of lock.cat's lock events. */
export type Kind =
  /** a read (READ_ONCE, smp_load_acquire, a plain read, an RMW's read, srcu_read_lock) */
  | 'R'
  /** a write (the initial writes too) */
  | 'W'
  /** a fence (smp_mb, rcu_read_lock, ...) */
  | 'F'
  /** spin_lock's (or a successful spin_trylock's) read and write */
  | 'LKR'
  | 'LKW'
  /** spin_unlock */
  | 'UL'
  /** a failed spin_trylock */
  | 'LF'
  /** spin_is_locked returning true / false */
  | 'RL'
  | 'RU'
  /** synchronize_srcu (an event with a location but no access) */
  | 'SYNC_SRCU';

/** Tags, as bits (linux-kernel.bell's Accesses and Barriers, and its SRCU enum). */
export const T = {
  ONCE: 1 << 0,
  RELEASE: 1 << 1,
  ACQUIRE: 1 << 2,
  NORETURN: 1 << 3,
  /** xchg(), cmpxchg(), value-returning atomics, and smp_mb() */
  MB: 1 << 4,
  WMB: 1 << 5,
  RMB: 1 << 6,
  BARRIER: 1 << 7,
  RCU_LOCK: 1 << 8,
  RCU_UNLOCK: 1 << 9,
  SYNC_RCU: 1 << 10,
  BEFORE_ATOMIC: 1 << 11,
  AFTER_ATOMIC: 1 << 12,
  AFTER_SPINLOCK: 1 << 13,
  AFTER_UNLOCK_LOCK: 1 << 14,
  AFTER_SRCU_READ_UNLOCK: 1 << 15,
  SRCU_LOCK: 1 << 16,
  SRCU_UNLOCK: 1 << 17,
} as const;

/** The tag of each fence the parser names (linux-kernel.def). */
export const FENCE_TAG: Record<string, number> = {
  mb: T.MB,
  wmb: T.WMB,
  rmb: T.RMB,
  barrier: T.BARRIER,
  'rcu-lock': T.RCU_LOCK,
  'rcu-unlock': T.RCU_UNLOCK,
  'sync-rcu': T.SYNC_RCU,
  'before-atomic': T.BEFORE_ATOMIC,
  'after-atomic': T.AFTER_ATOMIC,
  'after-spinlock': T.AFTER_SPINLOCK,
  'after-unlock-lock': T.AFTER_UNLOCK_LOCK,
  'after-srcu-read-unlock': T.AFTER_SRCU_READ_UNLOCK,
};

/** One event of one thread's path (indices in `data`/`addr`/`ctrl`/`rmw` are within that path). */
export interface ThreadEvent {
  kind: Kind;
  /** The instruction it comes from, in program order. */
  instr: number;
  /**
   * Its place inside that instruction: events of one instruction are ordered by po only
   * when their steps differ (herd7's po for C includes the instruction's own causality:
   * an RMW's read before its write, a lock's read before its write).
   */
  step: number;
  loc: string | null;
  value: number;
  tags: number;
  /** An atomic (the RMW class of the bell): xchg, cmpxchg (failed ones too), atomic_t RMWs. */
  atomic: boolean;
  /** For the read of a successful RMW: its write. */
  rmw: number | null;
  /** The reads this event depends on: its address, its value, the `if`s it is under. */
  addr: number[];
  data: number[];
  ctrl: number[];
}

/** One way a thread can run: its events and its registers at the end. */
export interface ThreadPath {
  events: ThreadEvent[];
  regs: Map<string, number>;
  /** The path dereferenced a value that is not an address, and ends there: why, and where. */
  fault?: { what: string; line?: number };
}
