/**
 * The parameters of a modeled x86 host, shared by the scenarios that fault through
 * the x86 MMU: their defaults, help lines, bounds and the KvmConfig they make. A
 * scenario overrides the defaults it needs (`{ ...HOST_PARAMS, nestedPercent: 50 }`).
 */
import type { Params } from '../../../scenario.js';
import { KVM_MIN_ALLOC_MMU_PAGES } from './mmu/constants.js';
import type { KvmConfig } from './kvm-host.js';
import { VENDOR_NAMES } from './kvm-host.js';

/** Upper bounds of the parameters, checked before a run (exit 2 beyond them). */
const MAX_VMS = 8;
const MAX_VCPUS = 24;
const MAX_FAULTS = 10_000_000;
const MAX_GUEST_MEM_MIB = 4 * 1024 * 1024;
const MAX_MMU_PAGES = 1_000_000;

export const HOST_PARAMS: Params = {
  vms: 1,
  vcpus: 2,
  faults: 100,
  levels: 4,
  guestMemMiB: 4096,
  tdpEnabled: 1,
  tdpMmu: 1,
  vendor: 0,
  nestedPercent: 20,
  nMaxMmuPages: 64,
};

export const HOST_PARAM_HELP: Record<string, string> = {
  vms: `VMs on vm_list (1..${MAX_VMS})`,
  vcpus: `vCPUs per VM (at most ${MAX_VCPUS} in all)`,
  faults: `faults each vCPU takes (1..${MAX_FAULTS})`,
  levels: 'paging levels, 4 or 5',
  guestMemMiB: `guest memory per VM; faults pick gfns below it (1..${MAX_GUEST_MEM_MIB})`,
  tdpEnabled: 'tdp_enabled: 1, L1 faults go to kvm_tdp_page_fault; 0, L1 runs on shadow paging (paging64_page_fault)',
  tdpMmu: 'the kvm.tdp_mmu module parameter: 1, kvm_tdp_page_fault uses the TDP MMU (read_lock); 0, direct_page_fault (write_lock)',
  vendor: 'intel or amd: a nested guest faults through ept_page_fault (nested EPT) or paging64_page_fault (nested NPT)',
  nestedPercent: 'percent of faults taken by a nested (L2) guest: shadow paging over indirect pages (0..100)',
  nMaxMmuPages: `n_max_mmu_pages per VM, for the shadow MMU (${KVM_MIN_ALLOC_MMU_PAGES}..${MAX_MMU_PAGES})`,
};

export const HOST_PARAM_NAMES = { vendor: VENDOR_NAMES };

/** A reason when a host parameter is out of range, else null. */
export function validateHostParams(p: Params): string | null {
  if (p.levels !== 4 && p.levels !== 5) return `levels must be 4 or 5, not ${p.levels}`;
  for (const k of ['tdpEnabled', 'tdpMmu']) if (p[k] !== 0 && p[k] !== 1) return `${k} must be 0 or 1, not ${p[k]}`;
  if (!(p.nestedPercent >= 0 && p.nestedPercent <= 100)) return `nestedPercent must be 0..100, not ${p.nestedPercent}`;
  for (const k of ['vms', 'vcpus', 'faults', 'guestMemMiB', 'nMaxMmuPages']) {
    if (!Number.isInteger(p[k]) || p[k] < 1) return `${k} must be a whole number >= 1, not ${p[k]}`;
  }
  if (p.vms > MAX_VMS) return `vms must be at most ${MAX_VMS}, not ${p.vms}`;
  if (p.vms * p.vcpus > MAX_VCPUS) return `at most ${MAX_VCPUS} vCPUs in all (vms x vcpus), not ${p.vms * p.vcpus}`;
  if (p.faults > MAX_FAULTS) return `faults must be at most ${MAX_FAULTS} per vCPU, not ${p.faults}`;
  if (p.guestMemMiB > MAX_GUEST_MEM_MIB) return `guestMemMiB must be at most ${MAX_GUEST_MEM_MIB} (4 TiB), not ${p.guestMemMiB}`;
  if (p.nMaxMmuPages < KVM_MIN_ALLOC_MMU_PAGES) return `nMaxMmuPages must be at least ${KVM_MIN_ALLOC_MMU_PAGES} (KVM_MIN_ALLOC_MMU_PAGES), not ${p.nMaxMmuPages}`;
  if (p.nMaxMmuPages > MAX_MMU_PAGES) return `nMaxMmuPages must be at most ${MAX_MMU_PAGES}, not ${p.nMaxMmuPages}`;
  return null;
}

export function hostConfig(p: Params): KvmConfig {
  return {
    vms: p.vms,
    vcpus: p.vcpus,
    levels: p.levels,
    guestMemMiB: p.guestMemMiB,
    tdpEnabled: p.tdpEnabled,
    tdpMmu: p.tdpMmu,
    vendor: p.vendor,
    nestedPercent: p.nestedPercent,
    nMaxMmuPages: p.nMaxMmuPages,
    faults: p.faults,
  };
}
