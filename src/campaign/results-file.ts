/**
 * A campaign's `--out` results file is the one thing a long campaign leaves behind, so
 * it is never destroyed and never shared:
 *
 * - A file that already holds something is refused without `--resume` (exit 2, saying
 *   how to keep it or start over); rows are only ever appended to it.
 * - One campaign at a time writes it. Node has no flock(), so the lock is a sibling file
 *   `FILE.lock`, created atomically (a hard link of a finished temporary file, which
 *   fails if the name exists) holding the holder's pid, host, start time and command.
 *   A second campaign gets exit 2 naming the holder. A lock whose holder is gone (a
 *   campaign killed by SIGKILL, or a pod that died) is taken over, and that is said: on
 *   this host when its pid is not running (or its heartbeat, the holder touching the
 *   lock every HEARTBEAT_MS, has stood still for SAME_HOST_STALE_MS: the pid was
 *   reused); from another host (a shared volume) when its heartbeat stops for PROBE_MS.
 * - The lock goes on every way out: the command's end (`using`), an error, a second
 *   Ctrl-C or an uncaught error (process.exit runs the 'exit' hook). Only SIGKILL or a
 *   crash of the machine leaves it, and the next campaign takes it over as above.
 *
 * What it has to say on the way (a lock watched, a stale one taken over) goes to the
 * caller's `say` (the command's stderr); a library caller may pass none.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readRecords } from '../report/records.js';
import { BadInput } from '../rt/errors.js';

/** How often a holder touches its lock, and how long a lock from another host must stay untouched to be taken over. */
export const HEARTBEAT_MS = 5_000;
export const PROBE_MS = 3 * HEARTBEAT_MS;
/**
 * On this host (one clock), a lock untouched this long is stale even if its pid runs:
 * that pid was reused (a container restarted with the same hostname). Twelve missed
 * heartbeats: a live campaign's main thread is never stalled that long.
 */
export const SAME_HOST_STALE_MS = 12 * HEARTBEAT_MS;

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601. */
  started: string;
  command: string;
  /** This holder's own mark, so that a takeover or a release removes that lock and no other. */
  token: string;
}

type Errno = NodeJS.ErrnoException;
const code = (e: unknown) => (e as Errno).code ?? 'error';

function readHolder(lockPath: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(lockPath, 'utf8'));
    return typeof h?.pid === 'number' && typeof h?.token === 'string' ? h : null;
  } catch (e) {
    if (code(e) === 'ENOENT') return null;
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

function holderText(h: LockHolder, here: string): string {
  return `pid ${h.pid}${h.host === here ? '' : ` on ${h.host}`}, started ${h.started} (${h.command})`;
}

/** The lock's modification time, read through a fresh open (so that a network file system revalidates it). */
function touchedAt(lockPath: string): number | null {
  try {
    const fd = openSync(lockPath, 'r');
    try {
      return fstatSync(fd).mtimeMs;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Whether the lock's holder still runs: its pid on this host; on another, whether its heartbeat moves. */
async function holderAlive(lockPath: string, h: LockHolder, here: string, probeMs: number, say: (line: string) => void): Promise<boolean> {
  if (h.host === here) {
    if (h.pid === process.pid) return false; // this process took no lock yet: a pid reused since
    try {
      process.kill(h.pid, 0);
    } catch (e) {
      if (code(e) !== 'EPERM') return false; // EPERM: another user's live process
    }
    const touched = touchedAt(lockPath);
    return touched === null || Date.now() - touched < SAME_HOST_STALE_MS;
  }
  const before = touchedAt(lockPath);
  say(`--out: ${lockPath} is held by ${holderText(h, here)}; watching its heartbeat for ${probeMs / 1000} s to see whether that campaign still runs`);
  await new Promise((r) => setTimeout(r, probeMs));
  const after = touchedAt(lockPath);
  return after === null || after !== before || readHolder(lockPath)?.token !== h.token;
}

/** Create the lock file whole or not at all: a hard link of a written temporary file fails if the name exists. */
function createLock(lockPath: string, me: LockHolder): boolean {
  const tmp = `${lockPath}.${me.token}`;
  writeFileSync(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx' });
  try {
    linkSync(tmp, lockPath);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    // a file system without hard links: an exclusive create (a reader may see it empty for a moment)
    if (code(e) !== 'EPERM' && code(e) !== 'ENOTSUP' && code(e) !== 'ENOSYS') throw e;
    try {
      writeFileSync(lockPath, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      return true;
    } catch (e2) {
      if (code(e2) === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Remove the stale lock of `h`, and no lock another campaign made since: move the lock
 * aside (atomic), and if what moved is not `h`'s, put it back.
 */
function removeStale(lockPath: string, h: LockHolder, me: LockHolder): void {
  const aside = `${lockPath}.stale-${me.token}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if (code(e) === 'ENOENT') return; // someone else removed it
    throw e;
  }
  if (readHolder(aside)?.token === h.token) {
    unlinkSync(aside);
    return;
  }
  try {
    linkSync(aside, lockPath);
  } catch {
    /* a third campaign's lock is there now: it holds the file */
  }
  unlinkSync(aside);
}

/** How long to watch another host's heartbeat, and where notes go (none: said nowhere). */
export interface ResultsOptions {
  probeMs?: number;
  say?: (line: string) => void;
}

/** The lock of one results file, held until disposed. */
export class ResultsLock implements Disposable {
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly onExit = () => this.release();

  private constructor(
    readonly lockPath: string,
    readonly me: LockHolder,
  ) {
    this.heartbeat = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(lockPath, now, now);
      } catch {
        /* the lock went away (removed by hand): the results file is still written */
      }
    }, HEARTBEAT_MS).unref();
    process.on('exit', this.onExit);
  }

  /**
   * Take the lock of `file` (`FILE.lock`); a lock a live campaign holds is BadInput
   * naming it, a stale one is taken over with one line on stderr.
   */
  static async take(flag: string, file: string, opts: ResultsOptions & { command?: string } = {}): Promise<ResultsLock> {
    const say = opts.say ?? (() => {});
    const lockPath = `${file}.lock`;
    const here = hostname();
    const me: LockHolder = { pid: process.pid, host: here, started: new Date().toISOString(), command: opts.command ?? commandLine(), token: randomUUID() };
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        if (createLock(lockPath, me)) return new ResultsLock(lockPath, me);
      } catch (e) {
        throw new BadInput(`--${flag} ${file}: cannot create its lock ${lockPath} (${code(e)})`);
      }
      const h = readHolder(lockPath);
      if (h === null) {
        // gone since (its holder ended), or not a lock of ours
        if (statOrNull(lockPath) && attempt > 2) throw new BadInput(`--${flag} ${file}: ${lockPath} is there but is not an mmu-stress lock; remove it if no campaign writes ${file}`);
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (await holderAlive(lockPath, h, here, opts.probeMs ?? PROBE_MS, say)) {
        throw new BadInput(`--${flag} ${file} is being written by another campaign: ${holderText(h, here)}; wait for it to end, or give another --${flag} (its lock: ${lockPath})`);
      }
      removeStale(lockPath, h, me);
      say(`--${flag} ${file}: took over the lock of ${holderText(h, here)}, which is no longer running`);
    }
    throw new BadInput(`--${flag} ${file}: could not take its lock ${lockPath}: other campaigns keep taking it`);
  }

  /** Remove the lock if it is still this campaign's; idempotent, synchronous (it runs at 'exit'). */
  release(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    process.off('exit', this.onExit);
    try {
      if (readHolder(this.lockPath)?.token === this.me.token) unlinkSync(this.lockPath);
    } catch {
      /* nothing left to remove */
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function commandLine(): string {
  return ['mmu-stress', ...process.argv.slice(2)].join(' ');
}

/**
 * Lock `--out FILE` for a campaign's life and check what it holds: without `--resume`
 * a file that is not empty is refused, so that a finished campaign's rows are never
 * overwritten (its rows stay; the new campaign never starts).
 */
export async function openResults(file: string, resume: boolean, opts: ResultsOptions = {}): Promise<ResultsLock> {
  const lock = await ResultsLock.take('out', file, opts);
  try {
    const size = statOrNull(file)?.size ?? 0;
    if (!resume && size > 0) {
      let what = `${size} bytes`;
      try {
        const rows = readRecords(file).length;
        what = `${rows} row${rows === 1 ? '' : 's'} of an earlier campaign`;
      } catch {
        /* not a results file: its size says enough */
      }
      throw new BadInput(`--out ${file} already holds ${what}: add --resume to keep them and run only the rest, or remove the file (or give another --out) to start over`);
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  return lock;
}
