/**
 * What a finished run comes to, the same for the command line and the library: its exit
 * code, the command that replays its finding, the sim command that explores a threads
 * finding's seeds, the replay of a threads finding in sim, and the flags the report's
 * advice names. A --schedule that departed from its token is bad input, never a verdict.
 */
import type { GivenFlag, RunConfig } from '../exec/config.js';
import { exitCodeOf, type RunResult, seedsLeft, strategySection } from '../exec/run.js';
import { guideToken, scheduleFit } from '../exec/strategies/guided.js';
import { strategyEntry } from '../exec/strategies/index.js';
import type { Guide } from '../exec/strategy.js';
import type { LoadedScenario } from '../load/scenarios.js';
import { BadInput } from '../rt/errors.js';
import { commandPrefix } from './invocation.js';
import { horizonsText } from '../exec/rare.js';
import { findingReplay, replayCommand } from './replay.js';
import type { LimitFlags } from './text.js';

export interface RunOutcome {
  result: RunResult;
  /** 0, 1, 3, or the signal's code (130, 143) when one interrupted the run. */
  code: number;
  /**
   * The command that replays the finding exactly (also set on the violation). threads: the
   * sim's replay of its interleaving when the sim met the same violation, else null (`noReplay` says why).
   */
  replay: string | null;
  /** threads: the command that runs the finding's seed on threads again (also set on the violation as `rerun`). */
  rerun: string | null;
  /** threads, a finding with no exact replay: why not, in a few words. */
  noReplay: string | null;
  /** threads: the sim command that explores the finding's seeds. */
  explore: string | null;
  /** threads: the command that replays the interleaving the sim replayed (the finding's own when the sim met it). */
  inSim: string | null;
  limitFlags: LimitFlags;
}

/** Flags that shape a threads verdict; in sim the verdict depends on the seed alone. */
const SHAPING: Record<RunConfig['mode'], GivenFlag[]> = { threads: ['jitter', 'watchdog', 'execution-limit', 'lockdep'], sim: ['lockdep'] };

export function runOutcome(r: RunResult, c: RunConfig, sc: LoadedScenario, interruptCode: number | null): RunOutcome {
  const s = sc.def;
  // the token does not fit this scenario, variant and parameters: bad input, never a verdict
  if (r.departure) throw new BadInput(`--schedule: the replay departs from its token: ${r.departure}; the token does not fit ${s.name} / ${c.variant} with these parameters (was it recorded with another --variant, --param or version of the scenario?)`);
  // a horizon for an event the scenario never asked about is a name mistyped (the events are known only once it runs)
  if (c.mode === 'sim' && c.rare.horizons !== null && r.executions > 0) {
    const met = (r.rare?.events ?? []).map((e) => e.name);
    const unknown = Object.keys(c.rare.horizons).filter((name) => !met.includes(name));
    if (unknown.length > 0)
      throw new BadInput(
        `--rare-horizons names ${unknown.map((n) => `'${n}'`).join(', ')}, which no execution of this run asked about (${s.name} / ${c.variant} asked about ${met.length ? met.join(', ') : 'no rare event'})`,
      );
  }
  const limitFlags: LimitFlags = {
    time: c.timeMs === null ? '--time' : `--time ${c.given.time ?? `${c.timeMs / 1000}s`}`,
    'execution-limit': `--execution-limit ${c.given['execution-limit'] ?? `${c.executionLimitMs / 60_000}m`}`,
  };
  let replay: string | null = null;
  let rerun: string | null = null;
  let noReplay: string | null = null;
  let explore: string | null = null;
  let inSim: string | null = null;
  if (r.violation) {
    const prefix = commandPrefix();
    const vseed = r.violation.seed ?? c.seed;
    const extra = SHAPING[c.mode].filter((f) => c.given[f] !== undefined).map((f) => `--${f} ${c.given[f]}`);
    const variantMemory = s.variants[c.variant].memory ?? 'sc';
    if (c.mode === 'sim' && c.memory !== variantMemory) extra.push(`--memory ${c.memory}`);
    // a schedule token replays the (shrunk) schedule itself; without one, the strategy's
    // flags replay it (pct: its depth and the k that execution drew its change points over;
    // dfs: the same search again, deterministic)
    const finding = findingReplay(r);
    const guide = c.strategy.name === 'guided' ? (c.strategy.guide as Guide) : null;
    // a token given without its check (printed before there was one) is printed with it
    const scheduleToken = finding.token ?? (guide ? guideToken({ ...guide, fit: guide.fit ?? scheduleFit(s, r.params, c.variant) }) : undefined);
    extra.push(...finding.extra);
    if (!scheduleToken) extra.push(...(strategyEntry(c.strategy.name)?.replayFlags?.(c.strategy, strategySection(r)) ?? []));
    // forced placement without a token: the same placements need the same horizons
    if (!scheduleToken && r.rare?.mode === 'forced' && r.rare.horizons) extra.push(...(r.rare.placements ? [`--rare-placements ${r.rare.placements}`] : []), `--rare-horizons ${horizonsText(r.rare.horizons)}`);
    if (!scheduleToken && c.mode === 'sim' && r.rare?.mode === 'sampled' && c.rare.mode === 'sampled') extra.push('--rare sampled');
    replay = replayCommand(prefix, sc, r, vseed, extra, c.mode, scheduleToken);
    // On threads the hardware picks the interleaving; sim can explore the same seeds deterministically.
    // (no more executions than there are seeds left: the line must run as printed)
    if (c.mode === 'threads') explore = replayCommand(prefix, sc, r, vseed, [], 'sim').replace(/--executions \d+/, `--executions ${Math.min(1000, seedsLeft(vseed))}`);
    // the sim replayed the threads order under sc memory: so must its line, whatever the variant's
    const inSimExtra = [...extra.filter((f) => f.startsWith('--lockdep')), ...(variantMemory === 'weak' ? ['--memory sc'] : [])];
    if (r.reproduced?.token) inSim = replayCommand(prefix, sc, r, vseed, inSimExtra, 'sim', r.reproduced.token);
    if (c.mode === 'threads') {
      // a threads seed does not fix the interleaving: the exact replay is the sim's, and only
      // when the sim met the same violation (a divergence's token replays what the sim met instead)
      rerun = replay;
      const met = r.reproduced?.verdict === 'same' || r.reproduced?.verdict === 'other-op';
      replay = met ? inSim : null;
      if (!replay)
        noReplay = r.reproduced
          ? r.reproduced.token === null
            ? 'the interleaving could not be replayed in sim (the line above says why)'
            : 'the sim did not meet this violation in its replay of the interleaving'
          : c.reproduce
            ? 'the interleaving was not replayed in sim'
            : 'with --no-reproduce nothing of the interleaving was recorded for the sim to replay';
      r.violation.rerun = rerun;
    }
    r.violation.replay = replay ?? undefined;
  }
  return { result: r, code: interruptCode ?? exitCodeOf(r), replay, rerun, noReplay, explore, inSim, limitFlags };
}
