// The explorer in Jupyter Notebook 7 (not only JupyterLab): the same prebuilt extension renders the
// group cards, a slider move reaches the next cell. Headless Chromium; screenshot in test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cellOutput, ensureBuilt, launchBrowser, missingPrerequisite, openNotebook, ROOT, runCell, startLab, writeNotebook, type Lab } from './lab-harness';

const skip = missingPrerequisite();
let lab: Lab;
let browser: Browser;
let page: Page;
let work: string;

before(async () => {
  if (skip) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'nd-nb7-'));
  writeNotebook(join(work, 'nb7.ipynb'), [
    `import { scan, explore } from 'neardup';\nconst result = await scan('sample', { threshold: 0.95, size: 96, load: { limit: 600 } });\nconst w = explore(result, { threshold: 0.95 });\nw`,
    `console.log(JSON.stringify({ threshold: w.threshold, counts: w.counts }))`,
  ]);
  lab = await startLab(work, 'notebook');
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  await openNotebook(page, lab, 'nb7.ipynb', 'notebook');
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('Notebook 7 shows the explorer and the next cell sees a slider move', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await runCell(page, 0);
  const ex = page.locator('.nd-explorer').first();
  await ex.waitFor({ timeout: 60_000 });
  await ex.locator('.nd-grid .nd-card').first().waitFor({ timeout: 30_000 });
  await page.waitForSelector('.nd-explorer .nd-counts[data-synced="true"][data-threshold="0.950"]', { timeout: 30_000 });
  await ex.locator('.nd-slider').evaluate((el: HTMLInputElement) => {
    el.value = '0.9';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForSelector('.nd-explorer .nd-counts[data-synced="true"][data-threshold="0.900"]', { timeout: 30_000 });
  await runCell(page, 1);
  const out = JSON.parse((await cellOutput(page, 1)).split('\n').find((l) => l.startsWith('{'))!);
  assert.equal(out.threshold, 0.9);
  assert.equal(out.counts.groups, Number((await ex.locator('.nd-count[data-count="groups"] .nd-count-value').innerText()).replace(/,/g, '')));
  await ex.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'explorer-notebook7.png') });
});
