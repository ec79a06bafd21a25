/**
 * Rare events as a search dimension (sim): the answers to rt/rare.ts's seam.
 *
 * At the host rate (one opportunity in N, each independent) a rare event lands in a
 * race window only when the coin happens to fall there, so a bug that needs it is found
 * once in many executions. Forced placement puts a bounded number b of each event at
 * opportunities drawn uniformly over the execution's horizon: the number of opportunities
 * of that event counted in a trial execution of the run's first seed. It draws them one
 * opportunity at a time, with probability (left to place) / (opportunities left by the
 * horizon): selection sampling, which gives every set of b opportunities within the
 * horizon the same chance, so with a random schedule every placement next to every step
 * of another task is reachable. How many (b), each execution draws per event, uniformly
 * among 1, 2, 4, ... up to the horizon (or `--rare-placements`): a bug that needs the
 * event inside a narrow window is found by the dense draws, one that needs it alone by
 * the sparse ones. Past the horizon an event not yet placed b times is placed at the next
 * opportunity; once placed b times it goes on at the host rate.
 *
 * A share DEFENSIVE of the executions draws every event at the host rate instead. The
 * executions then come from a mixture of the two, whose probability of what was decided
 * is known at every opportunity, and so is the host's: an execution's weight
 * p_host / p_mixture (bounded by 1 / DEFENSIVE) turns the forced executions into an
 * estimate of how often the bug comes at the host rate (host-rate.ts); the executions
 * of that estimate place at most a few more than the host would (`estimating`), so that
 * their weights stay near 1.
 *
 * Whatever was decided is written down (`placed`), so that a finding's token replays it
 * exactly (ListedRare), however its schedule is shrunk.
 */
import seedrandom from 'seedrandom';
import type { RareAnswer, RareEvent } from '../rt/rare.js';

/** The share of forced executions that draw every rare event at the host rate (defensive importance sampling). */
export const DEFENSIVE = 0.1;
/** The most --rare-placements may ask. */
export const MAX_PLACEMENTS = 1_000_000;
/** The executions of a host-rate estimate, by default (after a finding under forced placement). */
export const DEFAULT_HOST_RATE_EXECUTIONS = 500;

export interface RareConfig {
  /** forced: the strategy places the rare events (sim); sampled: each opportunity is the host-rate coin. */
  mode: 'forced' | 'sampled';
  /** forced: the most placements of one event per execution (null: its horizon); each execution draws its count from 1, 2, 4, ... up to it. */
  placements: number | null;
  /** forced: each event's opportunities in an execution (null: counted in a trial execution of the run's first seed). */
  horizons: Record<string, number> | null;
  /** Executions of the host-rate estimate run after a finding (0: none). */
  hostRate: number;
  /** This run is a host-rate estimate: every execution runs to its verdict, a finding ends nothing, nothing is shrunk. */
  estimating?: boolean;
}

/** One decision that an event happened: [event name, its opportunity (0, 1, ... in the execution)]. */
export type Placement = [string, number];

/** A rare event as one execution met it: what it is, its host rate, its opportunities. */
export interface RareEventSeen {
  event: RareEvent;
  every: number;
  opportunities: number;
}

/** What the rare events of one execution were (ExecutionResult.rare). */
export interface RareNote {
  /** forced: a forced execution (its weight counts); listed: a token's placements; counted: a trial. */
  how: 'forced' | 'listed' | 'counted';
  placed: Placement[];
  events: Record<string, RareEventSeen>;
  /** forced: log(p_host / p_mixture) of what was decided. */
  logWeight?: number;
  /** forced: the horizons it placed over. */
  horizons?: Record<string, number>;
}

/** Shared bookkeeping: the opportunities of each event and the decisions that it happened. */
abstract class Recorder implements RareAnswer {
  protected readonly events: Record<string, RareEventSeen> = {};
  protected readonly placed: Placement[] = [];

  happens(ev: RareEvent, every: number, t: { rng(): number }): boolean {
    let seen = this.events[ev.name];
    if (seen === undefined) {
      seen = { event: ev, every, opportunities: 0 };
      this.events[ev.name] = seen;
    }
    const j = seen.opportunities++;
    const yes = this.decide(ev.name, j, every, t);
    if (yes) this.placed.push([ev.name, j]);
    return yes;
  }

  protected abstract decide(name: string, j: number, every: number, t: { rng(): number }): boolean;
}

/** A trial: the host-rate coin of the task's own generator, as without an answer, counting the opportunities. */
export class CountedRare extends Recorder {
  protected decide(_name: string, _j: number, every: number, t: { rng(): number }): boolean {
    return t.rng() * every < 1;
  }

  horizons(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.events).map(([k, e]) => [k, e.opportunities]));
  }

  note(): RareNote {
    return { how: 'counted', placed: this.placed, events: this.events };
  }
}

/** A token's placements: an event happens at exactly the opportunities it lists. */
export class ListedRare extends Recorder {
  private readonly listed: Set<string>;

  constructor(placements: readonly Placement[]) {
    super();
    this.listed = new Set(placements.map(([name, j]) => `${name}/${j}`));
  }

  protected decide(name: string, j: number): boolean {
    return this.listed.has(`${name}/${j}`);
  }

  note(): RareNote {
    return { how: 'listed', placed: this.placed, events: this.events };
  }
}

/** The placement counts an execution draws from, for a horizon of h and a most of `most`: 1, 2, 4, ... and the most itself. */
export function placementLevels(h: number, most: number | null): number[] {
  const top = Math.max(1, Math.min(h, most ?? h));
  const levels: number[] = [];
  for (let b = 1; b < top; b *= 2) levels.push(b);
  levels.push(top);
  return levels;
}

/** One event's placing in a forced execution: the level it drew, and the log-probability of what was decided under every level. */
interface Placing {
  levels: number[];
  drawn: number;
  fired: number;
  logAt: number[];
}

/** Forced placement for one execution (see the top of this file). */
export class ForcedRare extends Recorder {
  private readonly rng: seedrandom.PRNG;
  /** This execution draws at the host rate (the defensive share). */
  private readonly atHostRate: boolean;
  private readonly placing: Record<string, Placing> = {};

  constructor(
    seed: number,
    private readonly horizons: Record<string, number>,
    /** The most placements of one event (null: its horizon). */
    private readonly most: number | null,
    /**
     * A host-rate estimate: at most max(2, 4 x the host's expected count) placements, so that
     * the executions stay near what a host does and their weights near 1 (low variance).
     */
    private readonly estimating = false,
  ) {
    super();
    this.rng = seedrandom.alea(`${seed}:rare`);
    this.atHostRate = this.rng() < DEFENSIVE;
  }

  protected decide(name: string, j: number, every: number): boolean {
    const p = 1 / every;
    const h = this.horizons[name];
    let e = this.placing[name];
    if (e === undefined) {
      const near = Math.max(2, Math.ceil((4 * (h ?? 0)) / every));
      const levels = h === undefined ? [] : placementLevels(h, this.estimating ? Math.min(this.most ?? near, near) : this.most);
      e = { levels, drawn: Math.floor(this.rng() * levels.length), fired: 0, logAt: levels.map(() => 0) };
      this.placing[name] = e;
    }
    // the placing rule at each level b: (b - placed) / (opportunities left by the horizon), never below the host rate
    const q = (b: number) => (h === undefined || e.fired >= b ? p : Math.min(1, Math.max(p, (b - e.fired) / Math.max(1, h - j))));
    const yes = this.rng() < (this.atHostRate || e.levels.length === 0 ? p : q(e.levels[e.drawn]));
    for (let k = 0; k < e.levels.length; k++) {
      const qk = q(e.levels[k]);
      e.logAt[k] += yes ? Math.log(qk) : qk === 1 ? Number.NEGATIVE_INFINITY : Math.log1p(-qk);
    }
    if (yes) e.fired++;
    return yes;
  }

  /** log(p_host / (DEFENSIVE p_host + (1 - DEFENSIVE) p_placing)) of what was decided, p_placing a mixture over each event's levels. */
  logWeight(): number {
    let logPlacing = 0;
    for (const e of Object.values(this.placing)) {
      if (e.levels.length === 0) continue; // placed at the host rate under every level: no factor
      const top = Math.max(...e.logAt);
      logPlacing += top === Number.NEGATIVE_INFINITY ? top : top + Math.log(e.logAt.reduce((a, x) => a + Math.exp(x - top), 0) / e.levels.length);
    }
    // events with no level placed at the host rate: their factor is in logHost and in the placing alike
    const hostOfPlaced = this.logHostOfPlaced();
    const d = logPlacing - hostOfPlaced;
    // log(1 / (e + (1 - e) exp(d))), without overflow for a large d
    return d > 30 ? -(Math.log1p(-DEFENSIVE) + d) : -Math.log(DEFENSIVE + (1 - DEFENSIVE) * Math.exp(d));
  }

  /** log p_host of the decisions about the events that had levels to place by. */
  private logHostOfPlaced(): number {
    let sum = 0;
    for (const [name, e] of Object.entries(this.placing)) {
      if (e.levels.length === 0) continue;
      const seen = this.events[name];
      const p = 1 / seen.every;
      const k = e.fired;
      sum += k * Math.log(p) + (seen.opportunities - k) * Math.log1p(-p);
    }
    return sum;
  }

  note(): RareNote {
    return { how: 'forced', placed: this.placed, events: this.events, logWeight: this.logWeight(), horizons: this.horizons };
  }
}

/** The placements as a replay flag writes them: name=N,... */
export function horizonsText(h: Record<string, number>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
