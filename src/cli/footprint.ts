/** `mmu-stress footprint`: what the shadow MMU's pte_list_desc caches and rmaps cost (the thread "KVM: x86/mmu: Shrink pte_list_desc size when KVM is using TDP", Peter Xu, 12 Jul 2022; docs/sources.md). */
import { footprint } from '../arch/x86/kvm/mmu/footprint.js';
import { type CommandSpec, commandHelp, has, parseCommand, str, wholeNumber } from './args.js';
import type { CommandOutput } from './command.js';

/** KVM_MAX_VCPUS on x86. */
const MAX_VCPUS = 4096;

export const FOOTPRINT_SPEC: CommandSpec = {
  name: 'footprint',
  summary:
    'Compute, from the model\'s structures, the memory the shadow MMU\'s reverse maps cost: each vCPU\'s mmu_pte_list_desc_cache at capacity with 14 entries per descriptor (mainline) and with 2 (the 2022 TDP patch), the slab pages N vCPUs\' descriptors occupy, and the rmap arrays as a share of guest memory.',
  positionals: [],
  flags: {
    vcpus: { value: 'N', help: `vCPUs whose caches share the slab (1..${MAX_VCPUS}, default 4)` },
    json: { help: 'print one JSON document on stdout and nothing else there' },
    help: { help: 'show this help' },
  },
};

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes % 1024 ? 2 : 0)} KiB`;

export function footprintCommand(argv: string[]): CommandOutput {
  const a = parseCommand(FOOTPRINT_SPEC, argv);
  if (has(a, 'help')) return { code: 0, stdout: commandHelp(FOOTPRINT_SPEC), help: true };
  const f = footprint(wholeNumber('vcpus', str(a, 'vcpus') ?? '4', 1, MAX_VCPUS));
  if (has(a, 'json')) return { code: 0, stdout: JSON.stringify({ exitCode: 0, ...f }, null, 2) };
  const head = ['PTE_LIST_EXT', 'sizeof(pte_list_desc)', 'cache per vCPU', 'objects per slab page', `slab pages, ${f.vcpus} vCPUs`, 'slab memory'];
  const cells = f.descs.map((d) => [String(d.entries), `${d.descBytes} B`, `${d.cacheBytesPerVcpu} B`, String(d.objectsPerSlabPage), String(d.slabPages), kib(d.slabBytes)]);
  const widths = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k].length)));
  const line = (c: string[]) => c.map((x, k) => x.padEnd(widths[k])).join('  ').trimEnd();
  const [mainline, tdp] = f.descs;
  return {
    code: 0,
    stdout: [
      `mmu_pte_list_desc_cache at capacity (${f.cacheCapacity} objects per vCPU), slab pages of ${f.slabPageBytes} bytes:`,
      '',
      line(head),
      line(widths.map((w) => '-'.repeat(w))),
      ...cells.map(line),
      '',
      `${f.vcpus} vCPU${f.vcpus === 1 ? '' : 's'}: with ${mainline.entries} entries the caches hold ${kib(f.vcpus * mainline.cacheBytesPerVcpu)} in ${mainline.slabPages} slab pages, ` +
        `with ${tdp.entries} ${kib(f.vcpus * tdp.cacheBytesPerVcpu)} in ${tdp.slabPages}: the slab saves ${kib(mainline.slabBytes - tdp.slabBytes)} ` +
        `(${mainline.slabPages - tdp.slabPages} page${mainline.slabPages - tdp.slabPages === 1 ? '' : 's'}); the object sizes alone suggest ${kib(f.vcpus * (mainline.cacheBytesPerVcpu - tdp.cacheBytesPerVcpu))}.`,
      `rmaps, per VM: ${f.rmapBytesPerGiB} bytes of kvm_rmap_head per GiB of guest memory (the 4 KiB, 2 MiB and 1 GiB arrays of each memslot), ` +
        `${(100 * f.rmapShare).toFixed(3)} % of it; allocated only once the shadow MMU is used (lazy rmaps, "KVM: x86/mmu: Lazily allocate memslot rmaps", 2021).`,
    ].join('\n'),
  };
}
