/**
 * struct percpu_rw_semaphore, as cpu_hotplug_lock: cpus_read_lock / cpus_read_unlock and
 * cpus_write_lock / cpus_write_unlock. Both sides may sleep; a waiting writer blocks new
 * readers, so lockdep sees a read as one a writer can block (not a recursive read).
 */
import { type Op, POINT } from '../rt/op.js';
import { current, MODE_SEM_READ, MODE_SEM_WRITE } from '../rt/task.js';
import type { Arena } from '../shm/arena.js';
import { lockdepBeforeMightSleep, mightSleep } from './lockdep.js';
import { Unlock } from './lock-word.js';
import { RwLock, readAcquire, readRelease, writeAcquire } from './rwlock.js';

export class PercpuRwsem extends RwLock {
  constructor(arena: Arena, name: string, cls = name) {
    super(arena, name, cls, 'struct percpu_rw_semaphore');
  }
}

export function* percpuDownRead(s: PercpuRwsem, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  lockdepBeforeMightSleep(t, s.id, MODE_SEM_READ, site);
  mightSleep(t, `percpu_down_read(${s.name})`);
  yield* readAcquire(s, MODE_SEM_READ, site);
}

export function* percpuUpRead(s: PercpuRwsem): Op {
  yield* readRelease(s, MODE_SEM_READ);
}

export function* percpuDownWrite(s: PercpuRwsem, site?: string): Op {
  yield POINT; // the op boundary
  const t = current;
  lockdepBeforeMightSleep(t, s.id, MODE_SEM_WRITE, site);
  mightSleep(t, `percpu_down_write(${s.name})`);
  yield* writeAcquire(s, MODE_SEM_WRITE, site);
}

export function percpuUpWrite(s: PercpuRwsem): Op {
  return new Unlock(s, MODE_SEM_WRITE);
}
