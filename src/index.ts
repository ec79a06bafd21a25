/**
 * The API a scenario file is written against: `import { defineScenario, mutexLock } from
 * 'mmu-stress'` where the package is installed, or the same names from a checkout's
 * src/; and runScenario() to run one from a test (with the matchers of 'mmu-stress/vitest').
 * The KVM model has subpaths of its own (src/exports/): 'mmu-stress/kvm', 'mmu-stress/kvm/x86',
 * 'mmu-stress/kvm/x86/lazy-rmaps', 'mmu-stress/kvm/arm64' and 'mmu-stress/kernel'.
 */
export { defineScenario, idleFor, variantParams, wholeNumberIn } from './scenario.js';
export {
  type CampaignConfig,
  type CampaignOptions,
  type CampaignProgress,
  type CampaignResult,
  type RowRecord,
  type RunCampaignOptions,
  type RunCampaignResult,
  runCampaign,
  type RunConfig,
  type RunOptions,
  type RunProgress,
  runScenario,
  type RunScenarioOptions,
  type RunScenarioResult,
  type RunViolation,
} from './api.js';
export type { KnownOrder } from './sync/lockdep-graph.js';
export type { Params, RoleDef, ScenarioDef, VariantDef } from './scenario.js';
export * from './sync/index.js';
export { IDLE, type Op, POINT } from './rt/op.js';
export { rare, type RareEvent } from './rt/rare.js';
export { type Fence, shared, type SharedMemory, type WordName } from './rt/shared.js';
export { current, MODE_MAP, MODE_MUTEX, MODE_READ, MODE_SEM_READ, MODE_SEM_WRITE, MODE_SPIN, MODE_SRCU_READ, MODE_WRITE, type Task } from './rt/task.js';
export type { Arena } from './shm/arena.js';
export { ObjectPool } from './shm/pool.js';
export { mainViolation, VIOLATION_KINDS, type Violation, type ViolationKind } from './rt/violation.js';
export { reportViolation } from './rt/oracle.js';
export { checkConservation, type PoolAccount } from './check/conservation.js';
// what a check of one's own needs to name things in its reports and trace lines
export { registerOps, type OpFormat, type TraceLine } from './rt/trace.js';
export { lockLabel, taskLabel } from './rt/names.js';
export type { NameTable } from './shm/arena.js';
export { OBJ_CACHED, OBJ_FREE, OBJ_IN_USE } from './shm/pool.js';
