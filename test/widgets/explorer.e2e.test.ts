// End to end: JupyterLab from .venv, the neardup kernel, the built extension, headless Chromium.
// A notebook scans the bundled sample (3,000 Fashion-MNIST images), opens the explorer, and the test
// drives it like a user on a 1024×768 screen: group cards render (kept copy first, faithful pixels),
// the slider sits on the histogram's axis, a slider move and a click on the histogram change the
// counts and what the next cell prints, the closer look shows a member beside the kept copy, tagging
// the last copy of a group asks first, paging streams new thumbnails; a folder with a file named
// `<img src=x onerror=alert(1)>.png` shows that name as text. Screenshots go to test-artifacts/.
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
    `import { scan, explore } from 'neardup';\nconst result = await scan('sample', { threshold: 0.9, size: 96 });\nconst w = explore(result, { threshold: 0.9 });\nw`,
    `console.log(JSON.stringify({ threshold: w.threshold, counts: w.counts }))`,
    `{\n  const df = w.toDataFrame();\n  const ids = df['id'].values as string[];\n  const keep = df['keep'].values as boolean[];\n  const tags = w.tags;\n  console.log(JSON.stringify({ tags, keep: Object.keys(tags).map((id) => keep[ids.indexOf(id)]), removed: w.removedIds().length }));\n}`,
    `const r2 = await scan(${JSON.stringify(folder)}, { threshold: 0.9, size: 96 });\nexplore(r2, { threshold: 0.9 })`,
  ]);
  lab = await startLab(work);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await openNotebook(page, lab, 'explorer.ipynb');
  // A 1024x768 screen: close the file browser, as a user short of space would.
  await page.keyboard.press('Control+b');
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

const shot = (name: string) => page.screenshot({ path: join(ROOT, 'test-artifacts', name) });

test('the explorer opens on the bundled sample: histogram, counts, and a screenful of group cards', { skip: skip ?? false, timeout: 300_000 }, async () => {
  await runCell(page, 0);
  await explorer(0).waitFor({ timeout: 60_000 });
  await waitSynced('0.900');
  // The static picture for exports is the cell's second output: present, hidden beside the live explorer.
  const picture = page.locator('.jp-OutputArea-child:has(.neardup-explorer-static)').first();
  await picture.waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal(await picture.isVisible(), false, 'the static picture is hidden beside the live explorer');
  assert.match(await picture.innerHTML(), /histogram of max_similarity/);
  await runCell(page, 1);
  const printed = json(await cellOutput(page, 1));
  assert.equal(await num('samples_to_remove'), printed.counts.samples_to_remove);
  assert.equal(await num('flagged_samples'), printed.counts.flagged_samples);
  await explorer(0).locator('.nd-histogram .main-svg').first().waitFor({ timeout: 60_000 });
  assert.ok((await explorer(0).locator('.nd-histogram .bars path').count()) > 10, 'histogram bars drawn');
  // One card per group, 12 per page; the kept copy is first in each card.
  const cards = explorer(0).locator('.nd-grid .nd-card');
  assert.equal(await cards.count(), 12);
  for (let i = 0; i < 12; i++) assert.equal(await cards.nth(i).locator('.nd-tile').first().evaluate((t) => t.classList.contains('nd-kept')), true, `card ${i}: kept copy first`);
  const tiles = await explorer(0).locator('.nd-grid .nd-thumb').count();
  await page.waitForFunction(
    (n) => document.querySelectorAll('.nd-explorer .nd-grid img').length >= n && Array.from(document.querySelectorAll('.nd-explorer .nd-grid img')).every((i) => (i as HTMLImageElement).naturalWidth > 0),
    tiles,
    { timeout: 30_000 },
  );
  assert.equal(await explorer(0).locator('.nd-grid img').first().evaluate((i) => getComputedStyle(i).imageRendering), 'pixelated');
  // Faithful pixels: no image or ancestor is dimmed, removed copies included.
  const dimmed = await explorer(0).locator('.nd-grid .nd-removed img').evaluateAll((imgs) =>
    imgs.filter((img) => {
      for (let e: Element | null = img; e; e = e.parentElement) if (Number(getComputedStyle(e).opacity) < 1 || getComputedStyle(e).filter !== 'none') return true;
      return false;
    }).length,
  );
  assert.equal(dimmed, 0);
  // No similarity below 1 reads 1.000, and no lone separator.
  const sims = await explorer(0).locator('.nd-grid .nd-sim').allInnerTexts();
  assert.ok(!sims.some((t) => /sim 1\.000/.test(t)), sims.join(' | '));
  // Each member other than the kept copy names the rule that made it a duplicate (verification's words).
  const rules = await explorer(0).locator('.nd-grid .nd-rule').allInnerTexts();
  assert.ok(rules.length > 0 && rules.every((t) => /^(via )?(cos ≥ 0\.\d+|pixels r=\d\.\d{3}|keypoints \d+ · \d+%|pHash \d+ bits|cos \S+, unchecked|exact|chain)$/.test(t)), rules.join(' | '));
  const metas = await explorer(0).locator('.nd-grid .nd-meta').allInnerTexts();
  assert.ok(metas.every((m) => m.trim() !== '·' && !/^·|·$/.test(m.trim())), metas.join(' | '));
  // The slider is on the histogram's axis: same left edge and width as the plot area.
  const plotBox = (await explorer(0).locator('.nd-histogram .nsewdrag').first().boundingBox())!;
  const sliderBox = (await explorer(0).locator('.nd-slider').boundingBox())!;
  assert.ok(Math.abs(plotBox.x - sliderBox.x) <= 2 && Math.abs(plotBox.width - sliderBox.width) <= 2, `plot ${JSON.stringify(plotBox)} slider ${JSON.stringify(sliderBox)}`);
  // Log ticks are powers of ten.
  const ticks = await explorer(0).locator('.nd-histogram .ytick text').evaluateAll((ts) => ts.map((t) => t.textContent ?? ''));
  assert.ok(ticks.length >= 2 && ticks.every((t) => /^10*$/.test(t.replace(/,/g, ''))), ticks.join(' '));
  // The plot fits the cell (no x axis running past the output area).
  const out = (await explorer(0).boundingBox())!;
  assert.ok(plotBox.x + plotBox.width <= out.x + out.width + 1, `plot inside the widget: ${JSON.stringify(plotBox)} vs ${JSON.stringify(out)}`);
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-title')?.scrollIntoView({ block: 'start' }));
  await shot('explorer-cards.png');
  // Density: scrolled to the cards, a 1024x768 screen shows a screenful of groups.
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-controls')?.scrollIntoView({ block: 'start' }));
  const visible = await cards.evaluateAll((cs) => cs.filter((c) => { const r = c.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }).length);
  await shot('explorer-cards-scrolled.png');
  assert.ok(visible >= 6, `cards fully visible on a 1024x768 screen: ${visible}`);
});

test('the slider and a click on the histogram move the threshold; the next cell prints the new counts', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const before = await num('flagged_samples');
  await explorer(0).locator('.nd-slider').evaluate((el: HTMLInputElement) => {
    el.value = '0.97';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await waitSynced('0.970');
  const flagged = await num('flagged_samples');
  assert.ok(flagged < before, `fewer flagged at 0.97 (${flagged}) than at 0.9 (${before})`);
  await runCell(page, 1);
  const printed = json(await cellOutput(page, 1));
  assert.equal(printed.threshold, 0.97);
  assert.equal(printed.counts.flagged_samples, flagged);
  assert.equal(printed.counts.samples_to_remove, await num('samples_to_remove'));
  assert.equal(printed.counts.groups, await num('groups'));
  assert.equal(printed.counts.groups, Number((await explorer(0).locator('.nd-page').innerText()).match(/([\d,]+) groups/)![1].replace(/,/g, '')));
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-title')?.scrollIntoView({ block: 'start' }));
  await shot('explorer-slider-0.97.png');

  // Click on the plot area, a bit left of the middle: the threshold follows the click.
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

test('the closer look shows a member beside the kept copy with id, label, split and size; tags by button and key', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const card = explorer(0).locator('.nd-grid .nd-card').first();
  const member = card.locator('.nd-tile').nth(1);
  const id = (await member.getAttribute('title'))!.split('\n')[0];
  await member.locator('.nd-thumb').click();
  const overlay = explorer(0).locator('.nd-closer');
  await overlay.waitFor({ state: 'visible' });
  assert.equal(await overlay.locator('.nd-closer-side').count(), 2);
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.nd-explorer .nd-closer img')).length === 2 && Array.from(document.querySelectorAll('.nd-explorer .nd-closer img')).every((i) => (i as HTMLImageElement).naturalWidth > 0), null, { timeout: 30_000 });
  const info = await overlay.locator('.nd-closer-side').first().locator('.nd-closer-info').innerText();
  assert.ok(info.includes(id), info);
  assert.match(info, /label \S+/);
  assert.match(info, /split (train|test)/);
  assert.match(info, /28 × 28 px/);
  assert.match(await overlay.locator('.nd-closer-side').nth(1).locator('.nd-closer-label').innerText(), /kept copy/);
  assert.match(await overlay.locator('.nd-closer-side').first().locator('.nd-closer-label').innerText(), /sim 0\.9\d+ to the kept copy/);
  // The header gives the evidence in full (e.g. "cosine 0.987 ≥ 0.94 (sure without a second check), to the kept copy").
  assert.match(await overlay.locator('.nd-closer-head').innerText(), /(cosine 0\.\d+ ≥ |pixels: aligned correlation|keypoints: \d+ RANSAC|exact copy|joined through)/);
  await shot('explorer-closer.png');
  // Keep it with the button: both copies kept, the next cell sees the tag.
  await overlay.locator('.nd-tag-keep').click();
  await waitSynced('0.900');
  await runCell(page, 2);
  let out = json(await cellOutput(page, 2));
  assert.deepEqual(out.tags, { [id]: 'keep' });
  assert.deepEqual(out.keep, [true]);
  // Back to automatic with the key, then close with Esc.
  await overlay.focus();
  await page.keyboard.press('a');
  await waitSynced('0.900');
  await page.keyboard.press('Escape');
  await overlay.waitFor({ state: 'hidden' });
  await runCell(page, 2);
  out = json(await cellOutput(page, 2));
  assert.deepEqual(out.tags, {});
});

test('removing the last kept copy of a group asks first: cancel changes nothing, "remove every copy" drops the group', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const removedBefore = await num('samples_to_remove');
  await explorer(0).locator('.nd-grid').focus();
  // First card, first member = the kept copy; r asks for confirmation.
  await page.keyboard.press('r');
  const confirm = explorer(0).locator('.nd-confirm');
  await confirm.waitFor({ state: 'visible' });
  assert.match(await confirm.innerText(), /last kept copy of its group/);
  assert.ok(await confirm.locator('.nd-confirm-swap').count(), 'offers to keep another copy instead');
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-title')?.scrollIntoView({ block: 'start' }));
  await shot('explorer-last-copy-confirm.png');
  await confirm.locator('.nd-confirm-cancel').click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal(await num('samples_to_remove'), removedBefore);
  await runCell(page, 2);
  assert.deepEqual(json(await cellOutput(page, 2)).tags, {});

  // Again, and this time remove every copy.
  const firstId = (await explorer(0).locator('.nd-grid .nd-card').first().locator('.nd-tile').first().getAttribute('title'))!.split('\n')[0];
  await explorer(0).locator('.nd-grid').focus();
  await page.keyboard.press('r');
  await confirm.locator('.nd-confirm-drop').click();
  await waitSynced('0.900');
  assert.equal(await num('samples_to_remove'), removedBefore + 1);
  assert.ok(await explorer(0).locator('.nd-grid .nd-card').first().locator('.nd-badge-drop').count());
  await runCell(page, 2);
  const out = json(await cellOutput(page, 2));
  assert.deepEqual(out.tags, { [firstId]: 'drop' });
  assert.deepEqual(out.keep, [false]);
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-title')?.scrollIntoView({ block: 'start' }));
  await shot('explorer-group-dropped.png');
});

test('paging streams thumbnails for the new page only', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const firstIds = await explorer(0).locator('.nd-grid .nd-tile').evaluateAll((ts) => ts.map((t) => t.getAttribute('title')));
  await explorer(0).locator('.nd-next').click();
  await page.waitForFunction(
    (first) => {
      const ids = Array.from(document.querySelectorAll('.nd-explorer .nd-grid .nd-tile')).map((e) => e.getAttribute('title'));
      const tiles = document.querySelectorAll('.nd-explorer .nd-grid .nd-thumb').length;
      const imgs = Array.from(document.querySelectorAll('.nd-explorer .nd-grid img')) as HTMLImageElement[];
      return ids.length > 0 && ids[0] !== first[0] && imgs.length === tiles && imgs.every((i) => i.naturalWidth > 0);
    },
    firstIds,
    { timeout: 30_000 },
  );
  const secondIds = await explorer(0).locator('.nd-grid .nd-tile').evaluateAll((ts) => ts.map((t) => t.getAttribute('title')));
  assert.equal(secondIds.filter((id) => firstIds.includes(id)).length, 0);
  assert.match(await explorer(0).locator('.nd-page').innerText(), /page 2 \//);
  await page.evaluate(() => document.querySelector('.nd-explorer .nd-title')?.scrollIntoView({ block: 'start' }));
  await shot('explorer-e2e.png');
});

test('a file named <img src=x onerror=alert(1)>.png renders as text', { skip: skip ?? false, timeout: 180_000 }, async () => {
  await runCell(page, 3);
  await explorer(1).waitFor({ timeout: 60_000 });
  await explorer(1).locator('.nd-grid .nd-card').first().waitFor({ timeout: 30_000 });
  const titles = await explorer(1).locator('.nd-grid .nd-tile').evaluateAll((ts) => ts.map((t) => (t.getAttribute('title') ?? '').split('\n')[0]));
  assert.ok(titles.includes(XSS), `the hostile name is the tile's title: ${titles.join(' | ')}`);
  const texts = await explorer(1).locator('.nd-grid .nd-id').allInnerTexts();
  assert.ok(texts.some((t) => t.startsWith('<img') && t.includes('…')), `shown as text, cut in the middle: ${texts.join(' | ')}`);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was created from the file name');
  // The byte copy is an exact duplicate of ukbench09380.png: its card carries the badge.
  assert.ok((await explorer(1).locator('.nd-badge-exact').count()) >= 1);
  await explorer(1).scrollIntoViewIfNeeded();
  await shot('explorer-xss.png');
  assert.deepEqual(dialogs, []);
});
