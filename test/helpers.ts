/** Running model ops outside any executor: one task, no scheduling, for unit tests. */
import { setNames } from '../src/rt/names.js';
import type { Violation } from '../src/rt/violation.js';
import type { Op } from '../src/rt/op.js';
import { type ExecHooks, setCurrent, Task, taskRng } from '../src/rt/task.js';
import { TraceRing } from '../src/rt/trace.js';
import { Arena } from '../src/shm/arena.js';
import '../src/sync/trace-ops.js';
import '../src/virt/kvm/trace-ops.js';
import '../src/arch/x86/kvm/mmu/trace-ops.js';

export interface Solo<W> {
  world: W;
  task: Task;
  arena: Arena;
  violations: Violation[];
}

/** Lay out `build` in a fresh arena with one task that is `current`. */
export function solo<W>(build: (a: Arena) => W): Solo<W> {
  const frame = (a: Arena) => {
    const seq = a.region('seq', 1);
    const ring = TraceRing.layout(a, 'solo');
    return { seq, ring, world: build(a) };
  };
  const m = Arena.measure();
  frame(m);
  const arena = Arena.create(m.layout().words);
  arena.names.tasks = ['solo'];
  const { seq, ring, world } = frame(arena);
  setNames(arena.names);
  const violations: Violation[] = [];
  const hooks: ExecHooks = { clockUnit: 'steps', clock: () => 0, wake() {}, report: (v) => violations.push(v) };
  const task = new Task(0, 'solo', 0, 'solo', () => taskRng(1, 'solo'), new TraceRing(arena.i32, ring, seq), hooks);
  setCurrent(task);
  return { world, task, arena, violations };
}

/** Run an op to completion; it must never block (there is nobody to wake it). */
export function runOp<T>(g: Op<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (r.value >= 0) throw new Error(`op blocked on lock ${r.value}`);
  }
}

/** The rare-event settings of a campaign's row: placed by the sim, and no host-rate estimate after a finding (for tests whose subject is the finding, not its rate). */
export const NO_HOST_RATE = { mode: 'forced', placements: null, horizons: null, hostRate: 0 } as const;
