/**
 * `mmu-stress footprint`: the figures the thread "KVM: x86/mmu: Shrink pte_list_desc size when
 * KVM is using TDP" (Peter Xu, 12 Jul 2022; docs/sources.md) argues about, computed from the model's
 * structures, checked against the kernel's (docs/kernel-facts.md, "pte_list_desc"): 128 -> 32 bytes per
 * descriptor, 5120 -> 1280 bytes per vCPU, and what whole slab pages make of it.
 */
import { describe, expect, it } from 'vitest';
import { footprint } from '../src/arch/x86/kvm/mmu/footprint.js';
import { cli, expectBadInput } from './cli-helpers.js';

describe('footprint', () => {
  it('descriptor and per-vCPU cache sizes for 14 and for 2 entries', () => {
    const [mainline, tdp] = footprint(4).descs;
    expect(mainline).toMatchObject({ entries: 14, descBytes: 128, cacheBytesPerVcpu: 5120, objectsPerSlabPage: 32 });
    expect(tdp).toMatchObject({ entries: 2, descBytes: 32, cacheBytesPerVcpu: 1280, objectsPerSlabPage: 128 });
  });

  it('slab pages: N vCPUs share pages, so one vCPU pays whole pages for either size (Peter Xu\'s point)', () => {
    const one = footprint(1).descs;
    expect(one.map((d) => d.slabPages)).toEqual([2, 1]); // 40 x 128 B = 5 KiB -> 2 pages; 40 x 32 B -> 1 page
    const many = footprint(64).descs;
    expect(many.map((d) => d.slabPages)).toEqual([80, 20]); // 2560 objects: 32 and 128 per page
    expect(many[0].slabBytes / many[1].slabBytes).toBe(4); // the object-size ratio only shows at scale
  });

  it('rmap arrays: one 8-byte head per 4 KiB, 2 MiB and 1 GiB page of guest memory', () => {
    const f = footprint(1);
    expect(f.rmapBytesPerGiB).toBe(8 * (262144 + 512 + 1));
    expect(f.rmapShare).toBeCloseTo(0.00196, 5);
  });

  it('the command: --json gives the same figures; bad input is one line and exit 2', () => {
    const r = cli(['footprint', '--vcpus', '4', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ exitCode: 0, vcpus: 4, descs: footprint(4).descs, rmapBytesPerGiB: footprint(4).rmapBytesPerGiB });
    const text = cli(['footprint']);
    expect(text.out).toMatch(/^14\s+128 B\s+5120 B\s+32\s+5\s+20 KiB$/m);
    expect(text.out).toMatch(/^2\s+32 B\s+1280 B\s+128\s+2\s+8 KiB$/m);
    expectBadInput(cli(['footprint', '--vcpus', '0']), /--vcpus must be a whole number from 1 to 4096, not '0'/);
    expectBadInput(cli(['footprint', 'extra']), /unexpected argument 'extra' for 'footprint'/);
  });
});
