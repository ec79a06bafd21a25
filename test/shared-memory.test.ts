/**
 * One seam for shared memory (rt/shared.ts): the model and sync reach shared words
 * through the memory the executor installed, never by patching the global Atomics, and
 * sync and the model know no executor. A role and a check() see the original Atomics
 * functions under every memory sim runs (weak, dfs's footprints, both); the weak model
 * and the footprints still see the accesses (a stale read is reached, sleep sets prune).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simExecution } from '../src/exec/sim.js';
import { DfsStrategy } from '../src/exec/strategies/dfs.js';
import { RandomStrategy } from '../src/exec/strategies/random.js';
import { POINT } from '../src/rt/op.js';
import { shared } from '../src/rt/shared.js';
import type { ScenarioDef } from '../src/scenario.js';
import type { Arena } from '../src/shm/arena.js';
import { readOnce, spinLock, Spinlock, spinUnlock, writeOnce } from '../src/sync/index.js';

/** Every property of Atomics as it was before any execution ran. */
const ORIGINAL = new Map<string, unknown>(Object.getOwnPropertyNames(Atomics).map((k) => [k, (Atomics as unknown as Record<string, unknown>)[k]]));

function atomicsUntouched(): boolean {
  const now = Object.getOwnPropertyNames(Atomics);
  return now.length === ORIGINAL.size && now.every((k) => (Atomics as unknown as Record<string, unknown>)[k] === ORIGINAL.get(k));
}

type W = { i32: Int32Array; data: number; flag: number; other: number; out: number; lock: Spinlock };

/**
 * p0 publishes data then a flag with WRITE_ONCE; p1 reads them back with READ_ONCE (a
 * stale data under weak memory) and records what it saw with unmarked accesses under a
 * spinlock; p2 touches only its own word (sleep sets skip its reorderings). Every step,
 * setup() and check() note whether Atomics is still the original object's own.
 */
function seamScenario(): { def: ScenarioDef<W>; untouched: boolean[]; finals: number[] } {
  const untouched: boolean[] = [];
  const finals: number[] = [];
  const def = {
    name: 'seam',
    description: '',
    params: {},
    paramHelp: {},
    variants: { v: { expect: 'ok', source: '', summary: '' } },
    setup(arena: Arena): W {
      untouched.push(atomicsUntouched());
      const w = { i32: arena.i32, data: arena.region('data', 1), flag: arena.region('flag', 1), other: arena.region('other', 1), out: arena.region('out', 1) };
      return { ...w, lock: new Spinlock(arena, 'seam_lock') };
    },
    roles: {
      p0: {
        count: () => 1,
        *run(w: W) {
          yield* writeOnce(w.i32, w.data, 1);
          untouched.push(atomicsUntouched());
          yield* writeOnce(w.i32, w.flag, 1);
          untouched.push(atomicsUntouched());
        },
      },
      p1: {
        count: () => 1,
        *run(w: W) {
          const r0 = yield* readOnce(w.i32, w.flag);
          untouched.push(atomicsUntouched());
          const r1 = yield* readOnce(w.i32, w.data);
          untouched.push(atomicsUntouched());
          yield* spinLock(w.lock);
          shared.store(w.i32, w.out, 10 + r0 * 2 + r1);
          untouched.push(atomicsUntouched());
          yield* spinUnlock(w.lock);
        },
      },
      p2: {
        count: () => 1,
        *run(w: W) {
          yield POINT;
          shared.add(w.i32, w.other, 1);
          untouched.push(atomicsUntouched());
        },
      },
    },
    check(w: W) {
      untouched.push(atomicsUntouched());
      finals.push(shared.load(w.i32, w.out));
      return null;
    },
  } as unknown as ScenarioDef<W>;
  return { def, untouched, finals };
}

/** r0 = 1 (the flag seen), r1 = 0 (the data before it): only weak memory gives it. */
const STALE = 10 + 2;

function dfsRun(memory: 'sc' | 'weak', reduction: 'sleep' | 'none') {
  const s = seamScenario();
  const d = new DfsStrategy(2, reduction);
  do {
    const r = simExecution(s.def, {}, 'v', 1, d, { memory });
    d.finished(r.pruned === true);
  } while (d.advance());
  return { ...s, summary: d.summary() };
}

describe('one seam for shared memory', () => {
  it('dfs notes footprints without patching Atomics: sleep sets still skip reorderings, and roles and check() see the original Atomics', () => {
    const r = dfsRun('sc', 'sleep');
    expect(r.summary.exhausted).toBe(true);
    expect(r.summary.slept + r.summary.pruned).toBeGreaterThan(0);
    expect(r.untouched.length).toBeGreaterThan(8);
    expect(r.untouched.every(Boolean)).toBe(true);
    expect(atomicsUntouched()).toBe(true);
    // and the reduced search reaches what the full one does
    expect([...new Set(r.finals)].sort()).toEqual([...new Set(dfsRun('sc', 'none').finals)].sort());
  });

  it('--memory weak without patching Atomics: the stale read is still reached, and roles and check() see the original Atomics', () => {
    const r = dfsRun('weak', 'none');
    expect(r.finals).toContain(STALE);
    expect(r.untouched.every(Boolean)).toBe(true);
    const sc = dfsRun('sc', 'none');
    expect(sc.finals).not.toContain(STALE);
    const random = seamScenario();
    for (let seed = 1; seed <= 40; seed++) simExecution(random.def, {}, 'v', seed, new RandomStrategy(), { memory: 'weak' });
    expect(random.untouched.every(Boolean)).toBe(true);
    expect(atomicsUntouched()).toBe(true);
  });
});

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The files `file` imports (type imports too: a type names what it knows), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*'([^']+)'|import\s*\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s*'([^']+)'/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every source file `file` reaches through its imports, itself included. */
function reach(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const f of importsOf(file)) reach(f, seen);
  return seen;
}

/** Source with its comments taken out (what the code does, not what it says). */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const MODEL = ['sync', 'virt', 'arch', 'mm', 'kernel', 'check', 'shm'].flatMap((d) => tsFiles(join(SRC, d)));

describe('what the model and sync know', () => {
  it('sync reaches nothing but its own files, the runtime and the arena layout', () => {
    const outside = new Set<string>();
    for (const f of tsFiles(join(SRC, 'sync'))) for (const g of reach(f)) outside.add(relative(SRC, g));
    const foreign = [...outside].filter((g) => !g.startsWith('sync/') && !g.startsWith('rt/') && g !== 'shm/arena.ts');
    expect(foreign).toEqual([]);
  });

  it('no model or sync file reaches an executor: src/exec, or the sim executor\'s weak view wherever it lives', () => {
    const known: string[] = [];
    for (const f of MODEL) {
      for (const g of reach(f)) {
        const r = relative(SRC, g);
        if (r.startsWith('exec/') || r.endsWith('sim-weak.ts')) known.push(`${relative(SRC, f)} -> ${r}`);
      }
    }
    expect(known).toEqual([]);
  });

  it('the model and sync reach shared words only through the seam, and no file patches Atomics', () => {
    expect(MODEL.length).toBeGreaterThan(30);
    const direct = MODEL.filter((f) => /\bAtomics\.\w+\s*\(/.test(code(f))).map((f) => relative(SRC, f));
    expect(direct).toEqual([]);
    const patching = tsFiles(SRC).filter((f) => /Object\.assign\(\s*Atomics\b|\bAtomics\.\w+\s*=[^=]|\bAtomics\s+as\s/.test(code(f)));
    expect(patching.map((f) => relative(SRC, f))).toEqual([]);
  });
});
