import type { Violation } from '../rt/violation.js';

/**
 * Lockdep's dependency graph: lock classes as nodes, "held A, then took B" as edges, each
 * with the first place it was seen. A new edge that closes a cycle is a possible
 * deadlock (`lock-order-cycle`), whether or not any execution deadlocked.
 *
 * Reads follow lockdep's rules for recursive reads (the v5.10 series of Boqun Feng; see
 * docs/lockdep.md): an edge records how its first lock was held and how its second was
 * taken, each R (a recursive read, which no waiting writer blocks: an SRCU read section,
 * a `recursiveRead` rwlock's read_lock), S (a read that a waiting writer blocks:
 * read_lock on a queued rwlock in process context, a rwsem's down_read, cpus_read_lock)
 * or W (exclusive, and synchronize_srcu). In lockdep-design.rst's terms the held side is
 * E (W) or S (R or S), the taken side R (R) or N (S or W). A cycle deadlocks unless, at
 * some lock of it, the path arrives by an R acquisition and leaves from a shared (R or S)
 * hold: the "strong path" rule of __bfs() (no -(xR)-> followed by -(Sx)->, lock_list's
 * only_xr, 6971c0f34562), since a recursive reader waits for no reader.
 */

/** R: recursive read; S: shared read that a waiting writer blocks; W: exclusive. */
export type DepType = 'R' | 'S' | 'W';

/** Where an edge was first seen: in an execution, or in the documentation (a known order). */
export interface DepPlace {
  task: string;
  role: string;
  /** The model function taking the second lock, when the caller named it. */
  site?: string;
  /** Global step of the acquisition, and of the hold of the first lock. */
  step: number;
  heldStep: number;
  heldSite?: string;
  /** Execution seed. */
  seed: number;
  /** How the two locks were named in that execution, with their modes ("slots_lock (mutex)"). */
  heldLock: string;
  takenLock: string;
}

export interface Dep {
  from: string;
  to: string;
  held: DepType;
  acq: DepType;
  /** The first place it was seen; `doc` instead for a documented order loaded before the run. */
  place?: DepPlace;
  doc?: string;
  /** In a campaign's merged graph: the row it came from ("scenario / variant / mode"). */
  row?: string;
}

/** A documented order: `from` is taken outside `to` (Documentation/virt/kvm/locking.rst and the like). */
export interface KnownOrder {
  from: string;
  to: string;
  held?: DepType;
  acq?: DepType;
  /** The rule, with its source, as the report cites it. */
  doc: string;
}

export class LockGraph {
  /** Edges seen in executions, by their first class. */
  private readonly out = new Map<string, Dep[]>();
  /** Documented orders, by their first class: a rule is broken only by taking its pair the other way round. */
  private readonly known = new Map<string, Dep[]>();
  /** from -> to -> a bit per (held, acq) type pair seen: the per-acquisition check allocates nothing. */
  private readonly seen = new Map<string, Map<string, number>>();
  /** Edges added since the last take(), in order (a worker hands them to the run's graph). */
  private fresh: Dep[] = [];
  /** The seed the run began with, and the seed of the execution in flight. */
  seed: number;
  /** Cycles closed while not reporting (lockdep off): a deadlock report names them. */
  readonly cycles: Dep[][] = [];

  constructor(
    readonly firstSeed: number,
    /** 'report': a closing edge is a violation where it is taken (sim); 'collect': only record (a threads worker). */
    readonly mode: 'report' | 'collect' = 'report',
    /** false (`--lockdep off`): cycles and recursive locking are recorded, never verdicts. */
    readonly reports = true,
  ) {
    this.seed = firstSeed;
  }

  /**
   * Load documented orders as known edges. A rule says "A is taken outside B": taking B
   * then A breaks it at once. It does not say that a path taking A then B runs, so it
   * never joins a longer chain of observed edges.
   */
  know(orders: readonly KnownOrder[]): void {
    for (const o of orders) {
      const d: Dep = { from: o.from, to: o.to, held: o.held ?? 'W', acq: o.acq ?? 'W', doc: o.doc };
      const list = this.known.get(d.from);
      if (list) list.push(d);
      else this.known.set(d.from, [d]);
    }
  }

  /** Is the edge from -> to with these types known already (seen in an execution)? */
  knows(from: string, to: string, held: DepType, acq: DepType): boolean {
    return ((this.seen.get(from)?.get(to) ?? 0) & typeBit(held, acq)) !== 0;
  }

  /**
   * Add `d` unless an edge of the same classes and types is known. Returns the cycle it
   * closes (its edges in order, `d` first), or null.
   */
  add(d: Dep): Dep[] | null {
    if (this.knows(d.from, d.to, d.held, d.acq)) return null;
    // a collecting graph (a threads worker) only hands its edges on: the run's graph judges them
    const cycle = this.mode === 'collect' ? null : (this.brokenRule(d) ?? this.pathBack(d));
    const list = this.out.get(d.from);
    if (list) list.push(d);
    else this.out.set(d.from, [d]);
    const to = this.seen.get(d.from) ?? new Map<string, number>();
    this.seen.set(d.from, to);
    to.set(d.to, (to.get(d.to) ?? 0) | typeBit(d.held, d.acq));
    if (this.mode === 'collect') this.fresh.push(d);
    if (!cycle) return null;
    if (!this.reports) this.cycles.push([d, ...cycle]);
    return [d, ...cycle];
  }

  /** The edges added since the last call. */
  take(): Dep[] {
    const f = this.fresh;
    this.fresh = [];
    return f;
  }

  /** Every edge seen in executions. */
  all(): Dep[] {
    return [...this.out.values()].flat();
  }

  /** A documented order that `d` takes the other way round (and that deadlocks with it), as a one-edge chain back. */
  private brokenRule(d: Dep): Dep[] | null {
    for (const k of this.known.get(d.to) ?? []) {
      if (k.to !== d.from) continue;
      // at d.to: arrived by d's acquisition, leaves from the rule's hold; at d.from: arrived by the rule's, leaves from d's hold
      if (notStrong(d.acq, k.held) || notStrong(k.acq, d.held)) continue;
      return [k];
    }
    return null;
  }

  /**
   * The shortest chain of known edges from d.to back to d.from that deadlocks with d: at
   * no lock may the path arrive by an R acquisition and leave from a shared hold.
   */
  private pathBack(d: Dep): Dep[] | null {
    type State = { node: string; arrivedR: boolean; path: Dep[] };
    const seen = new Set<string>();
    const queue: State[] = [{ node: d.to, arrivedR: d.acq === 'R', path: [] }];
    while (queue.length) {
      const s = queue.shift() as State;
      for (const e of this.out.get(s.node) ?? []) {
        if (s.arrivedR && e.held !== 'W') continue;
        const arrivedR = e.acq === 'R';
        const path = [...s.path, e];
        if (e.to === d.from) {
          if (!notStrong(e.acq, d.held)) return path;
          continue;
        }
        const key = `${e.to}\0${arrivedR}`;
        if (seen.has(key)) continue;
        seen.add(key);
        queue.push({ node: e.to, arrivedR, path });
      }
    }
    return null;
  }
}

/** Arriving at a lock by `acq` and leaving it from `held` breaks a strong path: a recursive reader, then any reader. */
export function notStrong(acq: DepType, held: DepType): boolean {
  return acq === 'R' && held !== 'W';
}

const TYPE_INDEX: Record<DepType, number> = { R: 0, S: 1, W: 2 };
function typeBit(held: DepType, acq: DepType): number {
  return 1 << (TYPE_INDEX[held] * 3 + TYPE_INDEX[acq]);
}

/**
 * A run's lock graph: the documented orders known before its first execution, the
 * variant's own where it reproduces an era whose documentation said otherwise, else the
 * scenario's.
 */
export function newLockGraph(
  s: { lockOrder?: readonly KnownOrder[]; variants?: Record<string, { lockOrder?: readonly KnownOrder[] }> },
  firstSeed: number,
  mode: 'report' | 'collect' = 'report',
  reports = true,
  variant?: string,
): LockGraph {
  const g = new LockGraph(firstSeed, mode, reports);
  g.know((variant === undefined ? undefined : s.variants?.[variant]?.lockOrder) ?? s.lockOrder ?? []);
  return g;
}

function where(d: Dep): string {
  if (d.doc) return `documented: ${d.doc}`;
  const p = d.place as DepPlace;
  const site = p.site ? ` in ${p.site}()` : '';
  return `${d.row ? `[${d.row}] ` : ''}${p.task} (role ${p.role})${site} at step ${p.step}, execution seed ${p.seed}: holding ${p.heldLock} (taken at step ${p.heldStep}${p.heldSite ? ` in ${p.heldSite}()` : ''}), takes ${p.takenLock}`;
}

const verb: Record<DepType, string> = { R: 'read', S: 'read', W: 'lock' };

/**
 * The report of a cycle closed by `cycle[0]`: lockdep's "possible circular locking
 * dependency", the first-seen place of every edge, and its "possible unsafe locking
 * scenario" table.
 */
export function cycleReport(cycle: Dep[]): { message: string; details: string[] } {
  const [closing, ...chain] = cycle;
  const names = [closing.from, ...cycle.map((d) => d.to)];
  const documented = cycle.filter((d) => d.doc);
  const message =
    `possible circular locking dependency: ${names.join(' -> ')}` +
    (documented.length ? ` (breaks the documented order: ${documented.map((d) => d.doc).join('; ')})` : '');
  // (a documented order is only ever the one edge back: see LockGraph.know)
  const details = [`${closing.place ? `${where(closing)}: this closes the cycle` : where(closing)}`, 'the existing dependency chain (each edge where it was first seen):'];
  for (const [k, d] of chain.entries()) details.push(`  -> #${k + 1} ${d.from} -> ${d.to}: ${where(d)}`);
  // As print_circular_lock_scenario(): CPU0 holds the closing edge's first lock (the
  // target) and takes its second (the source); CPU1 took the lock just before the target
  // in the chain (the parent), then the target.
  const target = closing.from;
  const source = closing.to;
  const last = chain[chain.length - 1] ?? closing;
  const parent = last.from;
  const w = Math.max(24, target.length + 10);
  const row = (l: string, r: string) => `  ${l.padEnd(w)}${r}`;
  details.push(
    ...(parent !== source ? [`chain exists of: ${source} --> ${parent} --> ${target}`] : []),
    'possible unsafe locking scenario:',
    row('CPU0', 'CPU1'),
    row('----', '----'),
    row(`${verb[closing.held]}(${target});`, ''),
    row('', `${verb[last.held]}(${parent});`),
    row('', `${verb[last.acq]}(${target});`),
    row(`${verb[closing.acq]}(${source});`, ''),
    '  *** DEADLOCK ***',
  );
  return { message, details };
}

/** The execution seeds the cycle's observed edges come from. */
export function cycleSeeds(cycle: Dep[]): number[] {
  return cycle.flatMap((d) => (d.place ? [d.place.seed] : []));
}

/**
 * Add the dependencies a threads execution's workers collected to the run's graph, in
 * step order; the first that closes a cycle is the execution's lock-order-cycle, placed
 * where it was taken (the same cycle sim reports at that acquisition).
 */
export function mergeDeps(g: LockGraph, deps: Dep[]): Violation | null {
  let found: Violation | null = null;
  for (const d of [...deps].sort((x, y) => (x.place?.step ?? 0) - (y.place?.step ?? 0))) {
    const cycle = g.add(d);
    if (!cycle || found || !d.place || !g.reports) continue;
    const r = cycleReport(cycle);
    found = {
      kind: 'lock-order-cycle',
      message: r.message,
      details: r.details,
      task: d.place.task,
      role: d.place.role,
      step: d.place.step,
      locksHeld: [d.place.heldLock],
    };
    if (cycleSeeds(cycle).some((s) => s < d.place!.seed)) found.replayFrom = g.firstSeed;
  }
  return found;
}

/** What a deadlock report adds when lockdep (recording, not reporting) had already seen a cycle. */
export function knownCycleLines(g: LockGraph | null): string[] {
  const c = g?.cycles[0];
  if (!c) return [];
  const r = cycleReport(c);
  return [`lockdep had already seen the cycle behind it: ${r.message}`, ...r.details.slice(0, 1 + c.length)];
}
