/** Every benchmark, as the Markdown tables BENCHMARKS.md shows. `npm run bench` */
import { benchPool } from './pool.js';
import { benchSim } from './sim.js';
import { benchThreads } from './threads.js';

console.log('## sim\n');
console.log((await benchSim(5)).join('\n'));
console.log('\n## threads\n');
console.log((await benchThreads(5)).join('\n'));
console.log('\n## pool reuse\n');
console.log((await benchPool(500)).join('\n'));
