/** The report files a campaign, a merge or a run writes besides stdout: JUnit XML, HTML. */
import { writeFileSync } from 'node:fs';
import { htmlReport } from '../report/html.js';
import { junitXml } from '../report/junit.js';
import type { RowRecord } from '../report/records.js';
import { BadInput } from '../scenarios.js';

/** Write `text` to `file` for `--flag`; a path that cannot be written is one line, exit 2. */
export function writeFileFor(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new BadInput(`--${flag} ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export async function writeReports(to: { junit?: string; html?: string; planned?: number; plannedKeys?: string[] }, rows: RowRecord[], title: string): Promise<void> {
  if (to.junit) writeFileFor('junit', to.junit, junitXml(rows, title, to.plannedKeys));
  if (to.html) writeFileFor('html', to.html, htmlReport(rows, { title, planned: to.planned }));
}
