/** Every benchmark, as the Markdown tables BENCHMARKS.md shows. `npm run bench` */
import { benchMemory } from './memory.js';
import { benchPool } from './pool.js';
import { benchSim } from './sim.js';
import { benchStrategies, readCells, STRATEGIES, strategySummary, strategyTable } from './strategies.js';
import { benchThreads } from './threads.js';
import { benchVcpus } from './vcpus.js';
import { benchLitmus, benchWeak } from './weak.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

console.log('## sim\n');
console.log((await benchSim(5)).join('\n'));
console.log('\n## sc against weak memory\n');
console.log((await benchWeak(5)).join('\n'));
console.log(benchLitmus(join(import.meta.dirname, '..', 'test', 'litmus')).join('\n'));
console.log('\n## strategies, every bug variant, at the defaults and at realistic rates\n');
const cells = join(tmpdir(), `mmu-stress-bench-strategies-${process.pid}.jsonl`);
await benchStrategies({ out: cells, cap: 2000, strategies: Object.keys(STRATEGIES), settings: ['defaults', 'realistic'] });
console.log([...strategySummary(readCells(cells)), '', ...strategyTable(readCells(cells))].join('\n'));
console.log('\n## threads\n');
console.log((await benchThreads(5)).join('\n'));
console.log('\n## threads by vCPU count\n');
console.log((await benchVcpus(5)).join('\n'));
console.log('\n## pool reuse\n');
console.log((await benchPool(500)).join('\n'));
console.log('\n## peak memory\n');
console.log(benchMemory(false).join('\n'));
