/**
 * The report files a campaign, a merge or a run writes besides stdout: JUnit XML, HTML,
 * a Chrome trace. Each is written whole or not at all (a temporary file beside it,
 * renamed over it), so a run killed while writing leaves the old file or the new one,
 * never half of one; and no output may be a file the command reads or another output.
 */
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { htmlReport } from '../report/html.js';
import { junitXml } from '../report/junit.js';
import type { RowRecord } from '../report/records.js';
import { BadInput } from '../rt/errors.js';

/** The temporary file `file` is written to first: beside it, so that the rename stays on one file system; a name no other run picks. */
const tmpOf = (file: string) => join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);

const cannotWrite = (flag: string, file: string, e: unknown) => new BadInput(`--${flag} ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);

/** Write `text` to `file` for `--flag`, atomically; a path that cannot be written is one line, exit 2. */
export function writeFileFor(flag: string, file: string, text: string): void {
  const tmp = tmpOf(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never made */
    }
    throw cannotWrite(flag, file, e);
  }
}

/**
 * Can writeFileFor write `file`: its temporary file can be made beside it (the folder
 * exists and is writable) and the name is not a folder. Tried, not inferred from modes:
 * a read-only file system or a missing folder fails here as the write would.
 */
function checkWritable(flag: string, file: string): void {
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
  } catch {
    /* not there yet: the usual case */
  }
  if (isDir) throw cannotWrite(flag, file, { code: 'EISDIR' });
  const tmp = tmpOf(file);
  try {
    closeSync(openSync(tmp, 'wx'));
  } catch (e) {
    // one left by a killed run of this pid is still a sign the folder is writable
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(flag, file, e);
    return;
  }
  unlinkSync(tmp);
}

/** One file under two names (a path, a symlink or a hard link to it)? */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false; // one of them does not exist yet: two different paths
  }
}

/**
 * Before any work: an output that cannot be written (no such folder, not writable, a
 * folder), or that would overwrite a file the command reads (a results file, a merge's
 * inputs) or another output, is bad input, naming the flag. So a run never spends its
 * budget, or finds a violation, only to fail at the end writing its report.
 */
export function checkOutputs(outputs: { flag: string; file: string | undefined }[], inputs: { what: string; file: string | undefined }[]): void {
  const outs = outputs.filter((o): o is { flag: string; file: string } => o.file !== undefined);
  outs.forEach((o, k) => {
    checkWritable(o.flag, o.file);
    for (const i of inputs) {
      if (i.file !== undefined && sameFile(o.file, i.file)) throw new BadInput(`--${o.flag} ${o.file} is ${i.what}: writing it would destroy it; give --${o.flag} another file`);
    }
    for (const p of outs.slice(0, k)) {
      if (sameFile(o.file, p.file)) throw new BadInput(`--${o.flag} and --${p.flag} name one file (${o.file}); give each its own`);
    }
  });
}

export async function writeReports(to: { junit?: string; html?: string; planned?: number; plannedKeys?: string[] }, rows: RowRecord[], title: string): Promise<void> {
  if (to.junit) writeFileFor('junit', to.junit, junitXml(rows, title, to.plannedKeys));
  if (to.html) writeFileFor('html', to.html, htmlReport(rows, { title, planned: to.planned }));
}
