// Loaded with `node --import ./bench/report-rss.mjs bin/mmu-stress.mjs ...`: prints the
// process's peak resident memory at exit. Worker threads are threads of this process,
// so their memory is in the figure (and they do not inherit this --import).
// VmHWM, not process.resourceUsage().maxRSS: Linux carries ru_maxrss across fork and
// exec, so a child spawned by a large parent (the bench itself) would report the
// parent's size; VmHWM belongs to this process's own address space.
import { readFileSync } from 'node:fs';

process.on('exit', () => {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  process.stderr.write(`peak-rss-kib ${hwm ?? process.resourceUsage().maxRSS}\n`);
});
