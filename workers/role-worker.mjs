// Worker-thread bootstrap: Node 20 workers do not load .ts by themselves, so register
// tsx's loader in this thread first, then load the real entry.
import { register } from 'tsx/esm/api';

register();
const { default: runRole } = await import('../src/exec/worker.ts');
export default runRole;
