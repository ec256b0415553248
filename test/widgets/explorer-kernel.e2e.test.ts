// End to end, kernel-served pages (what `explore()` does above 250,000 samples): the same scan of
// the bundled sample opened twice in JupyterLab (headless Chromium), once computing in the browser
// and once with `browserCompute: false`. The kernel-mode view receives no per-sample array, yet a
// user sees the same thing: the same counts, the same cards on every page (paging through shows
// every group, in the same order, with the same members and words), the same after a slider move
// and with a filter; the closer look steps through a group's members; removing the last copy asks.
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
  work = mkdtempSync(join(tmpdir(), 'nd-explorer-kernel-e2e-'));
  writeNotebook(join(work, 'explorer.ipynb'), [
    `import { scan, explore } from 'neardup';\nconst result = await scan('sample', { threshold: 0.9, size: 96 });\nconst local = explore(result, { threshold: 0.9, browserCompute: true });\nlocal`,
    `const remote = explore(result, { threshold: 0.9, browserCompute: false });\nremote`,
    `console.log(JSON.stringify({ local: local.counts, remote: remote.counts, mode: (remote as any).get('_mode'), arrays: ['_nn_indices', '_nn_scores', '_ids', '_max_similarity'].filter((k) => (remote as any).get(k) !== undefined) }))`,
  ]);
  lab = await startLab(work);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  await openNotebook(page, lab, 'explorer.ipynb');
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const explorer = (i: number) => page.locator('.nd-explorer').nth(i);
const shot = (name: string) => page.screenshot({ path: join(ROOT, 'test-artifacts', name) });

async function waitSynced(i: number, threshold: string) {
  await page.waitForSelector(`.nd-explorer >> nth=${i} >> .nd-counts[data-synced="true"][data-threshold="${threshold}"]`, { timeout: 60_000 });
}

/** What a user reads on the page on screen: the pager, the counts and each card's title, badges and tiles. */
async function screen(i: number): Promise<{ pager: string; counts: string; cards: string[] }> {
  return explorer(i).evaluate((root) => ({
    // textContent: JupyterLab skips rendering cells off screen, and innerText is empty there.
    pager: (root.querySelector('.nd-page') as HTMLElement).textContent!.trim(),
    counts: Array.from(root.querySelectorAll('.nd-count')).map((c) => `${(c as HTMLElement).dataset.count}=${c.querySelector('.nd-count-value')!.textContent}`).join(' '),
    cards: Array.from(root.querySelectorAll('.nd-grid .nd-card')).map((c) =>
      [(c.querySelector('.nd-card-head') as HTMLElement).textContent, ...Array.from(c.querySelectorAll('.nd-tile')).map((t) => `${(t as HTMLElement).title} | ${Array.from(t.children).map((x) => x.textContent).join(' ')}`)].join(' // '),
    ),
  }));
}

/** Every page from the first to the last (next button), as {@link screen} reads them. */
async function allPages(i: number, threshold: string): Promise<string[][]> {
  const pages: string[][] = [];
  await explorer(i).locator('.nd-filter[data-filter="flagged"]').click();
  await waitSynced(i, threshold);
  for (;;) {
    const before = await screen(i);
    pages.push([before.pager, ...before.cards]);
    const next = explorer(i).locator('.nd-next');
    if (await next.isDisabled()) break;
    await next.click();
    await page.waitForFunction(
      ([idx, pager]) => (document.querySelectorAll('.nd-explorer')[idx as number].querySelector('.nd-page') as HTMLElement).textContent!.trim() !== pager,
      [i, before.pager] as const,
      { timeout: 30_000 },
    );
  }
  return pages;
}

test('kernel-served pages: no arrays sent, the same counts and the same cards on every page as the browser-computed view', { skip: skip ?? false, timeout: 400_000 }, async () => {
  await runCell(page, 0);
  await runCell(page, 1);
  await waitSynced(0, '0.900');
  await waitSynced(1, '0.900');
  await runCell(page, 2);
  const printed = JSON.parse((await cellOutput(page, 2)).split('\n').find((l) => l.startsWith('{'))!);
  assert.equal(printed.mode, 'kernel');
  assert.deepEqual(printed.arrays, [], 'no per-sample array in the kernel-mode state');
  assert.deepEqual(printed.remote, printed.local);
  const a = await screen(0);
  const b = await screen(1);
  assert.equal(b.counts, a.counts);
  assert.ok(a.cards.length === 12, `a full first page: ${a.cards.length}`);
  // Thumbnails arrive in kernel mode too.
  await page.waitForFunction(() => {
    const imgs = Array.from(document.querySelectorAll('.nd-explorer')[1].querySelectorAll('.nd-grid img')) as HTMLImageElement[];
    return imgs.length > 12 && imgs.every((im) => im.naturalWidth > 0);
  }, null, { timeout: 60_000 });
  await page.evaluate(() => document.querySelectorAll('.nd-explorer')[1].scrollIntoView({ block: 'start' }));
  await shot('explorer-kernel-mode.png');
  const pagesA = await allPages(0, '0.900');
  const pagesB = await allPages(1, '0.900');
  assert.ok(pagesA.length > 3, `several pages: ${pagesA.length}`);
  assert.deepEqual(pagesB, pagesA);
  const groups = Number(a.counts.match(/ groups=([\d,]+)/)![1].replace(/,/g, ''));
  assert.equal(pagesB.reduce((s, p) => s + p.length - 1, 0), groups, 'paging shows every group once');
});

test('kernel-served pages follow a slider move and a filter like the browser-computed view', { skip: skip ?? false, timeout: 300_000 }, async () => {
  for (const i of [0, 1]) {
    await explorer(i).locator('.nd-slider').evaluate((el: HTMLInputElement) => {
      el.value = '0.95';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitSynced(i, '0.950');
  }
  const a = await screen(0);
  const b = await screen(1);
  assert.equal(b.counts, a.counts);
  assert.deepEqual(b.cards, a.cards);
  for (const i of [0, 1]) {
    await explorer(i).locator('.nd-filter[data-filter="cross_split"]').click();
    await page.waitForFunction((idx) => document.querySelectorAll('.nd-explorer')[idx].querySelector('.nd-filter[data-filter="cross_split"].nd-active'), i);
  }
  await page.waitForFunction(() => {
    const [x, y] = Array.from(document.querySelectorAll('.nd-explorer .nd-page')) as HTMLElement[];
    return x.textContent === y.textContent;
  }, null, { timeout: 30_000 });
  assert.deepEqual((await screen(1)).cards, (await screen(0)).cards);
  for (const i of [0, 1]) await explorer(i).locator('.nd-filter[data-filter="flagged"]').click();
});

test('kernel mode: the closer look steps through the members; removing the last kept copy asks first', { skip: skip ?? false, timeout: 200_000 }, async () => {
  await waitSynced(1, '0.950');
  const card = explorer(1).locator('.nd-grid .nd-card').first();
  const ids = (await card.locator('.nd-tile').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).title.split('\n')[0])));
  assert.ok(ids.length >= 2);
  await card.locator('.nd-tile').nth(1).locator('.nd-thumb').click();
  const overlay = explorer(1).locator('.nd-closer');
  await overlay.waitFor({ state: 'visible' });
  await page.waitForFunction(() => /member 2 of \d+/.test((document.querySelectorAll('.nd-explorer')[1].querySelector('.nd-closer-head') as HTMLElement)?.innerText ?? ''), null, { timeout: 30_000 });
  assert.ok((await overlay.locator('.nd-closer-info').first().innerText()).includes(ids[1]));
  assert.match(await overlay.locator('.nd-closer-side').nth(1).locator('.nd-closer-label').innerText(), /kept copy/);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /member 1 of/.test((document.querySelectorAll('.nd-explorer')[1].querySelector('.nd-closer-head') as HTMLElement).innerText));
  // The kept copy of a two-copy group whose other copy is removed: "r" asks before removing every copy.
  await page.keyboard.press('Escape');
  await overlay.waitFor({ state: 'hidden' });
  const two = explorer(1).locator('.nd-grid .nd-card', { hasText: /^2 copies/ }).first();
  await two.locator('.nd-tile').first().locator('.nd-thumb').click();
  await overlay.waitFor({ state: 'visible' });
  await page.waitForFunction(() => /member 1 of 2/.test((document.querySelectorAll('.nd-explorer')[1].querySelector('.nd-closer-head') as HTMLElement)?.innerText ?? ''), null, { timeout: 30_000 });
  await overlay.locator('.nd-tag-remove').click();
  const confirm = explorer(1).locator('.nd-confirm');
  await confirm.waitFor({ state: 'visible' });
  assert.match(await confirm.innerText(), /last kept copy/);
  assert.equal(await confirm.locator('.nd-confirm-swap').count(), 1, 'offers to keep the other copy instead');
  await confirm.locator('.nd-confirm-cancel').click();
  await page.keyboard.press('Escape');
});
