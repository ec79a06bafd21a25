/**
 * The Chromium the HTML report test drives (through playwright-core), so that
 * `npm ci && npm test` needs nothing from the system's package manager:
 *  1. MMU_STRESS_CHROMIUM, when set: the path of a Chromium or Chrome binary (an arm64
 *     machine, a distribution's chromium, a newer build);
 *  2. else the Chromium build that the devDependency @sparticuz/chromium carries inside the
 *     package (compressed, x86-64 Linux), unpacked once per version into
 *     node_modules/.cache/mmu-stress/chromium-<version>/.
 * Neither usable: an error that says what to do. The test fails; it never skips.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const CARRIER = '@sparticuz/chromium';
export const CHROMIUM_ENV = 'MMU_STRESS_CHROMIUM';

export interface BrowserBinary {
  path: string;
  /** Where it came from, for the failure messages. */
  source: string;
}

/**
 * @sparticuz/chromium unpacks into os.tmpdir() and then reuses whatever `chromium` it finds
 * there, whatever its version. So TMPDIR points at a fresh folder while it unpacks, and the
 * folder is renamed into place whole: a half-unpacked browser is never found, and another
 * version's never used.
 */
async function unpackCarried(): Promise<BrowserBinary> {
  const pkgDir = join(ROOT, 'node_modules', ...CARRIER.split('/'));
  if (!existsSync(join(pkgDir, 'package.json'))) {
    throw new Error(`no browser for the HTML report test: ${CARRIER} is not installed (run npm ci), and ${CHROMIUM_ENV} is not set to a Chromium binary`);
  }
  if (platform() !== 'linux' || arch() !== 'x64') {
    throw new Error(`no browser for the HTML report test: ${CARRIER} carries an x86-64 Linux Chromium, this is ${platform()}-${arch()}; set ${CHROMIUM_ENV} to a Chromium binary`);
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const cache = join(ROOT, 'node_modules', '.cache', 'mmu-stress');
  const dir = join(cache, `chromium-${version}`);
  const source = `${CARRIER} ${version}, unpacked in ${dir}`;
  if (existsSync(join(dir, 'chromium'))) return { path: join(dir, 'chromium'), source };
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `chromium-${version}.unpacking-`));
  const saved = process.env.TMPDIR;
  try {
    process.env.TMPDIR = tmp;
    const { default: carried } = await import(CARRIER);
    await carried.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another run unpacked the same version first: use its copy
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw e;
  }
  return { path: join(dir, 'chromium'), source };
}

export async function chromiumBinary(): Promise<BrowserBinary> {
  const given = process.env[CHROMIUM_ENV];
  if (given) {
    if (!existsSync(given)) throw new Error(`${CHROMIUM_ENV}=${given}: no such file`);
    return { path: given, source: `${CHROMIUM_ENV}=${given}` };
  }
  return unpackCarried();
}
