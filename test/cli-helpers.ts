/** Running the command as a user does: a child process, its exit code, stdout and stderr. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { builtinNames, loadScenario } from '../src/load/scenarios.js';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'mmu-stress.mjs');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Environment of a child: never under npm's wrappers (npm_command would arm the npx orphan watch). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.npm_command;
  delete env.MMU_STRESS_DEBUG; // a developer's own setting would add stacks to every error line
  return { ...env, ...extra };
}

export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 90_000, cwd: opts.cwd, env: childEnv(opts.env) });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

/** cli(), without blocking this file's other tests: for tests that wait (a grace, a drain, a watchdog) side by side (it.concurrent). */
export function cliAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: childEnv(opts.env) });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err, ms: performance.now() - t0 })));
}

/** Start the command; `until` resolves once stderr matches, so a test can signal it mid-run. */
export function start(args: string[]) {
  return startProcess(process.execPath, [BIN, ...args]);
}

/** The same for any program, e.g. a shell that starts the command the way npx does. */
export function startProcess(file: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(file, args, { env: childEnv(env) });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, out, err, ms: 0 })));
  const until = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`stderr never matched ${re}: ${err}`)), timeoutMs);
      const check = () => {
        if (re.test(err)) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
  return { child, done, until };
}

/** Bad input: one line on stderr, nothing that looks like a stack trace, exit 2. */
export function expectBadInput(r: CliResult, mentions: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^mmu-stress: /);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).toMatch(mentions);
}

/** A temporary folder for one test file, removed by `cleanup` (nothing is left in the temp folder). */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(): string {
      const d = mkdtempSync(join(tmpdir(), 'mmu-stress-test-'));
      made.push(d);
      return d;
    },
    cleanup(): void {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The first row a campaign runs (in sim, then in threads): the first variant of the first built-in scenario. */
export async function firstCampaignRow(): Promise<{ scenario: string; variant: string; expect: string }> {
  const sc = await loadScenario(builtinNames()[0]);
  const [variant, v] = Object.entries(sc.def.variants)[0];
  return { scenario: sc.def.name, variant, expect: v.expect };
}

/** The rows a campaign plans: every variant of every built-in scenario, in sim and in threads. */
export async function campaignRows(): Promise<number> {
  // a variant whose bug only weak memory shows has a sim row only
  let rows = 0;
  for (const name of builtinNames()) for (const v of Object.values((await loadScenario(name)).def.variants)) rows += v.memory === 'weak' ? 1 : 2;
  return rows;
}
