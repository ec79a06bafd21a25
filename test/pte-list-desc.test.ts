/**
 * The shadow MMU's rmaps: pte_list_add / pte_list_remove as the kernel has them (a
 * single SPTE in the head, then descriptors, tails kept full), the rmap-inconsistent
 * oracle, and the pte-list-desc scenario's verdicts (every variant's expectation, in
 * sim and on threads, is in variants-sim.test.ts and variants-threads.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { type KvmConfig, KvmWorld } from '../src/arch/x86/kvm/kvm-host.js';
import { DESC_SPTE_COUNT, DESC_TAIL_COUNT } from '../src/arch/x86/kvm/mmu/pte-list-desc.js';
import { checkKvm } from '../src/arch/x86/kvm/accounting.js';
import { RET_PF_FIXED } from '../src/arch/x86/kvm/mmu/constants.js';
import { fnamePageFault, kvmMmuLoad, kvmTdpPageFault } from '../src/arch/x86/kvm/mmu/mmu.js';
import { spteGfn } from '../src/arch/x86/kvm/mmu/mmu-page.js';
import { checkRmaps, gfnToRmap, rmapAdd, rmapEntries, rmapRemove } from '../src/arch/x86/kvm/mmu/rmap.js';
import { run } from '../src/exec/run.js';
import { loadScenario } from '../src/load/scenarios.js';
import { OBJ_FREE } from '../src/shm/pool.js';
import { kvmMmuTopupMemoryCache } from '../src/virt/kvm/memory-cache.js';
import { NO_HOST_RATE, runOp, solo } from './helpers.js';

const CONFIG: KvmConfig = { vms: 1, vcpus: 1, levels: 4, guestMemMiB: 64, tdpEnabled: 1, tdpMmu: 1, vendor: 0, nestedPercent: 50, nMaxMmuPages: 64, faults: 100 };

function world(pteListExt: number) {
  const s = solo((a) => new KvmWorld(a, CONFIG, { cacheLock: 'none', shrinker: 'none', pteListExt }));
  runOp(kvmMmuTopupMemoryCache(s.world.vcpus[0].mmuPteListDescCache, 14));
  return s;
}

const GFN = 0x42;
/** Stand-in SPTE addresses: any distinct arena words will do for the rmap itself. */
const SPTEPS = [101, 102, 103, 104, 105, 106, 107];

describe('pte_list_add / pte_list_remove', () => {
  it('one SPTE sits in the head; two take a descriptor; a full head gets a new head in front, tails stay full', () => {
    const { world: w, violations } = world(2);
    const kvm = w.vms[0];
    const head = () => Atomics.load(w.i32, gfnToRmap(kvm, GFN, false));
    runOp(rmapAdd(w.vcpus[0], SPTEPS[0], GFN));
    expect(head() & 1).toBe(0); // the SPTE itself
    for (const s of SPTEPS.slice(1, 5)) runOp(rmapAdd(w.vcpus[0], s, GFN));
    const r = rmapEntries(w, head());
    expect(r.problem).toBeNull();
    expect(r.sptes.sort()).toEqual(SPTEPS.slice(0, 5));
    expect(r.descs).toHaveLength(3); // 5 entries, 2 per descriptor: head 1, two full tails
    const headDesc = head() >> 1;
    expect(Atomics.load(w.i32, w.pteListDesc.data(headDesc) + DESC_SPTE_COUNT)).toBe(1);
    expect(Atomics.load(w.i32, w.pteListDesc.data(headDesc) + DESC_TAIL_COUNT)).toBe(4);
    expect(violations).toEqual([]);
  });

  it('removing refills the hole from the head; an emptied head descriptor goes back to the slab', () => {
    const { world: w, violations } = world(2);
    const kvm = w.vms[0];
    for (const s of SPTEPS.slice(0, 5)) runOp(rmapAdd(w.vcpus[0], s, GFN));
    const descs = rmapEntries(w, Atomics.load(w.i32, gfnToRmap(kvm, GFN, false))).descs;
    for (const s of [SPTEPS[2], SPTEPS[0], SPTEPS[4], SPTEPS[1]]) {
      rmapRemove(kvm, s, GFN);
      const r = rmapEntries(w, Atomics.load(w.i32, gfnToRmap(kvm, GFN, false)));
      expect(r.problem).toBeNull();
    }
    expect(rmapEntries(w, Atomics.load(w.i32, gfnToRmap(kvm, GFN, false))).sptes).toEqual([SPTEPS[3]]);
    rmapRemove(kvm, SPTEPS[3], GFN);
    expect(Atomics.load(w.i32, gfnToRmap(kvm, GFN, false))).toBe(0);
    for (const d of descs) expect(w.pteListDesc.state(d)).toBe(OBJ_FREE);
    expect(violations).toEqual([]);
  });

  it('removing an SPTE that is not there is KVM_BUG_ON_DATA_CORRUPTION: rmap-inconsistent', () => {
    const { world: w, violations } = world(14);
    runOp(rmapAdd(w.vcpus[0], SPTEPS[0], GFN));
    rmapRemove(w.vms[0], SPTEPS[1], GFN);
    expect(violations.map((v) => [v.kind, v.message])).toEqual([['rmap-inconsistent', 'solo: KVM_BUG_ON_DATA_CORRUPTION in pte_list_remove(): the rmap holds the SPTE at 101, not the one at 102']]);
  });

  it('PTE_LIST_EXT 1: the second SPTE is written past the descriptor, and that is reported where it happens', () => {
    const { world: w, violations } = world(1);
    runOp(rmapAdd(w.vcpus[0], SPTEPS[0], GFN));
    runOp(rmapAdd(w.vcpus[0], SPTEPS[1], GFN));
    expect(violations[0]?.kind).toBe('rmap-inconsistent');
    expect(violations[0]?.message).toBe('solo: pte_list_add() writes sptes[1] of a pte_list_desc that has 1 (PTE_LIST_EXT): past its end');
  });

  it('after an execution: a present SPTE missing from its rmap, or an rmap entry with no SPTE, is rmap-inconsistent', () => {
    const { world: w } = world(14);
    const kvm = w.vms[0];
    runOp(rmapAdd(w.vcpus[0], SPTEPS[0], GFN));
    expect(checkRmaps(w, kvm, new Map([[SPTEPS[0], GFN]]), 0)).toBeNull();
    expect(checkRmaps(w, kvm, new Map([[SPTEPS[0], GFN], [SPTEPS[1], GFN]]), 0)?.message).toBe('the present SPTE at 102 maps gfn 0x42 in vm0 but is in no rmap');
    expect(checkRmaps(w, kvm, new Map(), 0)?.message).toMatch(/^the rmap of gfn 0x42 in vm0 holds the SPTE at 101, which is not a present shadow leaf SPTE/);
    expect(checkRmaps(w, kvm, new Map([[SPTEPS[0], GFN + 1]]), 0)?.message).toMatch(/which maps gfn 0x43$/);
  });
});

describe('the end-of-execution check on a real world (checkKvm)', () => {
  const GFN2 = 0x1234;
  it('a shadow fault leaves page tables and rmaps in agreement; a leaf cleared behind the rmap\'s back is rmap-inconsistent', () => {
    const { world: w, violations } = world(14);
    const vcpu = w.vcpus[0];
    expect(runOp(kvmMmuLoad(vcpu, true))).toBe(RET_PF_FIXED);
    expect(runOp(fnamePageFault(vcpu, GFN2, true))).toBe(RET_PF_FIXED);
    expect(violations).toEqual([]);
    expect(checkKvm(w, 0)).toBeNull();
    const sptep = Atomics.load(w.i32, gfnToRmap(w.vms[0], GFN2, false)) >> 1; // the one SPTE, in the head itself
    expect(spteGfn(w.i32[sptep])).toBe(GFN2);
    w.i32[sptep] = 0; // zapped without rmap_remove
    const v = checkKvm(w, 0);
    expect(v?.kind).toBe('rmap-inconsistent');
    expect(v?.message).toBe(`the rmap of gfn 0x1234 in vm0 holds the SPTE at ${sptep}, which is not a present shadow leaf SPTE (zapped without rmap_remove?)`);
  });

  it('the TDP MMU builds no rmaps: a TDP fault leaves them empty and the check clean', () => {
    const { world: w } = world(14);
    const vcpu = w.vcpus[0];
    expect(runOp(kvmMmuLoad(vcpu, false))).toBe(RET_PF_FIXED);
    expect(runOp(kvmTdpPageFault(vcpu, GFN2))).toBe(RET_PF_FIXED);
    expect(gfnToRmap(w.vms[0], GFN2, false)).toBe(-1);
    expect(checkKvm(w, 0)).toBeNull();
  });
});

describe('pte-list-desc', async () => {
  const sc = await loadScenario('pte-list-desc');
  const simRun = (variant: string, params = sc.def.params, executions = 100) => run({ scenario: sc, variant, params, mode: 'sim', seed: 1, executions, timeMs: null, rare: NO_HOST_RATE });

  it('declares exactly ext14, ext2-tdp and ext1', () => {
    expect(Object.fromEntries(Object.entries(sc.def.variants).map(([k, v]) => [k, v.expect]))).toEqual({ ext14: 'ok', 'ext2-tdp': 'ok', ext1: 'rmap-inconsistent' });
  });

  for (const [variant, ext] of [['ext14', 14], ['ext2-tdp', 2]] as const) {
    it(`${variant} really builds and tears down chains of several descriptors (aliasing puts many SPTEs in one rmap)`, async () => {
      const r = await simRun(variant);
      expect(r.violation).toBeNull();
      expect(r.stats['vcpu.max-rmap-size']).toBeGreaterThan(ext + 1); // a full head got a new head in front of it
      expect(r.stats['vcpu.rmap-descs']).toBeGreaterThan(0);
      expect(r.stats['shrinker.rmap-removes']).toBeGreaterThan(0);
    });
  }

  it('without aliasing an L1 gfn has one SPTE per MMU, so even PTE_LIST_EXT 1 is never tried', async () => {
    const r = await simRun('ext1', { ...sc.def.params, aliases: 1, nestedPercent: 100 });
    expect(r.violation).toBeNull();
    expect(r.stats['vcpu.rmap-descs'] ?? 0).toBe(0);
  });
});
