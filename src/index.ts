/**
 * The API a scenario file is written against: `import { defineScenario, mutexLock } from
 * 'mmu-stress'` where the package is installed, or the same names from a checkout's
 * src/. The KVM model itself is imported by path from src/virt/kvm/ and src/arch/x86/kvm/,
 * laid out as the kernel tree is.
 */
export { defineScenario } from './scenario.js';
export type { Params, RoleDef, ScenarioDef, VariantDef } from './scenario.js';
export * from './sync/index.js';
export { lockdepAssertHeld } from './sync/lockdep.js';
export { type Op, POINT } from './exec/op.js';
export { current, MODE_MUTEX, MODE_READ, MODE_SPIN, MODE_WRITE, type Task } from './exec/task.js';
export type { Arena } from './shm/arena.js';
export { ObjectPool } from './shm/pool.js';
export { mainViolation, reportViolation, VIOLATION_KINDS, type Violation, type ViolationKind } from './check/violation.js';
export { checkConservation, type PoolAccount } from './check/conservation.js';
