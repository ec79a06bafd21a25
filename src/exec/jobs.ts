/**
 * `--jobs N` (run and campaign): how many sim worker threads a run starts. More
 * workers than cores only share the cores (a campaign with --jobs 64 on 2 cores ran
 * 3.4x slower, each row's budget eaten by the others' time slices), and each worker
 * costs memory; so N is capped by the cores and by the memory there is, and a cap of
 * a number the user gave is said in one line on stderr (stdout stays the result's).
 */
import { availableParallelism, freemem } from 'node:os';
import { wholeNumber } from './values.js';

/** The most sim workers a command starts. */
export const MAX_JOBS = 64;

/**
 * What one sim worker is taken to cost, with margin. Measured with /usr/bin/time's
 * maximum RSS on the 2-core machine, as the growth per added worker:
 * `run lazy-rmaps --executions 2000 --jobs 1..8` about 19 MB, `campaign --shard 1/4
 * --time-per-variant 2s --jobs 1` vs `--jobs 4` about 17 MB, `campaign --shard 1/2
 * --time-per-variant 300ms --jobs 1..16` 9 to 20 MB. Twice the largest: a worker's heap
 * grows with the scenario and the row's length.
 */
export const WORKER_BYTES = 40 * 2 ** 20;

export interface JobsBasis {
  cores: number;
  /** Memory the process may still take: the system's available memory, within its cgroup's limit. */
  availableBytes: number;
  perWorkerBytes: number;
}

/** The cap of `requested` workers on this basis, and why, in words; `reason` is null when nothing capped it. */
export function capJobs(requested: number, b: JobsBasis): { jobs: number; reason: string | null } {
  const byMemory = Math.max(1, Math.floor(b.availableBytes / b.perWorkerBytes));
  const byCores = Math.max(1, b.cores);
  const jobs = Math.max(1, Math.min(requested, byCores, byMemory));
  if (jobs === requested) return { jobs, reason: null };
  const why: string[] = [];
  if (byCores === jobs) why.push(`${byCores} core${byCores === 1 ? '' : 's'}`);
  if (byMemory === jobs) why.push(`${mb(b.availableBytes)} of memory available at about ${mb(b.perWorkerBytes)} a worker`);
  return { jobs, reason: why.join(', ') };
}

function mb(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
}

/** This machine, now. */
export function machineBasis(): JobsBasis {
  // process.availableMemory (Node >= 20.13) also honours a cgroup's memory limit (a container)
  const proc = process as NodeJS.Process & { availableMemory?: () => number };
  const available = typeof proc.availableMemory === 'function' ? proc.availableMemory() : freemem();
  return { cores: availableParallelism(), availableBytes: available, perWorkerBytes: WORKER_BYTES };
}

/**
 * `--jobs` of a command: the number given (1..MAX_JOBS) capped as above, with the line
 * that says so when it was capped (the command prints it on stderr); without one, as many
 * as the machine affords (the cores, fewer if memory is short), said nowhere.
 */
export function resolveJobs(given: string | undefined, basis: JobsBasis = machineBasis()): { jobs: number; note: string | null } {
  const requested = given === undefined ? MAX_JOBS : wholeNumber('jobs', given, 1, MAX_JOBS);
  const { jobs, reason } = capJobs(requested, basis);
  return { jobs, note: given !== undefined && reason !== null ? `--jobs ${requested} capped to ${jobs}: ${reason}` : null };
}
