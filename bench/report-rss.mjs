// Loaded with `node --import ./bench/report-rss.mjs bin/mmu-stress.mjs ...`: prints the
// process's peak resident memory at exit. Worker threads are threads of this process,
// so their memory is in the figure (and they do not inherit this --import).
process.on('exit', () => {
  process.stderr.write(`peak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
