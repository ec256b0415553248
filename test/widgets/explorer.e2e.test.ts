// End to end: JupyterLab from .venv, the neardup kernel, the built extension, headless Chromium.
// A notebook scans the bundled sample (3,000 Fashion-MNIST images), opens the explorer, and the test
// drives it like a user: histogram and first page render, the slider and a click on the histogram
// change the counts and what the next cell prints, a click tags a sample, paging streams new
// thumbnails; a folder with a file named `<img src=x onerror=alert(1)>.png` shows that name as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cellOutput, ensureBuilt, launchBrowser, missingPrerequisite, openNotebook, ROOT, runCell, startLab, writeNotebook, type Lab } from './lab-harness';

const skip = missingPrerequisite();
const XSS = '<img src=x onerror=alert(1)>.png';
let lab: Lab;
let browser: Browser;
let page: Page;
let work: string;
const dialogs: string[] = [];

function json(out: string): any {
  const line = out.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON line in output: ${out}`);
  return JSON.parse(line!);
}

before(async () => {
  if (skip) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'nd-explorer-e2e-'));
  // A small folder: real photos (imagededup fixtures) plus a byte copy under a hostile name.
  const folder = join(work, 'photos');
  mkdirSync(folder);
  const base = join(ROOT, 'test', 'fixtures', 'imagededup', 'base_images');
  for (const f of readdirSync(base)) copyFileSync(join(base, f), join(folder, f));
  copyFileSync(join(ROOT, 'test', 'fixtures', 'imagededup', 'formats_images', 'ukbench09380.png'), join(folder, 'ukbench09380.png'));
  copyFileSync(join(ROOT, 'test', 'fixtures', 'imagededup', 'formats_images', 'ukbench09380.png'), join(folder, XSS));
  writeNotebook(join(work, 'explorer.ipynb'), [
    `import { scan, explore } from 'neardup';\nconst result = await scan('sample', { threshold: 0.9, size: 96 });\nconst w = explore(result, { threshold: 0.9, pageSize: 6 });\nw`,
    `console.log(JSON.stringify({ threshold: w.threshold, counts: w.counts }))`,
    `{\n  const df = w.toDataFrame();\n  const ids = df['id'].values as string[];\n  const keep = df['keep'].values as boolean[];\n  const tags = w.tags;\n  console.log(JSON.stringify({ tags, keep: Object.keys(tags).map((id) => keep[ids.indexOf(id)]), removed: w.removedIds().length }));\n}`,
    `const r2 = await scan(${JSON.stringify(folder)}, { threshold: 0.9, size: 96 });\nexplore(r2, { threshold: 0.9 })`,
  ]);
  lab = await startLab(work);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await openNotebook(page, lab, 'explorer.ipynb');
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const explorer = (i: number) => page.locator('.nd-explorer').nth(i);
const count = (key: string) => explorer(0).locator(`.nd-count[data-count="${key}"] .nd-count-value`).innerText();
const num = async (key: string) => Number((await count(key)).replace(/,/g, ''));

async function waitSynced(threshold: string) {
  await page.waitForSelector(`.nd-explorer >> nth=0 >> .nd-counts[data-synced="true"][data-threshold="${threshold}"]`, { timeout: 30_000 });
}

test('the explorer opens on the bundled sample: histogram, counts and the first page of thumbnails', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await runCell(page, 0);
  await explorer(0).waitFor({ timeout: 60_000 });
  await waitSynced('0.900');
  assert.equal(await num('to_remove'), json(await (async () => { await runCell(page, 1); return cellOutput(page, 1); })()).counts.to_remove);
  await explorer(0).locator('.nd-histogram .main-svg').first().waitFor({ timeout: 60_000 });
  assert.ok((await explorer(0).locator('.nd-histogram .bars path').count()) > 10, 'histogram bars drawn');
  // 6 rows per page, each a sample and its neighbour(s) above the threshold: every picture gets an <img>.
  assert.equal(await explorer(0).locator('.nd-grid .nd-row').count(), 6);
  const tiles = await explorer(0).locator('.nd-grid .nd-thumb').count();
  assert.ok(tiles >= 12, `at least a sample and a neighbour per row (${tiles})`);
  await page.waitForFunction(
    (n) => document.querySelectorAll('.nd-explorer .nd-grid img').length >= n && Array.from(document.querySelectorAll('.nd-explorer .nd-grid img')).every((i) => (i as HTMLImageElement).naturalWidth > 0),
    tiles,
    { timeout: 30_000 },
  );
  const rendering = await explorer(0).locator('.nd-grid img').first().evaluate((i) => getComputedStyle(i).imageRendering);
  assert.equal(rendering, 'pixelated');
  // Sorted by max_similarity, descending.
  const sims = await explorer(0).locator('.nd-grid .nd-main .nd-sim').allInnerTexts();
  const values = sims.map((s) => Number(s.replace('max ', '')));
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
});

test('the slider and a click on the histogram move the threshold; the next cell prints the new counts', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const before = await num('flagged');
  await explorer(0).locator('.nd-slider').evaluate((el: HTMLInputElement) => {
    el.value = '0.97';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await waitSynced('0.970');
  const flagged = await num('flagged');
  assert.ok(flagged < before, `fewer flagged at 0.97 (${flagged}) than at 0.9 (${before})`);
  await runCell(page, 1);
  const printed = json(await cellOutput(page, 1));
  assert.equal(printed.threshold, 0.97);
  assert.equal(printed.counts.flagged, flagged);
  assert.equal(printed.counts.to_remove, await num('to_remove'));
  assert.equal(printed.counts.groups, await num('groups'));

  // Click on the plot area, a bit left of the middle: the threshold follows the click.
  await explorer(0).locator('.nd-histogram').scrollIntoViewIfNeeded();
  const box = (await explorer(0).locator('.nd-histogram .nsewdrag').first().boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.4, box.y + box.height / 2);
  const t = Number(await explorer(0).locator('.nd-threshold').inputValue());
  assert.ok(t < 0.97 && t > 0, `threshold moved by the click: ${t}`);
  await waitSynced(t.toFixed(3));
  await runCell(page, 1);
  assert.equal(json(await cellOutput(page, 1)).threshold, t);
  // Back to 0.9 for the next steps.
  await explorer(0).locator('.nd-threshold').fill('0.9');
  await explorer(0).locator('.nd-threshold').press('Enter');
  await waitSynced('0.900');
});

test('tagging a sample by click and by keyboard changes toDataFrame()', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const toRemove = await num('to_remove');
  const firstRow = explorer(0).locator('.nd-grid .nd-row').first();
  const id = await firstRow.locator('.nd-main .nd-id').innerText();
  const wasRemoved = await firstRow.locator('.nd-main.nd-removed').count();
  await firstRow.locator('.nd-main .nd-thumb').click();
  await page.waitForFunction((want) => document.querySelector('.nd-explorer .nd-grid .nd-row .nd-main')?.classList.contains(want), wasRemoved ? 'nd-kept' : 'nd-removed');
  await waitSynced('0.900');
  await runCell(page, 2);
  let out = json(await cellOutput(page, 2));
  assert.deepEqual(out.tags, { [id]: wasRemoved ? 'keep' : 'remove' });
  assert.deepEqual(out.keep, [!!wasRemoved]);
  assert.equal(out.removed, toRemove + (wasRemoved ? -1 : 1));
  assert.equal(await num('to_remove'), out.removed);

  // Keyboard: focus the grid, move down one row, press r.
  await explorer(0).locator('.nd-grid').focus();
  await page.keyboard.press('ArrowDown');
  const second = await explorer(0).locator('.nd-grid .nd-row.nd-selected .nd-main .nd-id').innerText();
  await page.keyboard.press('r');
  await waitSynced('0.900');
  assert.equal(await explorer(0).locator('.nd-grid .nd-row.nd-selected .nd-main.nd-removed').count(), 1);
  await page.keyboard.press('k');
  await waitSynced('0.900');
  assert.equal(await explorer(0).locator('.nd-grid .nd-row.nd-selected .nd-main.nd-kept').count(), 1);
  await runCell(page, 2);
  out = json(await cellOutput(page, 2));
  assert.equal(out.tags[second], 'keep');
  assert.equal(Object.keys(out.tags).length, 2);
});

test('paging streams thumbnails for the new page only', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const firstIds = await explorer(0).locator('.nd-grid .nd-main .nd-id').allInnerTexts();
  const loaded = await page.evaluate(() => document.querySelectorAll('.nd-explorer .nd-grid img').length);
  await explorer(0).locator('.nd-next').click();
  await page.waitForFunction(
    (first) => {
      const ids = Array.from(document.querySelectorAll('.nd-explorer .nd-grid .nd-main .nd-id')).map((e) => (e as HTMLElement).innerText);
      const tiles = document.querySelectorAll('.nd-explorer .nd-grid .nd-thumb').length;
      const imgs = Array.from(document.querySelectorAll('.nd-explorer .nd-grid img')) as HTMLImageElement[];
      return ids.length > 0 && ids[0] !== first[0] && imgs.length === tiles && imgs.every((i) => i.naturalWidth > 0);
    },
    firstIds,
    { timeout: 30_000 },
  );
  const secondIds = await explorer(0).locator('.nd-grid .nd-main .nd-id').allInnerTexts();
  assert.equal(secondIds.filter((id) => firstIds.includes(id)).length, 0);
  assert.match(await explorer(0).locator('.nd-page').innerText(), /page 2 \//);
  assert.ok(loaded > 0);
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'explorer-e2e.png'), fullPage: false });
});

test('a file named <img src=x onerror=alert(1)>.png renders as text', { skip: skip ?? false, timeout: 180_000 }, async () => {
  await runCell(page, 3);
  await explorer(1).waitFor({ timeout: 60_000 });
  await explorer(1).locator('.nd-grid .nd-id', { hasText: XSS }).first().waitFor({ timeout: 30_000 });
  const texts = await explorer(1).locator('.nd-grid .nd-id').allInnerTexts();
  assert.ok(texts.includes(XSS), `the hostile name is shown as text: ${texts.join(' | ')}`);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was created from the file name');
  // The byte copy is an exact duplicate of ukbench09380.png: both carry the badge.
  assert.ok((await explorer(1).locator('.nd-badge-exact').count()) >= 2);
  await explorer(1).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'explorer-xss.png') });
  assert.deepEqual(dialogs, []);
});
