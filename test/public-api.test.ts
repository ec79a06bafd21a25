/**
 * The package's public entry points (package.json `exports`): the root and the model's
 * subpaths. Every name a built-in scenario imports from the model is exported by one of
 * them (so each built-in could be written against the installed package alone), no name
 * is exported by two (rmap_add aside), each subpath's declarations and code are built where `exports` and
 * `typesVersions` say, and what the entry points load at run time comes from the
 * package's dependencies and Node, never from its devDependencies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The TypeScript source of each entry point, by subpath: `./kvm/x86` -> src/exports/x86.ts. */
function entrySources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [sub, target] of Object.entries(pkg.exports as Record<string, string | { types: string; default: string }>)) {
    if (typeof target === 'string' || sub === './vitest') continue; // package.json; the matchers are not the model's
    out.set(sub, join(ROOT, target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')));
  }
  return out;
}

const SCENARIOS = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(ROOT, 'scenarios', f));

describe('the public entry points', () => {
  it('root, kvm, kvm/x86, kvm/x86/lazy-rmaps, kvm/arm64 and kernel, each with types and code in dist/ and typesVersions for older resolution', () => {
    expect([...entrySources().keys()]).toEqual(['.', './kvm', './kvm/x86', './kvm/x86/lazy-rmaps', './kvm/arm64', './kernel']);
    for (const [sub, src] of entrySources()) {
      expect(existsSync(src), src).toBe(true);
      const { types, default: code } = pkg.exports[sub];
      // tsc -p tsconfig.build.json writes src/x.ts to dist/src/x.js and dist/src/x.d.ts
      expect(code).toBe(`./dist/${relative(ROOT, src).replace(/\.ts$/, '.js')}`);
      expect(types).toBe(code.replace(/\.js$/, '.d.ts'));
      if (sub !== '.') expect(pkg.typesVersions['*'][sub.slice(2)]).toEqual([types.slice(2)]);
    }
    expect(pkg.types).toBe(pkg.exports['.'].types);
  });

  it('every name a built-in scenario imports from the model or the harness is exported by an entry point, as the same declaration', () => {
    const entries = [...entrySources().values()];
    const program = ts.createProgram([...SCENARIOS, ...entries], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, allowImportingTsExtensions: true, noLib: true, types: [] }); // symbols only: no lib, no @types to parse
    const checker = program.getTypeChecker();
    const original = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
    const exported = new Set<ts.Symbol>();
    for (const file of entries) {
      const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file) as ts.SourceFile) as ts.Symbol;
      for (const s of checker.getExportsOfModule(moduleSymbol)) exported.add(original(s));
    }
    const missing: string[] = [];
    let imports = 0;
    for (const file of SCENARIOS) {
      const source = program.getSourceFile(file) as ts.SourceFile;
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement)) continue;
        const from = (statement.moduleSpecifier as ts.StringLiteral).text;
        const bindings = statement.importClause?.namedBindings;
        if (!from.startsWith('../src/') || !bindings || !ts.isNamedImports(bindings)) continue;
        for (const element of bindings.elements) {
          imports++;
          const s = checker.getSymbolAtLocation(element.name);
          if (!s || !exported.has(original(s))) missing.push(`${relative(ROOT, file)}: ${element.name.text} from ${from}`);
        }
      }
    }
    expect(imports).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  }, 60_000);

  it('no name is exported by two entry points (but rmap_add, modeled for two x86 hosts)', async () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    // rmap_add() of KvmWorld's shadow MMU and of the lazy-rmaps VM's memslot rmap arrays: one kernel function, two models
    const twice = new Set(['rmapAdd: ./kvm/x86 and ./kvm/x86/lazy-rmaps']);
    for (const [sub, src] of entrySources()) {
      const text = readFileSync(src, 'utf8');
      // the names themselves, from the compiled module (values) and the source's `type X` exports (types)
      const names = new Set([...Object.keys(await import(src)), ...[...text.matchAll(/\btype (\w+)/g)].map((m) => m[1])]);
      for (const name of names) {
        const other = owner.get(name);
        if (other && !twice.has(`${name}: ${other} and ${sub}`)) clashes.push(`${name}: ${other} and ${sub}`);
        else owner.set(name, sub);
      }
    }
    expect(owner.size).toBeGreaterThan(200);
    expect(clashes).toEqual([]);
  }, 60_000);

  it('what the entry points load at run time is the dependencies and Node, never a devDependency', async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({ entryPoints: [...entrySources().values()], bundle: true, platform: 'node', format: 'esm', packages: 'external', metafile: true, write: false, outdir: join(ROOT, 'out'), logLevel: 'silent' });
    const packages = new Set<string>();
    for (const input of Object.values(out.metafile.inputs)) {
      for (const i of input.imports) {
        if (!i.external) continue;
        const name = i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0];
        if (!name.startsWith('node:') && !builtinModules.includes(name)) packages.add(name);
      }
    }
    expect(packages.size).toBeGreaterThan(0);
    expect([...packages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  }, 60_000);
});
