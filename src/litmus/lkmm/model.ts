/**
 * The Linux-kernel memory model (LKMM) over one candidate execution, written out in
 * TypeScript over bit relations (rel.ts). Each definition cites where it comes from:
 *
 * - [bell]  tools/memory-model/linux-kernel.bell
 * - [cat]   tools/memory-model/linux-kernel.cat
 * - [lock]  tools/memory-model/lock.cat
 * - [cos]   herd7's herd/libdir/cos-opt.cat (included by lock.cat)
 *
 * in the version with syntactic tags (herd7 variant lkmmv2), as herdtools7 keeps a copy of
 * mainline's files in catalogue/linux/ (cats/linux-kernel.cat, cats/lock.cat,
 * bells/linux-kernel.bell) at herdtools7 commit 32914d78979b7b0623ef2d1ea709c38e07350f0c.
 * The kernel's files are GPL-2.0+; none of their text is here, only what they define.
 *
 * `Static` holds what one combination of thread paths fixes (events, po, dependencies,
 * lock pairing, RCU nesting); `judge` takes the read-from and coherence choice of one
 * candidate and says whether LKMM allows it and which flags it raises.
 */
import type { Kind, ThreadEvent, ThreadPath } from './events.js';
import { T } from './events.js';
import { type EvSet, type Rel, Space } from './rel.js';

/** One event of the whole execution (the initial writes first). */
export interface Ev {
  thread: number;
  kind: Kind;
  loc: string | null;
  value: number;
  tags: number;
  atomic: boolean;
  init: boolean;
}

export interface Verdict {
  /** Every check of the model holds. */
  ok: boolean;
  /** The first check that fails (for debugging and tests). */
  failed?: string;
  /** The flags the execution raises (data-race, mixed-accesses, unmatched-rcu-lock, ...). */
  flags: string[];
}

export class Static {
  readonly sp: Space;
  readonly ev: Ev[];
  /** Global index of thread t's event k. */
  readonly index: number[][];
  readonly po: Rel;
  readonly loc: Rel;
  readonly int: Rel;
  readonly ext: Rel;
  readonly poLoc: Rel;
  /** herd7's dependencies, before the bell carries them through plain accesses. */
  readonly addr0: Rel;
  readonly data0: Rel;
  readonly ctrl0: Rel;
  /** The pairs of herd7's atomic RMWs ([bell] rmw before lock.cat adds lk-rmw). */
  readonly rmw0: Rel;
  readonly lkRmw: Rel;
  readonly rmw: Rel;
  readonly critical: Rel;
  readonly rcuRscs: Rel;
  // sets
  readonly IW: EvSet;
  readonly R: EvSet;
  readonly W: EvSet;
  readonly M: EvSet;
  readonly F: EvSet;
  readonly Marked: EvSet;
  readonly Plain: EvSet;
  readonly Acquire: EvSet;
  readonly Release: EvSet;
  readonly Mb: EvSet;
  readonly Noreturn: EvSet;
  readonly R4rmb: EvSet;
  readonly RMW: EvSet;
  readonly LKR: EvSet;
  readonly LKW: EvSet;
  readonly UL: EvSet;
  readonly LF: EvSet;
  readonly RU: EvSet;
  readonly SrcuLock: EvSet;
  readonly SrcuUnlock: EvSet;
  readonly SyncSrcu: EvSet;
  /** Static checks of [lock] that already fail (lock-nest, nested-is-locked, unmatched-locks). */
  readonly staticFailure: string | null;
  /** Flags every candidate of these paths raises. */
  readonly staticFlags: string[];
  readonly hasPlain: boolean;
  readonly hasRcu: boolean;
  readonly hasLocks: boolean;

  constructor(
    locations: string[],
    init: Map<string, number>,
    paths: ThreadPath[],
  ) {
    const ev: Ev[] = locations.map((l) => ({ thread: -1, kind: 'W', loc: l, value: init.get(l) ?? 0, tags: 0, atomic: false, init: true }));
    const local: ThreadEvent[] = [];
    this.index = paths.map((p, t) =>
      p.events.map((e) => {
        ev.push({ thread: t, kind: e.kind, loc: e.loc, value: e.value, tags: e.tags, atomic: e.atomic, init: false });
        local.push(e);
        return ev.length - 1;
      }),
    );
    this.ev = ev;
    const n = ev.length;
    const sp = new Space(n);
    this.sp = sp;
    const first = locations.length;
    const at = (i: number) => local[i - first];
    const sel = (p: (e: Ev, i: number) => boolean) => sp.setOf(ev.flatMap((e, i) => (p(e, i) ? [i] : [])));
    const tag = (b: number) => sel((e) => (e.tags & b) !== 0);

    this.po = sp.rel();
    this.loc = sp.rel();
    this.int = sp.rel();
    this.ext = sp.rel();
    this.addr0 = sp.rel();
    this.data0 = sp.rel();
    this.ctrl0 = sp.rel();
    this.rmw0 = sp.rel();
    for (let i = 0; i < n; i++) {
      // int and loc are reflexive in cat (an event is on its own CPU and location): (xbstar & int) keeps id
      sp.addEdge(this.int, i, i);
      if (ev[i].loc !== null) sp.addEdge(this.loc, i, i);
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const a = ev[i];
        const b = ev[j];
        if (a.loc !== null && a.loc === b.loc) sp.addEdge(this.loc, i, j);
        if (!a.init && !b.init && a.thread === b.thread) {
          sp.addEdge(this.int, i, j);
          const x = at(i);
          const y = at(j);
          // po: instruction order; inside one instruction, its causality order (step)
          if (x.instr < y.instr || (x.instr === y.instr && x.step < y.step)) sp.addEdge(this.po, i, j);
        } else sp.addEdge(this.ext, i, j);
      }
    }
    for (let i = first; i < n; i++) {
      const e = at(i);
      const g = this.index[ev[i].thread];
      for (const k of e.addr) sp.addEdge(this.addr0, g[k], i);
      for (const k of e.data) sp.addEdge(this.data0, g[k], i);
      // [modelUtils] ctrl reaches memory accesses (and lock events) under the if, not fences
      if (ev[i].kind !== 'F') for (const k of e.ctrl) sp.addEdge(this.ctrl0, g[k], i);
      if (e.rmw !== null) sp.addEdge(this.rmw0, i, g[e.rmw]);
    }
    this.poLoc = sp.inter(this.po, this.loc);

    this.IW = sel((e) => e.init);
    const kind = (k: Kind) => sel((e) => e.kind === k);
    const Rbase = kind('R');
    const Wbase = kind('W');
    this.F = kind('F');
    this.LKR = kind('LKR');
    this.LKW = kind('LKW');
    this.UL = kind('UL');
    // [lock] spin_is_locked() returning true is treated as a failed trylock: LF | RL
    this.LF = sp.union(kind('LF'), kind('RL'));
    this.RU = kind('RU');
    this.SyncSrcu = kind('SYNC_SRCU');
    this.SrcuLock = tag(T.SRCU_LOCK);
    this.SrcuUnlock = tag(T.SRCU_UNLOCK);
    this.RMW = sel((e) => e.atomic);
    const Mbase = sp.union(Rbase, Wbase);
    // [bell] FailedRMW, and the tags that give ordering only where the access can have it
    const failedRmw = sp.diff(this.RMW, sp.union(sp.domain(this.rmw0), sp.range(this.rmw0)));
    this.Acquire = sp.union(sp.diff(tag(T.ACQUIRE), sp.union(Wbase, failedRmw)), this.LKR);
    this.Release = sp.union(sp.diff(tag(T.RELEASE), sp.union(Rbase, failedRmw)), this.UL);
    this.Mb = sp.diff(tag(T.MB), failedRmw);
    this.Noreturn = sp.diff(tag(T.NORETURN), Wbase);
    // [bell] Marked: everything but the accesses no tag marks (lock events and fences are not plain)
    const marks = T.ONCE | T.RELEASE | T.ACQUIRE | T.MB | T.SRCU_LOCK | T.SRCU_UNLOCK;
    this.Marked = sp.union(sp.not(Mbase), this.IW, tag(marks), this.RMW);
    this.Plain = sp.diff(Mbase, this.Marked);
    // [lock] R and W once lock.cat has added its events to them
    this.R = sp.union(Rbase, this.LKR, this.LF, this.RU);
    this.W = sp.union(Wbase, this.LKW, this.UL);
    this.M = sp.union(this.R, this.W);
    this.R4rmb = sp.diff(this.R, this.Noreturn);

    // [lock] lk-rmw: a lock's read and the write right after it; rmw = rmw | lk-rmw
    this.lkRmw = sp.diff(sp.restrict(this.LKR, this.poLoc, this.LKW), sp.seq(this.po, this.po));
    this.rmw = sp.union(this.rmw0, this.lkRmw);
    // [lock] critical: each lock write with the unlock that closes its critical section
    const lkwUl = sp.union(this.LKW, this.UL);
    this.critical = sp.diff(sp.restrict(this.LKW, this.poLoc, this.UL), sp.seqs(this.poLoc, sp.ident(lkwUl), this.poLoc));

    const flags: string[] = [];
    let failure: string | null = null;
    const afterUl = sp.seqs(this.poLoc, sp.ident(this.UL), this.poLoc);
    if (!sp.isEmpty(sp.diff(sp.restrict(this.LKW, this.poLoc, this.LKR), afterUl))) failure = 'lock-nest';
    else if (!sp.isEmpty(sp.diff(sp.restrict(this.LKW, this.poLoc, this.RU), afterUl))) failure = 'nested-is-locked';
    const unmatchedLkw = sp.diff(this.LKW, sp.domain(this.critical));
    if (!failure && !sp.isEmpty(sp.diff(sp.restrict(unmatchedLkw, this.loc, unmatchedLkw), sp.id()))) failure = 'unmatched-locks';
    this.staticFailure = failure;
    const allLocks = sp.union(this.LKR, this.LKW, this.UL, this.LF, this.RU, this.SrcuLock, this.SrcuUnlock, this.SyncSrcu);
    if (!sp.isEmpty(sp.restrict(sp.diff(Mbase, sp.union(this.IW, allLocks)), this.loc, allLocks))) flags.push('mixed-lock-accesses');
    if (!sp.isEmpty(sp.diff(this.LKW, sp.range(this.lkRmw)))) flags.push('unpaired-LKW');
    if (!sp.isEmpty(sp.diff(this.LKR, sp.domain(this.lkRmw)))) flags.push('unpaired-LKR');
    if (!sp.isEmpty(sp.diff(this.UL, sp.range(this.critical)))) flags.push('unmatched-unlock');

    // [bell] rcu-rscs: each rcu_read_lock() with its rcu_read_unlock(), nested like brackets
    this.rcuRscs = sp.rel();
    const rcuLock = tag(T.RCU_LOCK);
    const rcuUnlock = tag(T.RCU_UNLOCK);
    let unmatchedLock = false;
    let unmatchedUnlock = false;
    for (const g of this.index) {
      const open: number[] = [];
      for (const i of g) {
        if (sp.has(rcuLock, i)) open.push(i);
        else if (sp.has(rcuUnlock, i)) {
          const l = open.pop();
          if (l === undefined) unmatchedUnlock = true;
          else sp.addEdge(this.rcuRscs, l, i);
        }
      }
      if (open.length) unmatchedLock = true;
    }
    if (unmatchedLock) flags.push('unmatched-rcu-lock');
    if (unmatchedUnlock) flags.push('unmatched-rcu-unlock');
    // [bell] invalid-sleep: synchronize_srcu() inside an RCU read-side critical section
    if (!sp.isEmpty(sp.inter(this.rcuRscs, sp.seqs(this.po, sp.ident(this.SyncSrcu), this.po)))) flags.push('invalid-sleep');
    this.staticFlags = flags;
    this.hasPlain = !sp.isEmpty(this.Plain);
    this.hasRcu = !sp.isEmpty(sp.union(rcuLock, rcuUnlock, tag(T.SYNC_RCU), this.SyncSrcu, this.SrcuLock, this.SrcuUnlock));
    this.hasLocks = !sp.isEmpty(allLocks);
  }

  private readonly cache = new Map<string, Uint32Array>();

  /**
   * Take the values of other paths of the same shape (the same events, locations, tags and
   * dependencies; only what the reads returned and the writes wrote differs): nothing this
   * class derives depends on a value, so one Static serves every such combination of paths.
   */
  setValues(paths: ThreadPath[]): void {
    paths.forEach((p, t) => {
      const g = this.index[t];
      for (let k = 0; k < g.length; k++) this.ev[g[k]].value = p.events[k].value;
    });
  }

  /** A relation or set that depends on the paths alone, computed once for all their candidates. */
  memo(key: string, make: () => Uint32Array): Uint32Array {
    let x = this.cache.get(key);
    if (!x) {
      x = this.sp.lasting(make);
      this.cache.set(key, x);
    }
    return x;
  }

  /** fencerel(S) = (po & (_ * S)) ; po: from before a fence of S to after it. */
  fencerel(s: EvSet): Rel {
    return this.sp.seq(this.sp.restrict(null, this.po, s), this.po);
  }

  tagged(b: number): EvSet {
    return this.memo(`tag ${b}`, () => this.sp.setOf(this.ev.flatMap((e, i) => ((e.tags & b) !== 0 ? [i] : []))));
  }
}

/**
 * Whether LKMM allows a candidate: `rf0` is herd7's read-from of the ordinary reads (what
 * the bell sees), `rf` and `co` are lock.cat's final ones (lock events merged in).
 */
export function judge(st: Static, rf0: Rel, rf: Rel, co: Rel, coherentPerLocation = false): Verdict {
  return st.sp.scoped(() => judgeIn(st, rf0, rf, co, coherentPerLocation));
}

/**
 * `coherentPerLocation`: the caller has checked coherence and atomicity location by
 * location (every edge of po-loc, rf, co, fr and rmw joins two events of one location, so
 * a cycle or an fre;coe pair lies within one location), and they need not be checked again.
 */
function judgeIn(st: Static, rf0: Rel, rf: Rel, co: Rel, coherentPerLocation: boolean): Verdict {
  const sp = st.sp;
  const { po, int, ext, poLoc, Marked, M, W, R } = st;
  const flags = [...st.staticFlags];
  const fail = (failed: string): Verdict => ({ ok: false, failed, flags });
  const u = (...xs: Rel[]) => sp.union(...xs);
  const q = (...xs: Rel[]) => sp.seqs(...xs);
  const I = (s: EvSet) => sp.ident(s);
  const rfe = sp.inter(rf, ext);
  const rfi = sp.inter(rf, int);
  const fr = sp.seq(sp.inv(rf), co);
  const coe = sp.inter(co, ext);
  const fre = sp.inter(fr, ext);

  // [cat] coherence: acyclic po-loc | rf | co | fr ; atomic: empty rmw & (fre ; coe)
  if (!coherentPerLocation && !sp.acyclic(u(poLoc, rf, co, fr))) return fail('coherence');
  if (!coherentPerLocation && !sp.isEmpty(sp.inter(st.rmw, sp.seq(fre, coe)))) return fail('atomic');

  // [bell] dependencies carried through plain accesses: carry-dep = (data ; [~Srcu-unlock] ; rfi)*
  const notSU = I(sp.not(st.SrcuUnlock));
  const rfi0 = sp.inter(rf0, int);
  const carry = sp.star(q(st.data0, notSU, rfi0));
  const addr = sp.seq(carry, st.addr0);
  const data = sp.seq(carry, st.data0);
  const ctrl = sp.seq(carry, st.ctrl0);

  // [bell] srcu-rscs: an srcu_read_lock()'s value carried by data (and rf) to its srcu_read_unlock()
  let srcuRscs = sp.rel();
  if (st.hasRcu) {
    const carrySrcu = sp.star(q(st.data0, notSU, rf0));
    srcuRscs = sp.inter(q(I(st.SrcuLock), carrySrcu, st.data0, I(st.SrcuUnlock)), st.loc);
    if (!sp.isEmpty(sp.diff(st.SrcuLock, sp.domain(srcuRscs)))) flags.push('unmatched-srcu-lock');
    if (!sp.isEmpty(sp.diff(st.SrcuUnlock, sp.range(srcuRscs)))) flags.push('unmatched-srcu-unlock');
    if (!sp.isEmpty(sp.diff(sp.seq(sp.inv(srcuRscs), srcuRscs), sp.id()))) flags.push('multiple-srcu-matches');
    for (let i = 0; i < sp.n; i++) {
      if (sp.row(srcuRscs, i).some((j) => st.ev[j].value !== st.ev[i].value)) {
        flags.push('srcu-bad-value-match');
        break;
      }
    }
  }

  // [cat] release and acquire
  const m = (key: string, make: () => Rel) => st.memo(key, make);
  const acqPo = m('acq-po', () => sp.restrict(st.Acquire, po, M));
  const poRel = m('po-rel', () => sp.restrict(M, po, st.Release));
  const poUnlockLockPo = q(po, I(st.UL), u(po, rf), I(st.LKR), po);
  // [cat] fences
  const rmb = m('rmb', () => sp.restrict(st.R4rmb, st.fencerel(st.tagged(T.RMB)), st.R4rmb));
  const wmb = m('wmb', () => sp.restrict(W, st.fencerel(st.tagged(T.WMB)), W));
  const optPo = m('po?', () => sp.opt(po));
  let mb = m('mb', () => u(
    q(I(M), st.fencerel(st.Mb), I(M)),
    // a full-barrier RMW acts as if enclosed by smp_mb(): the Mb tags on its read and write
    q(I(M), po, I(sp.inter(st.Mb, R))),
    q(I(sp.inter(st.Mb, W)), po, I(M)),
    q(I(M), st.fencerel(st.tagged(T.BEFORE_ATOMIC)), I(st.RMW), optPo, I(M)),
    q(I(M), optPo, I(st.RMW), st.fencerel(st.tagged(T.AFTER_ATOMIC)), I(M)),
  ));
  if (st.hasLocks)
    mb = u(
      mb,
      q(I(M), optPo, I(st.LKW), st.fencerel(st.tagged(T.AFTER_SPINLOCK)), I(M)),
      q(I(M), poUnlockLockPo, I(st.tagged(T.AFTER_UNLOCK_LOCK)), po, I(M)),
      q(I(M), optPo, I(st.SrcuUnlock), st.fencerel(st.tagged(T.AFTER_SRCU_READ_UNLOCK)), I(M)),
    );
  const gp = m('gp', () => q(po, I(u(st.tagged(T.SYNC_RCU), st.SyncSrcu)), optPo));
  const strongFence = u(mb, gp);
  const nonrwFence = u(strongFence, poRel, acqPo);
  const fence = u(nonrwFence, wmb, rmb);

  // [cat] ppo: what a CPU keeps in order
  const dep = u(addr, data);
  const rwdep = q(u(dep, ctrl), I(W));
  const overwrite = u(co, fr);
  const toW = u(rwdep, sp.inter(overwrite, int), q(addr, I(st.Plain), wmb));
  const toR = u(q(addr, I(R)), q(dep, I(Marked), rfi));
  const ppo = u(toR, toW, sp.inter(fence, int), sp.inter(poUnlockLockPo, int));

  // [cat] propagation: cumul-fence, prop
  const aCumul = (r: Rel) => q(sp.opt(q(rfe, I(Marked))), r);
  const rmwSequence = sp.star(q(rf, st.rmw));
  const cumulFence = q(I(Marked), u(aCumul(u(strongFence, poRel)), wmb, poUnlockLockPo), I(Marked), rmwSequence);
  const prop = q(I(Marked), sp.opt(sp.inter(overwrite, ext)), sp.star(cumulFence), I(Marked), sp.opt(rfe), I(Marked));

  // [cat] happens-before
  const hb = q(I(Marked), u(ppo, rfe, sp.inter(sp.diff(prop, sp.id()), int)), I(Marked));
  if (!sp.acyclic(hb)) return fail('happens-before');
  // [cat] propagation: each non-rf link needs a strong fence
  const hbStar = sp.star(hb);
  const pb = q(prop, strongFence, hbStar, I(Marked));
  if (!sp.acyclic(pb)) return fail('propagation');

  // [cat] RCU: rcu-order built from grace periods and read-side critical sections
  let rcuFence = sp.rel();
  let rb = sp.rel();
  if (st.hasRcu) {
    const pbStar = sp.star(pb);
    const rcuGp = I(st.tagged(T.SYNC_RCU));
    const srcuGp = I(st.SyncSrcu);
    const rcuRscsi = sp.inv(st.rcuRscs);
    const srcuRscsi = sp.inv(srcuRscs);
    const link = q(optPo, hbStar, pbStar, prop, po);
    const atLoc = (r: Rel) => sp.inter(r, st.loc);
    // The least fixpoint of rcu-order. Only its last four kinds of term involve rcu-order
    // itself; the others, and each term's fixed ends (gp ; rcu-link and rcu-link ; rscsi),
    // are computed once. SRCU's terms are left out where the test has no SRCU.
    const hasSrcu = !sp.isEmpty(st.SyncSrcu) && !sp.isEmpty(srcuRscs);
    const gpLink = sp.seq(rcuGp, link);
    const rscsiLink = sp.seq(rcuRscsi, link);
    const linkRscsi = sp.seq(link, rcuRscsi);
    const linkGp = sp.seq(link, rcuGp);
    const sGpLink = hasSrcu ? sp.seq(srcuGp, link) : null;
    const sRscsiLink = hasSrcu ? sp.seq(srcuRscsi, link) : null;
    const linkSRscsi = hasSrcu ? sp.seq(link, srcuRscsi) : null;
    const linkSGp = hasSrcu ? sp.seq(link, srcuGp) : null;
    const base = [rcuGp, srcuGp, sp.seq(gpLink, rcuRscsi), sp.seq(rscsiLink, rcuGp)];
    if (sGpLink && sRscsiLink) base.push(atLoc(sp.seq(sGpLink, srcuRscsi)), atLoc(sp.seq(sRscsiLink, srcuGp)));
    const fixed = u(...base);
    let order = fixed;
    for (;;) {
      const around = (left: Rel, right: Rel) => sp.seqs(left, order, right);
      const terms = [fixed, around(gpLink, linkRscsi), around(rscsiLink, linkGp), sp.seqs(order, link, order)];
      if (sGpLink && sRscsiLink && linkSRscsi && linkSGp) terms.push(atLoc(around(sGpLink, linkSRscsi)), atLoc(around(sRscsiLink, linkSGp)));
      const next = u(...terms);
      if (next.every((x, k) => x === order[k])) break;
      order = next;
    }
    rcuFence = q(po, order, optPo);
    rb = q(prop, rcuFence, hbStar, pbStar, I(Marked));
    if (!sp.irreflexive(rb)) return fail('rcu');
  }

  // [cat] plain accesses and data races: only where a plain access can race
  if (st.hasPlain) {
    const fence2 = u(fence, rcuFence);
    const strong2 = u(strongFence, rcuFence);
    const barrier = u(
      st.fencerel(u(st.tagged(T.BARRIER | T.RMB | T.WMB | T.SYNC_RCU | T.BEFORE_ATOMIC | T.AFTER_ATOMIC | T.RCU_LOCK | T.RCU_UNLOCK | T.SRCU_LOCK | T.SRCU_UNLOCK), st.Mb, st.SyncSrcu, st.Acquire, st.Release)),
      q(po, I(st.Release)),
      q(I(st.Acquire), po),
    );
    const plainW = sp.inter(st.Plain, W);
    const poLocNb = sp.diff(poLoc, barrier);
    if (!sp.isEmpty(u(q(I(plainW), poLocNb, I(Marked)), q(I(Marked), poLocNb, I(plainW))))) flags.push('mixed-accesses');
    const xbstar = sp.star(u(hb, pb, rb));
    const vis = q(sp.star(cumulFence), sp.opt(rfe), I(Marked), u(q(strong2, I(Marked), xbstar), sp.inter(xbstar, int)));
    const notNoreturn = sp.not(st.Noreturn);
    const fencerelRmb = st.fencerel(st.tagged(T.RMB));
    const wPre = q(I(Marked), sp.opt(u(addr, fence2)));
    const rPre = q(I(Marked), sp.opt(u(addr, nonrwFence, q(I(st.R4rmb), fencerelRmb, I(notNoreturn)))));
    const wPost = q(sp.opt(fence2), I(Marked), rmwSequence);
    const rPost = q(sp.opt(u(nonrwFence, q(I(notNoreturn), fencerelRmb, I(st.R4rmb)))), I(Marked));
    const wwVis = u(fence2, q(strong2, xbstar, wPre), q(wPost, vis, wPre));
    const wrVis = u(fence2, q(strong2, xbstar, rPre), q(wPost, vis, rPre));
    const rwXbstar = u(fence2, q(rPost, xbstar, wPre));
    const preRace = sp.inter(ext, u(sp.cart(st.Plain, M), sp.cart(sp.diff(M, st.IW), st.Plain)));
    const incoh = u(sp.inter(preRace, rf, sp.inv(rwXbstar)), sp.inter(preRace, fr, sp.inv(wrVis)), sp.inter(preRace, co, sp.inv(wwVis)));
    if (!sp.isEmpty(incoh)) return fail('plain-coherence');
    const markedW = sp.cart(Marked, W);
    const wMarked = sp.cart(W, Marked);
    const wwNonrace = sp.inter(wwVis, u(markedW, rwXbstar), u(wMarked, wrVis));
    const wwRace = sp.diff(sp.inter(preRace, co), wwNonrace);
    const wrRace = sp.diff(sp.diff(sp.inter(preRace, q(sp.opt(co), rf)), wrVis), sp.inv(rwXbstar));
    const rwRace = sp.diff(sp.inter(preRace, fr), rwXbstar);
    if (!sp.isEmpty(u(wwRace, wrRace, rwRace))) flags.push('data-race');
  }
  return { ok: true, flags };
}
