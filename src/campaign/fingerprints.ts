/**
 * What `--resume` keeps, by the code a row ran: a row whose fingerprint is not that of the
 * code as it is now (its scenario file, or what the file imports, or mmu-stress itself
 * changed since) is no verdict on this code, so it runs again, and the campaign says so
 * once per scenario file. A row with no fingerprint (written before rows had one) is kept,
 * as it was before: nothing says what it ran; that is said once too.
 */
import type { RunConfig } from '../exec/config.js';
import { plainMemoryRun } from '../exec/sim-runner.js';
import type { BundleMemory } from '../load/bundle.js';
import { scenarioFingerprint } from '../load/fingerprint.js';
import { isScenarioPath, type LoadedScenario } from '../load/scenarios.js';
import type { RowRecord } from '../report/records.js';

/** The worker bundle a row's run loads (its fingerprint is taken from it: no other bundle is built). */
export function rowMemory(config: Pick<RunConfig, 'mode' | 'memory' | 'strategy'>): BundleMemory {
  return config.mode === 'sim' && plainMemoryRun(config) ? 'plain' : 'seam';
}

/** `one` or `many`, by the count. */
const of = (n: number, one: string, many: string) => (n === 1 ? one : many);
/** "N rows of FILE were run ... running them again", in the number of `n`. */
const ranElsewhere = (n: number, rowsOf: string, what: string) => `${n} ${of(n, 'row', 'rows')} of ${rowsOf} ${of(n, 'was', 'were')} run on another version of ${what}: running ${of(n, 'it', 'them')} again`;

/**
 * The rows of `file` to keep: those run on the current code, and those that record no
 * fingerprint. `memoryOf(sc)` is the bundle the campaign's first row of `sc` to run will
 * load, so that taking the current fingerprint builds nothing the campaign would not.
 */
export async function keptOnCurrentCode(
  file: string,
  candidates: { rec: RowRecord; sc: LoadedScenario }[],
  memoryOf: (sc: LoadedScenario) => BundleMemory,
  say: (line: string) => void = () => {},
): Promise<RowRecord[]> {
  const current = new Map<LoadedScenario, string>();
  const stale = new Map<LoadedScenario, { n: number; fileChanged: boolean }>();
  let unknown = 0;
  const keep: RowRecord[] = [];
  for (const { rec, sc } of candidates) {
    if (typeof rec.fingerprint !== 'string') {
      unknown++;
      keep.push(rec);
      continue;
    }
    let now = current.get(sc);
    if (now === undefined) {
      now = await scenarioFingerprint(sc, memoryOf(sc));
      current.set(sc, now);
    }
    if (rec.fingerprint === now) {
      keep.push(rec);
      continue;
    }
    const s = stale.get(sc) ?? { n: 0, fileChanged: false };
    s.n++;
    s.fileChanged ||= filePartOf(rec.fingerprint) !== filePartOf(now);
    stale.set(sc, s);
  }
  // one line per scenario file (the built-in scenarios change only with mmu-stress: one line for them all)
  const builtin = [...stale].filter(([sc]) => !isScenarioPath(sc.arg)).reduce((t, [, s]) => t + s.n, 0);
  if (builtin > 0) say(ranElsewhere(builtin, file, "mmu-stress's built-in scenarios"));
  for (const [sc, s] of stale) {
    if (!isScenarioPath(sc.arg)) continue;
    say(s.fileChanged ? ranElsewhere(s.n, file, sc.arg) : ranElsewhere(s.n, `${file} (${sc.arg})`, 'mmu-stress'));
  }
  if (unknown > 0) {
    const [row, records, they, them] = unknown === 1 ? ['row', 'records', 'it', 'it'] : ['rows', 'record', 'they', 'them'];
    say(`${unknown} ${row} of ${file} ${records} no fingerprint of the code ${they} ran (an older mmu-stress wrote ${them}): kept, as before; remove the file to run every row on this code`);
  }
  return keep;
}

/** A fingerprint's scenario-file part (`file:<hash>`), or '' for a built-in scenario's. */
function filePartOf(fingerprint: string): string {
  return fingerprint.startsWith('file:') ? fingerprint.split(' ')[0] : '';
}
