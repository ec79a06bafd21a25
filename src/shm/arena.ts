/**
 * One SharedArrayBuffer arena for a whole execution.
 *
 * The model lays out its structures with `region(name, words)`, a bump allocator
 * over Int32 words. Layout is deterministic: the same scenario, params and variant
 * always ask for the same regions in the same order. The main thread builds the
 * arena fresh (`Arena.create`) and initialises it; each worker rebuilds the very same
 * views from the plain-JSON `layout` (`Arena.attach`), and every region it asks for is
 * checked against that layout so a worker can never silently read the wrong words.
 */

/**
 * Why a region's size is refused, or null: the arena counts whole Int32 words, and a
 * fraction or a negative size would lay out a buffer no Int32Array fits (a RangeError far
 * from its cause). Here, not in rt/: the arena stands below the runtime and imports none of it.
 */
export function regionSizeProblem(name: string, words: unknown): string | null {
  if (typeof words === 'number' && Number.isInteger(words) && words >= 0) return null;
  const shown = typeof words === 'string' ? `'${words}' (a string)` : typeof words === 'object' && words !== null ? 'an object' : String(words);
  return `arena.region('${name}', ${shown}): a region's size must be a whole number of words >= 0, got ${shown}`;
}

export interface RegionInfo {
  name: string;
  offset: number; // in Int32 words
  words: number;
}

export interface Layout {
  words: number;
  regions: RegionInfo[];
}

/** Names the model registers while laying out, so traces and reports can be decoded. */
export interface NameTable {
  locks: { name: string; cls: string; kind: string; word: number }[];
  caches: string[];
  tasks: string[];
  /** Kernel names of single words that ordered accesses touch ("kvm->arch.shadow_root_allocated"), by offset. */
  words?: Record<number, string>;
  /** The regions laid out so far (the arena's own list): a word no name covers is named by its region. */
  regions?: readonly RegionInfo[];
}

/** What a trace or report calls word `w`: its name, else its region's (`name`, or `name[k]` in a region of several words), else `word w`. */
export function nameOfWord(n: NameTable, w: number): string {
  const named = n.words?.[w];
  if (named !== undefined) return named;
  const regions = n.regions ?? [];
  // regions are laid out in order: the last one starting at or before w holds it
  let lo = 0;
  let hi = regions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (regions[mid].offset <= w) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = regions[hi];
  if (r === undefined || w >= r.offset + r.words) return `word ${w}`;
  return r.words === 1 ? r.name : `${r.name}[${w - r.offset}]`;
}

export class LayoutMismatch extends Error {}

export class Arena {
  readonly i32: Int32Array;
  readonly names: NameTable = { locks: [], caches: [], tasks: [] };
  private next = 0;
  private readonly recorded: RegionInfo[] = [];

  private constructor(
    readonly buffer: SharedArrayBuffer | ArrayBuffer,
    /** true where this arena is new and the builder must write initial values */
    readonly init: boolean,
    private readonly expected: Layout | null,
  ) {
    this.i32 = new Int32Array(buffer);
    this.names.regions = this.recorded;
  }

  /** A throwaway arena used once to learn the size a layout needs. */
  static measure(): Arena {
    return new Arena(new ArrayBuffer(0), false, null);
  }

  static create(words: number): Arena {
    return new Arena(new SharedArrayBuffer(words * 4), true, null);
  }

  /**
   * A fresh arena in a buffer an earlier execution used: zeroed, as a new one is. Zeroed
   * eight bytes at a time: filling a typed array over a SharedArrayBuffer stores element
   * by element, and a model's page pool makes the arena a megabyte or more.
   */
  static reuse(buffer: SharedArrayBuffer): Arena {
    const a = new Arena(buffer, true, null);
    const longs = buffer.byteLength >>> 3;
    new BigInt64Array(buffer, 0, longs).fill(0n);
    a.i32.fill(0, longs * 2);
    return a;
  }

  static attach(buffer: SharedArrayBuffer, layout: Layout): Arena {
    if (buffer.byteLength < layout.words * 4) {
      throw new LayoutMismatch(`buffer of ${buffer.byteLength} bytes is smaller than layout (${layout.words} words)`);
    }
    return new Arena(buffer, false, layout);
  }

  /** Reserve `words` Int32 words; returns their offset in `i32`. */
  region(name: string, words: number): number {
    const bad = regionSizeProblem(name, words);
    if (bad) throw new RangeError(bad);
    const offset = this.next;
    if (this.expected) {
      const want = this.expected.regions[this.recorded.length];
      if (!want || want.name !== name || want.words !== words || want.offset !== offset) {
        throw new LayoutMismatch(
          `layout mismatch at region #${this.recorded.length}: got ${name}/${words}@${offset}, ` +
            `expected ${want ? `${want.name}/${want.words}@${want.offset}` : 'end of layout'}`,
        );
      }
    }
    this.recorded.push({ name, offset, words });
    this.next += words;
    return offset;
  }

  /** Words reserved so far: the offset the next region will get. */
  get used(): number {
    return this.next;
  }

  /** Register a lock for decoding; returns its id. */
  addLock(name: string, cls: string, kind: string, word: number): number {
    this.names.locks.push({ name, cls, kind, word });
    return this.names.locks.length - 1;
  }

  /** Name one word for traces of the ordered accesses to it. */
  nameWord(word: number, name: string): void {
    this.names.words ??= {};
    this.names.words[word] = name;
  }

  addCache(name: string): number {
    this.names.caches.push(name);
    return this.names.caches.length - 1;
  }

  layout(): Layout {
    return { words: this.next, regions: this.recorded.slice() };
  }
}
