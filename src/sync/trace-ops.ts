/** Trace op codes of the sync layer (1..31); the model uses 32 and up. */
import { registerOps } from '../rt/trace.js';
import { type NameTable, nameOfWord } from '../shm/arena.js';

export const T_LOCK = 1;
export const T_UNLOCK = 2;
export const T_TRYLOCK = 3;
export const T_BLOCK = 4;
export const T_LOAD_ACQUIRE = 5;
export const T_STORE_RELEASE = 6;
/** synchronize_srcu() flipped the index: it now waits for the readers of the old one. */
export const T_SRCU_FLIP = 7;
/** An acquisition in atomic context: lockdep checks it before might_sleep() complains. */
export const T_ACQUIRE = 8;
// 9 is T_VIOLATION, registered by rt/violation.ts
/** Under --memory weak: a load that returned an older store than the newest (the report explains which). */
export const T_STALE_LOAD = 10;
/** Under --memory weak: a relaxed store the model tracks (WRITE_ONCE, a plain C store whose ordering matters). */
export const T_MARKED_STORE = 11;
/** Under --memory weak: smp_mb() / smp_wmb() / smp_rmb(). */
export const T_BARRIER = 12;
/** READ_ONCE() and the value it returned (where the memory does not trace its marked accesses itself: sc, threads). */
export const T_READ_ONCE = 13;
/** WRITE_ONCE() and the value it stored (likewise). */
export const T_WRITE_ONCE = 14;

const lockName = (n: NameTable, id: number) => n.locks[id]?.name ?? `lock#${id}`;
const ACQUIRE = ['spin_lock', 'read_lock', 'write_lock', 'mutex_lock', 'srcu_read_lock', 'synchronize_srcu', 'percpu_down_read', 'percpu_down_write', 'lock_map_acquire', 'wait_event'];
const RELEASE = ['spin_unlock', 'read_unlock', 'write_unlock', 'mutex_unlock', 'srcu_read_unlock', 'synchronize_srcu returns', 'percpu_up_read', 'percpu_up_write', 'lock_map_release', 'wake_up'];

registerOps({
  [T_LOCK]: (a, b, n) => `${ACQUIRE[b]}(${lockName(n, a)})`,
  [T_UNLOCK]: (a, b, n) => `${RELEASE[b]}(${lockName(n, a)})`,
  [T_TRYLOCK]: (a, b, n) => `mutex_trylock(${lockName(n, a)}) = ${b}`,
  [T_BLOCK]: (a, b, n) => `blocks in ${ACQUIRE[b]}(${lockName(n, a)})`,
  [T_ACQUIRE]: (a, b, n) => `${ACQUIRE[b]}(${lockName(n, a)}) in atomic context`,
  [T_LOAD_ACQUIRE]: (a, b, n) => `smp_load_acquire(&${nameOfWord(n, a)}) = ${b}`,
  [T_STORE_RELEASE]: (a, b, n) => `smp_store_release(&${nameOfWord(n, a)}, ${b})`,
  [T_STALE_LOAD]: (a, b, n) => `load of ${nameOfWord(n, a)} = ${b}: an older store than the newest (weak memory, see below)`,
  [T_MARKED_STORE]: (a, b, n) => `store ${nameOfWord(n, a)} = ${b} (relaxed)`,
  [T_BARRIER]: (a) => `smp_${['mb', 'wmb', 'rmb'][a]}()`,
  [T_READ_ONCE]: (a, b, n) => `READ_ONCE(${nameOfWord(n, a)}) = ${b}`,
  [T_WRITE_ONCE]: (a, b, n) => `WRITE_ONCE(${nameOfWord(n, a)}, ${b})`,
  [T_SRCU_FLIP]: (a, b, n) => `synchronize_srcu(${lockName(n, a)}): flips to index ${b}, waits for the readers of index ${1 - b}`,
});

