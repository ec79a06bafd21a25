/**
 * Per-task trace rings in the arena. Every entry carries a global sequence number
 * taken with Atomics.add from one counter, so the rings of all threads merge into the
 * order in which the ops really happened (threads) or were scheduled (sim).
 */
import type { Arena, NameTable } from '../shm/arena.js';

export const RING_ENTRIES = 256;
const ENTRY_WORDS = 4; // seq, op, a, b
const RING_WORDS = 1 + RING_ENTRIES * ENTRY_WORDS; // head, entries

export interface TraceLine {
  step: number;
  task: string;
  op: string;
}

/** How one trace op prints, given its two arguments. */
export type OpFormat = (a: number, b: number, names: NameTable) => string;

const formats = new Map<number, OpFormat>();

/** Register how trace op codes print. Codes are fixed constants, so the order of registration does not matter. */
export function registerOps(table: Record<number, OpFormat>): void {
  for (const [code, f] of Object.entries(table)) formats.set(Number(code), f);
}

export class TraceRing {
  constructor(
    private readonly i32: Int32Array,
    private readonly base: number,
    private readonly seqWord: number,
  ) {}

  static layout(arena: Arena, name: string): number {
    return arena.region(`trace:${name}`, RING_WORDS);
  }

  /** Set when one thread runs every task (sim): plain accesses then do what the atomic ones do, for less. */
  private oneThread = false;

  /** Only this thread records into any ring of the execution (sim). */
  recordFromOneThread(): void {
    this.oneThread = true;
  }

  /** Append an op; returns its global sequence number (the "step"). */
  record(op: number, a: number, b: number): number {
    const i32 = this.i32;
    const seq = this.oneThread ? ++i32[this.seqWord] : Atomics.add(i32, this.seqWord, 1) + 1;
    const head = i32[this.base];
    const e = this.base + 1 + (head % RING_ENTRIES) * ENTRY_WORDS;
    i32[e] = seq;
    i32[e + 1] = op;
    i32[e + 2] = a;
    i32[e + 3] = b;
    if (this.oneThread) i32[this.base] = head + 1;
    else Atomics.store(i32, this.base, head + 1);
    return seq;
  }

  /** How many ops this task has recorded so far. */
  count(): number {
    return Atomics.load(this.i32, this.base);
  }

  /** Entries still in the ring, oldest first. */
  entries(): { seq: number; op: number; a: number; b: number }[] {
    const head = Atomics.load(this.i32, this.base);
    const out = [];
    for (let k = Math.max(0, head - RING_ENTRIES); k < head; k++) {
      const e = this.base + 1 + (k % RING_ENTRIES) * ENTRY_WORDS;
      out.push({ seq: this.i32[e], op: this.i32[e + 1], a: this.i32[e + 2], b: this.i32[e + 3] });
    }
    return out;
  }
}

export function formatOp(op: number, a: number, b: number, names: NameTable): string {
  const f = formats.get(op);
  return f ? f(a, b, names) : `op#${op}(${a}, ${b})`;
}

/**
 * The last `perTask` entries of every ring at or before step `upTo`, merged into step
 * order: each task's own tail, so a task that was quiet just before the violation
 * still shows what it last did.
 */
export function mergeTraces(rings: TraceRing[], names: NameTable, upTo: number, perTask: number): TraceLine[] {
  const all: { seq: number; task: number; op: number; a: number; b: number }[] = [];
  rings.forEach((r, task) => {
    const mine = r.entries().filter((e) => e.seq <= upTo);
    for (const e of mine.slice(Math.max(0, mine.length - perTask))) all.push({ ...e, task });
  });
  all.sort((x, y) => x.seq - y.seq);
  return all.map((e) => ({
    step: e.seq,
    task: names.tasks[e.task] ?? `task${e.task}`,
    op: formatOp(e.op, e.a, e.b, names),
  }));
}

/**
 * How many ops of each task a violation's trace shows: up to 16 each, fewer when many
 * tasks share the report (about 160 lines in all), never fewer than 4.
 */
export function traceTailFor(tasks: number): number {
  return Math.max(4, Math.min(16, Math.floor(160 / Math.max(tasks, 1))));
}
