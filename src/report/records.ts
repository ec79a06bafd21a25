/**
 * A campaign's results as JSON lines: one line per finished row, appended and flushed
 * to disk as the row finishes, so that a campaign killed halfway loses only the rows in
 * flight. `--resume` reads them back and skips those rows; `mmu-stress merge` combines
 * the files of several shards; `mmu-stress report` draws them as HTML. A line carries
 * everything those need: the verdict, the violation with its trace and replay command,
 * and the lock orders the row took (a campaign's lockdep merges them).
 *
 * Version 2 (this one) gives each row its status (as-expected, mismatch, not-reproduced,
 * incomplete, scenario-error, harness-error), its own budget (sim: executions; threads: time) and the
 * steps it ran; `budgetMs` became the cap on a row's time. Version 1 lines still read
 * (merge, report), their status worked out from expect and observed; `--resume` does not
 * continue a version 1 file, whose sim rows had time budgets rather than counts.
 *
 * `campaignScenarios` (added within version 2: a reader that ignores it loses nothing
 * it knew) is the list of scenarios the campaign was given, the same on every row; merge
 * plans the rows from it (campaign/scenario-list.ts). A line without it, or with null,
 * is a row of the built-in campaign, as every line written before it was.
 *
 * `fingerprint` (added within version 2 too) names the code the row ran
 * (load/fingerprint.ts): `--resume` runs a row of other code again, `merge` refuses two
 * for one scenario. A line without it (an older mmu-stress wrote it) is kept and merged as
 * before: nothing says what it ran, and a results version bump would refuse every such
 * file where resume went on with it until now.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Dep } from '../sync/lockdep-graph.js';
import type { Violation } from '../rt/violation.js';
import type { RunResult } from '../exec/run.js';
import { BadInput } from '../rt/errors.js';
import { withoutHarnessFrames } from '../load/stack.js';
import { type Evidence, evidenceOf, type RowStatus, rowStatus } from './verdict.js';

export const RECORD_VERSION = 2;
/** Versions readRecords understands: version 1 lines are filled in (see readRecords). */
const READABLE_VERSIONS = [1, 2];

export interface RowRecord {
  /** 2; 1 for a line an older mmu-stress wrote (no status, budget or steps of its own). */
  v: 1 | 2;
  /** "scenario / variant / mode": what --resume and merge match rows by. */
  key: string;
  scenario: string;
  variant: string;
  mode: 'sim' | 'threads';
  memory: 'sc' | 'weak';
  /** The row's first seed and the cap on its time (--time-per-variant): rows of two campaigns only merge when these agree. */
  seed: number;
  budgetMs: number;
  /** The row's own budget: a sim row's executions, a threads row's time (null in a version 1 line). */
  budget: { executions: number | null; threadsMs: number | null };
  expect: string;
  observed: string;
  asExpected: boolean;
  status: RowStatus;
  executions: number;
  /** Scheduling steps (sim) or op steps (threads) over the finished executions (null in a version 1 line). */
  steps: number | null;
  /** What a clean verdict rests on (observed ok), else null. */
  evidence: Evidence | null;
  firstViolationMs: number | null;
  elapsedMs: number;
  /** A threads row: its warm-up (the pool started, every worker holding the scenario) before its own time started; part of elapsedMs (absent in rows written before it existed). */
  warmupMs?: number;
  violation: (Omit<Violation, 'replay'> & { replay: string | null }) | null;
  harnessError: string | null;
  /** The scenario's own code threw: its report line and source stack (absent in rows written before it existed). */
  scenarioError?: string | null;
  incomplete: RunResult['incomplete'];
  lockdep: Dep[];
  /** When the row finished (ISO 8601), for a person reading the file. */
  finishedAt: string;
  /** The scenarios the row's campaign was given (absent in rows written before it existed: the built-in campaign). */
  campaignScenarios?: ScenarioList;
  /** The code the row ran: `mmu-stress:<version>+<hash>`, after `file:<hash> ` for a scenario file (absent in rows written before it existed, null for a row of `run --html`). */
  fingerprint?: string | null;
}

/** One scenario a campaign was given, as its rows record it (campaign/scenario-list.ts builds and compares these). */
export interface GivenScenario {
  /** As given: a built-in name, or the path as typed. */
  given: string;
  /** A file's path relative to the campaign's working directory ('/'-separated; absolute for a file outside it), which merge resolves against its own; null for a built-in name. */
  path: string | null;
  /** The scenario's name: its rows' scenario column. */
  name: string;
}

/** A campaign's scenarios in the order given; null: no scenarios given, every built-in one. */
export type ScenarioList = GivenScenario[] | null;

export function rowKey(scenario: string, variant: string, mode: string): string {
  return `${scenario} / ${variant} / ${mode}`;
}

export function toRecord(r: RunResult, seed: number, budgetMs: number, replay: string | null, campaignScenarios: ScenarioList = null, fingerprint: string | null = null): RowRecord {
  return {
    v: RECORD_VERSION,
    key: rowKey(r.scenario, r.variant, r.mode),
    scenario: r.scenario,
    variant: r.variant,
    mode: r.mode,
    memory: r.memory,
    seed,
    budgetMs,
    budget: { executions: r.mode === 'sim' ? r.budget.executions : null, threadsMs: r.mode === 'threads' ? (r.budget.startBeforeMs ?? r.budget.timeMs) : null },
    expect: r.expect,
    observed: r.observed,
    asExpected: r.asExpected,
    status: rowStatus(r),
    executions: r.executions,
    steps: r.steps,
    evidence: evidenceOf(r),
    firstViolationMs: r.firstViolationMs === null ? null : Math.round(r.firstViolationMs),
    elapsedMs: Math.round(r.elapsedMs),
    ...(r.warmupMs !== undefined ? { warmupMs: Math.round(r.warmupMs) } : {}),
    violation: r.violation ? { ...r.violation, replay } : null,
    harnessError: r.harnessError,
    // a looping role threw nothing: its line alone; the stack as `run` prints it, without the harness's frames
    scenarioError: r.scenarioError ? [r.scenarioError.line, ...withoutHarnessFrames(r.scenarioError.stack)].filter(Boolean).join('\n') : null,
    incomplete: r.incomplete,
    lockdep: r.lockdep,
    finishedAt: new Date().toISOString(),
    campaignScenarios,
    fingerprint,
  };
}

const FIELDS: [keyof RowRecord, string][] = [
  ['key', 'string'],
  ['scenario', 'string'],
  ['variant', 'string'],
  ['mode', 'string'],
  ['expect', 'string'],
  ['observed', 'string'],
  ['asExpected', 'boolean'],
  ['executions', 'number'],
  ['seed', 'number'],
  ['budgetMs', 'number'],
];

/**
 * The rows of a results file. A last line cut short (the process was killed while
 * writing it) is dropped, as if that row had been in flight; any other bad line is bad
 * input, with its line number. A row written twice (a resumed campaign ran it again
 * after a harness error or an incomplete verdict) counts once: the later line.
 */
export function readRecords(file: string, opts: { missingOk?: boolean } = {}): RowRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.missingOk) return [];
    throw new BadInput(`${file}: cannot read it (${code ?? 'error'})`);
  }
  const lines = text.split('\n');
  const out: RowRecord[] = [];
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    const last = k === lines.length - 1; // no newline after it: the write was cut short
    let rec: RowRecord;
    try {
      rec = JSON.parse(line);
    } catch {
      if (last) return;
      throw new BadInput(`${file}:${k + 1}: not a JSON line of mmu-stress results`);
    }
    if (!READABLE_VERSIONS.includes(rec?.v)) throw new BadInput(`${file}:${k + 1}: not a results line of this mmu-stress (want "v": ${RECORD_VERSION})`);
    for (const [f, type] of FIELDS) {
      if (typeof rec[f] !== type) throw new BadInput(`${file}:${k + 1}: results line without '${f}' (${type})`);
    }
    if (rec.memory !== 'sc' && rec.memory !== 'weak') throw new BadInput(`${file}:${k + 1}: results line whose 'memory' is not 'sc' or 'weak'`);
    if (!Array.isArray(rec.lockdep)) rec.lockdep = [];
    rec.campaignScenarios = scenarioListOf(rec.campaignScenarios, `${file}:${k + 1}`);
    if (rec.fingerprint !== undefined && rec.fingerprint !== null && typeof rec.fingerprint !== 'string') throw new BadInput(`${file}:${k + 1}: results line whose 'fingerprint' is not a string`);
    rec.fingerprint ??= null;
    fillIn(rec);
    const again = out.findIndex((r) => r.key === rec.key);
    if (again >= 0) out.splice(again, 1);
    out.push(rec);
  });
  return out;
}

/** A line's scenario list: absent or null is the built-in campaign; anything else must be a list of {given, path, name}. */
function scenarioListOf(x: unknown, where: string): ScenarioList {
  if (x === undefined || x === null) return null;
  const ok = Array.isArray(x) && x.length > 0 && x.every((e) => typeof e?.given === 'string' && typeof e?.name === 'string' && (e.path === null || typeof e.path === 'string'));
  if (!ok) throw new BadInput(`${where}: results line whose 'campaignScenarios' is not a list of {given, path, name}`);
  return x as GivenScenario[];
}

/** What a version 1 line lacks, worked out (its status) or left unknown (its budget, its steps). */
function fillIn(rec: RowRecord): void {
  rec.status = rowStatus(rec); // from the line's own expect and observed: one rule for every reader
  if (rec.v === RECORD_VERSION) return;
  rec.budget ??= { executions: null, threadsMs: rec.mode === 'threads' ? rec.budgetMs : null };
  rec.steps ??= null;
  rec.evidence ??= null;
}

/** Appends rows to a results file, each flushed to disk before the next row starts. */
export class RecordWriter {
  private fd: number;

  /** `append`: keep what the file holds (--resume); else the file is empty or new (never truncated: results-file.ts refuses one with rows). */
  constructor(
    readonly file: string,
    append: boolean,
  ) {
    try {
      this.fd = openSync(file, append ? 'a+' : 'a');
      // a line cut short by a kill (readRecords dropped it) goes, so the next row starts a line of its own
      if (append) {
        const text = readFileSync(this.fd, 'utf8');
        const keep = text.lastIndexOf('\n') + 1;
        if (keep < Buffer.byteLength(text)) ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, keep)));
      }
    } catch (e) {
      throw new BadInput(`--out ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /** Write one row; a failed write (a full disk) throws with the reason, the rows before it stay. */
  write(rec: RowRecord): void {
    writeSync(this.fd, `${JSON.stringify(rec)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
