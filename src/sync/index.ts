/** The kernel's locking API, as the model calls it. */
export { cmpxchg, plainLoad, plainStore, readOnce, smpBarrier, smpLoadAcquire, smpStoreRelease, writeOnce } from './barrier.js';
export { lockdepAssertHeld, lockdepAssertNotHeld, mightSleep } from './lockdep.js';
export { Mutex, mutexLock, mutexTrylock, mutexUnlock } from './mutex.js';
export { RwLock, type RwLockOptions, readLock, readUnlock, writeLock, writeUnlock } from './rwlock.js';
export { Spinlock, spinLock, spinUnlock } from './spinlock.js';
export { PercpuRwsem, percpuDownRead, percpuDownWrite, percpuUpRead, percpuUpWrite } from './percpu-rwsem.js';
export { LockdepMap, lockMapAcquire, lockMapRelease } from './lockdep-map.js';
export { WaitQueue, waitEvent, wakeUp } from './wait-queue.js';
export { Srcu, srcuReadLock, srcuReadUnlock, synchronizeSrcu } from './srcu.js';
export type { LockWord } from './lock-word.js';
