/**
 * The HTML report in a real browser (the Chromium of test/browser.ts, driven by playwright-core):
 * a no-cache-lock violation's page loads with no console errors, has a lane per task
 * and the highlighted violating op, shows an op on hover, and escapes what it shows.
 * The screenshot is kept in artifacts/ for a person to look at.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlReport } from '../src/report/html.js';
import type { RowRecord } from '../src/report/records.js';
import { chromiumBinary } from './browser.js';
import { cli, ROOT, tempDirs } from './cli-helpers.js';

const temp = tempDirs();
let browser: Browser;

beforeAll(async () => {
  const binary = await chromiumBinary();
  try {
    browser = await chromium.launch({ executablePath: binary.path, args: ['--no-sandbox'], headless: true });
  } catch (e) {
    throw new Error(`the browser (${binary.source}) did not start: ${(e as Error).message}`, { cause: e });
  }
}, 90_000);

afterAll(async () => {
  await browser?.close();
  temp.cleanup();
});

async function open(file: string) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  return { page, errors, requests };
}

describe('HTML report in chromium', () => {
  it('a no-cache-lock violation: lanes, the highlighted op, hover, no console errors; screenshot saved', async () => {
    const d = temp.make();
    const f = join(d, 'report.html');
    const r = cli(['run', 'shrinker-vs-fault', '--variant', 'no-cache-lock', '--seed', '1', '--html', f, '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.out).violations[0];
    const tasks = new Set(v.trace.map((t: { task: string }) => t.task));
    const { page, errors, requests } = await open(f);
    try {
      expect(await page.locator('#rows tr').count()).toBe(2); // the header and the run's row
      expect(await page.locator('svg g.lane').count()).toBe(tasks.size);
      for (const t of tasks) expect(await page.locator(`svg g.lane[data-task="${t}"]`).count()).toBe(1);
      const hit = page.locator('circle.mark.violation');
      expect(await hit.count()).toBe(1);
      expect(await hit.getAttribute('data-step')).toBe(String(v.step));
      expect(await page.locator('rect.hold').count()).toBeGreaterThan(0);
      await hit.hover();
      const tip = page.locator('#tip');
      expect(await tip.isVisible()).toBe(true);
      const op = v.trace.find((t: { step: number; task: string }) => t.step === v.step && t.task === v.task).op;
      expect(await tip.textContent()).toContain(op);
      await page.locator('circle.mark:not(.violation)').first().hover();
      expect(await tip.textContent()).toMatch(/^step \d+ · \S+ · /);
      expect(await page.locator('.replay code').textContent()).toBe(v.replay);
      await hit.hover(); // the screenshot shows the violating op's tooltip
      mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
      const shot = join(ROOT, 'artifacts', 'html-report-no-cache-lock.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).length).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]); // self-contained: nothing fetched
    } finally {
      await page.close();
    }
  }, 120_000);

  it('strings from the model or the user are text, never markup; large traces stay drawable', async () => {
    const d = temp.make();
    const evil = '</script><img src=x onerror="window.__pwned=1"><b>bold</b>';
    const trace = Array.from({ length: 4000 }, (_, k) => ({ step: k + 1, task: `vcpu${k % 8}`, op: k % 2 ? `mutex_unlock(lock${k % 3})` : `mutex_lock(lock${(k + 1) % 3})` }));
    trace.push({ step: 4001, task: 'vcpu0', op: evil });
    const row: RowRecord = {
      v: 2, key: `s / ${evil} / sim`, scenario: 's', variant: evil, mode: 'sim', memory: 'sc', seed: 1, budgetMs: 1, budget: { executions: 1, threadsMs: null }, expect: 'ok', observed: 'deadlock', asExpected: false,
      status: 'mismatch', executions: 1, steps: 1, evidence: null, firstViolationMs: 1, elapsedMs: 1, harnessError: null, incomplete: null, lockdep: [], finishedAt: '',
      violation: { kind: 'deadlock', message: evil, details: [evil], task: 'vcpu0', role: 'vcpu', step: 4001, locksHeld: [evil], seed: 1, trace, replay: `npx mmu-stress run '${evil}'` },
    };
    const f = join(d, 'evil.html');
    writeFileSync(f, htmlReport([row], { title: evil }));
    const { page, errors } = await open(f);
    try {
      expect(await page.evaluate('globalThis.__pwned')).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('b').count()).toBe(0);
      expect(await page.locator('.message').textContent()).toBe(evil);
      expect(await page.locator('svg g.lane').count()).toBe(8);
      expect(await page.locator('circle.mark').count()).toBe(4001);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
