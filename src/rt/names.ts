/** How locks and tasks are named in this execution's reports (the executor sets the table). */
import type { NameTable } from '../shm/arena.js';
import { MODE_NAMES, type Task } from './task.js';

let names: NameTable | null = null;

/** The executor tells the oracles how locks are named in this execution. */
export function setNames(n: NameTable): void {
  names = n;
}

/** The lockdep class of a lock ("&kvm->slots_lock"). */
export function lockClass(lock: number): string {
  return names?.locks[lock]?.cls ?? `lock#${lock}`;
}

export function lockLabel(lock: number): string {
  return names?.locks[lock]?.name ?? `lock#${lock}`;
}

export function taskLabel(task: number): string {
  return names?.tasks[task] ?? `task${task}`;
}

export function heldLocks(t: Task): string[] {
  return t.held.map((h) => `${lockLabel(h.lock)} (${MODE_NAMES[h.mode]})`);
}
