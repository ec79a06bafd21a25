// Module hooks for the command's main thread (registered by bin/mmu-stress.mjs):
//  - a .ts file outside node_modules loads as an ES module whatever its package.json
//    says: scenario files often live in repositories whose package is CommonJS;
//  - a scenario may import this package's sources (../src/...) or its compiled form (the
//    package name, which resolves to dist/): either resolves to the copy the command
//    itself runs (dist/ or the sources), so the scenario and the command share one copy
//    of every module (one `current`, one name table).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let root = '';
let flavor = 'src';

export function initialize(data) {
  root = data.root;
  flavor = data.flavor;
}

/** The file `url` stands for in the running flavour: src/x.ts <-> dist/src/x.js, scenarios/x.ts <-> dist/scenarios/x.js. */
function twin(url) {
  let other = null;
  if (flavor === 'dist' && url.endsWith('.ts')) {
    const rel = url.slice(root.length);
    if (url.startsWith(root) && /^(src|scenarios)\//.test(rel)) other = `${root}dist/${rel.replace(/\.ts$/, '.js')}`;
  } else if (flavor === 'src' && url.endsWith('.js') && url.startsWith(`${root}dist/`)) {
    const rel = url.slice(`${root}dist/`.length);
    if (/^(src|scenarios)\//.test(rel)) other = `${root}${rel.replace(/\.js$/, '.ts')}`;
  }
  return other && existsSync(fileURLToPath(other)) ? other : null;
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (!r.url.startsWith('file:') || r.url.includes('/node_modules/')) return r;
  const t = twin(r.url);
  if (t) return { ...r, url: t, format: 'module' };
  return r.url.endsWith('.ts') ? { ...r, format: 'module' } : r;
}
