/**
 * A generator called without yield* never starts, and makes no op the run could count: the
 * scenario file's text is read for such calls, and each is a note with its line before
 * the run (load/unrun-calls.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/api.js';
import { unrunGeneratorCalls } from '../src/load/unrun-calls.js';
import '../src/vitest.js';
import { cli } from './cli-helpers.js';

const PKG = new Set(['kvmMmuEmptyMemoryCache', 'kvmMmuTopupMemoryCache', 'smpBarrier']);
const notes = (src: string) => unrunGeneratorCalls(src, 'my.ts', PKG);

describe('generators called without yield*, read from the scenario text', () => {
  it('names a call of the package\'s generators or the file\'s own function* that stands as a statement, with its line and column', () => {
    const src = [
      "import { kvmMmuEmptyMemoryCache as empty, kvmMmuTopupMemoryCache } from 'mmu-stress/kvm';",
      "import * as kvm from 'mmu-stress/kvm';",
      'function* fault(w) {',
      '  yield* kvmMmuTopupMemoryCache(w.mc, 4);',
      '  empty(w.mc);',
      '  kvm.kvmMmuEmptyMemoryCache(w.mc);',
      '  if (w.x) fault(w); else fault(w);',
      '}',
      'function* role(w) { fault(w); }',
    ].join('\n');
    expect(notes(src)).toEqual([
      'my.ts:5:3: empty() is a generator called without yield*: it does nothing unless run as yield* empty(...)',
      'my.ts:6:3: kvm.kvmMmuEmptyMemoryCache() is a generator called without yield*: it does nothing unless run as yield* kvm.kvmMmuEmptyMemoryCache(...)',
      'my.ts:7:12: fault() is a generator called without yield*: it does nothing unless run as yield* fault(...)',
      'my.ts:7:27: fault() is a generator called without yield*: it does nothing unless run as yield* fault(...)',
      'my.ts:9:21: fault() is a generator called without yield*: it does nothing unless run as yield* fault(...)',
    ]);
  });

  it('reads no call inside a string or a template: text that looks like a statement is text', () => {
    const src = [
      "import { kvmMmuEmptyMemoryCache } from 'mmu-stress/kvm';",
      'function* g(w) { yield* kvmMmuEmptyMemoryCache(w.mc); }',
      "const a = 'x; g(w);';",
      'const b = "{ kvmMmuEmptyMemoryCache(mc); }";',
      'const c = `; g(w);`;',
      'function* role(w) { yield* g(w); }',
    ].join('\n');
    expect(notes(src)).toEqual([]);
  });

  it('leaves alone what runs, hands on or keeps the generator, definitions, methods of the same name, comments, other modules and names not imported', () => {
    const src = [
      "import { kvmMmuEmptyMemoryCache, smpBarrier } from 'mmu-stress/kvm';",
      "import { kvmMmuTopupMemoryCache } from './my-helpers.js';",
      'function* fault(w, a) {',
      '  yield* kvmMmuEmptyMemoryCache(w.mc);',
      '  yield* (a ? fault(w, 0) : kvmMmuEmptyMemoryCache(w.mc));',
      '  yield * smpBarrier(w.i32, "mb");',
      '  // kvmMmuEmptyMemoryCache(w.mc) in a comment',
      '  /* smpBarrier(w.i32, "mb") */',
      '  kvmMmuTopupMemoryCache(w.mc, 4);',
      '}',
      'function later(w) { return fault(w, 1); }',
      'const lazy = (w) => fault(w, 2);',
      // a method of the same name, its definition, and values used otherwise
      'new Int32Array(4).fill(-1); w.arr?.fault(2);',
      'class C { fault(x) { return x; } *fill() {} }',
      'function* fill() {}',
      'for (const i of fill()) {}',
      'const all = [...fill()]; other(fault(w, 3)); const kept = fault(w, 4);',
    ].join('\n');
    expect(notes(src)).toEqual([]);
  });

  it('says how many more past the first five', () => {
    const src = ['function* f() {}', ...Array.from({ length: 7 }, () => 'f();')].join('\n');
    const n = notes(src);
    expect(n).toHaveLength(6);
    expect(n[5]).toBe('(and 2 more such calls in my.ts)');
  });

  it('runScenario and run --json keep the notes, and a failing matcher prints them', async () => {
    const file = join(import.meta.dirname, 'fixtures', 'forgot-yield-generator.ts');
    const r = await runScenario({ scenario: file, executions: 3 });
    expect(r.exitCode).toBe(0);
    expect(r.notes).toEqual([expect.stringMatching(/forgot-yield-generator\.ts:\d+:\d+: fill\(\) is a generator/), expect.stringMatching(/smpBarrier\(\) is a generator/)]);
    const doc = JSON.parse(cli(['run', file, '--executions', '3', '--json']).out);
    expect(doc.notes).toEqual(r.notes);
    let said = '';
    try {
      expect(r).toFind('invariant');
    } catch (e) {
      said = (e as Error).message;
    }
    expect(said).toContain('notes before the run:');
    expect(said).toMatch(/fill\(\) is a generator called without yield\*/);
  }, 60_000);

  it('a campaign over the file prints them once, before its rows', () => {
    const r = cli(['campaign', join(import.meta.dirname, 'fixtures', 'forgot-yield-generator.ts'), '--threads-time', '200ms']);
    expect(r.code).toBe(0);
    expect(r.err.match(/fill\(\) is a generator called without yield\*/g)).toHaveLength(1);
  }, 60_000);

  it('the command prints each as a note before the run, which keeps its verdict', () => {
    const r = cli(['run', join(import.meta.dirname, 'fixtures', 'forgot-yield-generator.ts'), '--executions', '3']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/forgot-yield-generator\.ts:\d+:\d+: fill\(\) is a generator called without yield\*/);
    expect(r.err).toMatch(/forgot-yield-generator\.ts:\d+:\d+: smpBarrier\(\) is a generator called without yield\*/);
  }, 60_000);
});
