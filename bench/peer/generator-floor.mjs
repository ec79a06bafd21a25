// The floor under any engine that runs role code as generators: the peer race's shape
// (two vCPUs faulting through two levels of `yield*` over small op machines, a third
// role looping until they finish, about 560 steps an execution) with a seeded choice of
// the next task at every step, and nothing else: no locks, lockdep, trace, statistics,
// oracle, spin or starvation watch, no message to a parent. What it costs per step is
// what the generator resumes and the choice cost on this machine; the harness's own
// step (bench/peer/race-scenario.ts) can only come down towards it. Four shapes of the
// same race, each the floor of an engine: `ops` (two yield* levels over op machines, as
// the primitives are written), `numbers` (two levels, each op a plain `yield`), `inline`
// (one generator per role, the fault inlined into it) and `flat` (each role a hand-written
// state machine: a step is a switch case, no generator at all).
//   node bench/peer/generator-floor.mjs [executions]   (after `npm run build`)
import { Alea } from '../../dist/src/rt/alea.js';

const AT_POINT = { value: -1, done: false };
const FINISHED = { value: undefined, done: true };
/** An op as the hot primitives are written (rt/op.ts, OpMachine): the boundary, then the work. */
class Op {
  constructor() {
    this.s = 0;
  }
  next() {
    if (this.s === 0) {
      this.s = 1;
      return AT_POINT;
    }
    return FINISHED;
  }
  [Symbol.iterator]() {
    return this;
  }
}

const mem = new Int32Array(new SharedArrayBuffer(64));
const RUNNING = 8;

function* fault(v) {
  yield* new Op(); // the cache mutex
  for (let n = Atomics.load(mem, v); n < 4; n++) {
    yield* new Op(); // one object of the topup
    Atomics.store(mem, v, n + 1);
  }
  yield* new Op(); // mmu_lock
  yield* new Op(); // the allocation
  Atomics.sub(mem, v, 1);
  yield* new Op(); // unlock mmu_lock
  yield* new Op(); // unlock the cache mutex
}

function* vcpu(v) {
  for (let k = 0; k < 20; k++) yield* fault(v);
  Atomics.sub(mem, RUNNING, 1);
}

function* shrinker() {
  while (Atomics.load(mem, RUNNING) > 0) {
    for (let v = 0; v < 2; v++) {
      yield* new Op(); // trylock
      yield* new Op(); // empty the cache
      Atomics.store(mem, v, 0);
      yield* new Op(); // unlock
    }
  }
}

/** The same race with each op a plain `yield` (no op machine): two levels, fault under vcpu. */
function* faultYield(v) {
  yield -1;
  for (let n = Atomics.load(mem, v); n < 4; n++) {
    yield -1;
    Atomics.store(mem, v, n + 1);
  }
  yield -1;
  yield -1;
  Atomics.sub(mem, v, 1);
  yield -1;
  yield -1;
}
function* vcpuYield(v) {
  for (let k = 0; k < 20; k++) yield* faultYield(v);
  Atomics.sub(mem, RUNNING, 1);
}
/** One generator per role: the fault inlined into the vCPU's loop. */
function* vcpuInline(v) {
  for (let k = 0; k < 20; k++) {
    yield -1;
    for (let n = Atomics.load(mem, v); n < 4; n++) {
      yield -1;
      Atomics.store(mem, v, n + 1);
    }
    yield -1;
    yield -1;
    Atomics.sub(mem, v, 1);
    yield -1;
    yield -1;
  }
  Atomics.sub(mem, RUNNING, 1);
}
function* shrinkerYield() {
  while (Atomics.load(mem, RUNNING) > 0) {
    for (let v = 0; v < 2; v++) {
      yield -1;
      yield -1;
      Atomics.store(mem, v, 0);
      yield -1;
    }
  }
}
const STEP = { value: -1, done: false };
const END = { value: undefined, done: true };
/** The vCPU as a hand-written state machine: next() runs to its next op boundary. */
class VcpuMachine {
  constructor(v) {
    this.v = v;
    this.k = 0;
    this.n = 0;
    this.s = 0;
  }
  next() {
    const v = this.v;
    for (;;) {
      switch (this.s) {
        case 0:
          if (this.k >= 20) {
            Atomics.sub(mem, RUNNING, 1);
            return END;
          }
          this.s = 1;
          return STEP;
        case 1:
          this.n = Atomics.load(mem, v);
          this.s = 2;
          continue;
        case 2:
          this.s = this.n < 4 ? 3 : 4;
          return STEP;
        case 3:
          Atomics.store(mem, v, this.n + 1);
          this.n++;
          this.s = 2;
          continue;
        case 4:
          this.s = 5;
          return STEP;
        case 5:
          Atomics.sub(mem, v, 1);
          this.s = 6;
          return STEP;
        case 6:
          this.s = 7;
          return STEP;
        default:
          this.k++;
          this.s = 0;
      }
    }
  }
}
class ShrinkerMachine {
  constructor() {
    this.s = 0;
    this.v = 0;
  }
  next() {
    for (;;) {
      switch (this.s) {
        case 0:
          if (!(Atomics.load(mem, RUNNING) > 0)) return END;
          this.v = 0;
          this.s = 1;
          continue;
        case 1:
          if (this.v >= 2) {
            this.s = 0;
            continue;
          }
          this.s = 2;
          return STEP;
        case 2:
          this.s = 3;
          return STEP;
        case 3:
          Atomics.store(mem, this.v, 0);
          this.s = 4;
          return STEP;
        default:
          this.v++;
          this.s = 1;
      }
    }
  }
}

const SHAPES = {
  ops: () => [vcpu(0), vcpu(1), shrinker()],
  numbers: () => [vcpuYield(0), vcpuYield(1), shrinkerYield()],
  inline: () => [vcpuInline(0), vcpuInline(1), shrinkerYield()],
  flat: () => [new VcpuMachine(0), new VcpuMachine(1), new ShrinkerMachine()],
};

const executions = Number(process.argv[2] ?? 20_000);
for (const [shape, make] of Object.entries(SHAPES))
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  let steps = 0;
  for (let e = 0; e < executions; e++) {
    mem.fill(0);
    mem[RUNNING] = 2;
    const rng = new Alea(`${e + 1}:schedule`);
    const tasks = make();
    const live = [0, 1, 2];
    while (live.length > 0) {
      const c = live.length > 1 ? Math.floor(rng.next() * live.length) : 0;
      const r = tasks[live[c]].next();
      steps++;
      if (r.done) live.splice(c, 1);
    }
  }
  const ms = performance.now() - t0;
  console.log(`${shape}, round ${round + 1}: ${executions} executions, ${Math.round(steps / executions)} steps each: ${((1000 * ms) / executions).toFixed(1)} us per execution, ${((1e6 * ms) / steps).toFixed(0)} ns per step`);
}
