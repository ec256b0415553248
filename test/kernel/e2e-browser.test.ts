// End to end: JupyterLab from .venv, headless Chromium, the neardup kernel. A notebook shows an
// IntSlider; the test changes it with the keyboard in the browser; the next cell prints the value
// the kernel received; after a page reload the slider is restored from the kernel.
// Screenshots: test-artifacts/kernel-e2e-slider*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, jupyterMissing, startJupyterLab, tempDir, type JupyterServer } from '../helpers/jupyter';
import { chromiumMissing, launchBrowser, type Browser } from '../helpers/browser';

const skip = jupyterMissing() ?? chromiumMissing();

test('JupyterLab renders an IntSlider from the neardup kernel and a keyboard change reaches the kernel', { skip: skip ?? false, timeout: 420_000 }, async () => {
  const root = tempDir('lab');
  fs.copyFileSync(path.join(REPO, 'test', 'notebooks', 'e2e-slider.ipynb'), path.join(root, 'e2e-slider.ipynb'));
  let server: JupyterServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startJupyterLab(root);
    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(server.labUrl('e2e-slider.ipynb'));

    // Notebook open, kernel connected and idle (keys pressed before that are dropped by JupyterLab).
    await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 120_000 });
    await page.waitForFunction(
      () => /TypeScript \(neardup\) \| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent ?? ''),
      undefined,
      { timeout: 120_000 },
    );

    // Run the first cell (Shift+Enter) and wait for the slider view.
    const cells = page.locator('.jp-Notebook .jp-Cell');
    await cells.nth(0).locator('.jp-InputArea-editor').click();
    await page.keyboard.press('Shift+Enter');
    const handle = page.locator('.jp-OutputArea .widget-slider .noUi-handle').first();
    await handle.waitFor({ timeout: 120_000 });
    const readout = page.locator('.jp-OutputArea .widget-slider .widget-readout').first();
    await assert.doesNotReject(readout.waitFor());
    assert.equal((await readout.textContent())?.trim(), '5');

    // Keyboard: three steps to the right.
    await handle.focus();
    for (let i = 0; i < 3; i++) await handle.press('ArrowRight');
    await page.waitForFunction(
      () => document.querySelector('.jp-OutputArea .widget-slider .widget-readout')?.textContent?.trim() === '8',
      undefined,
      { timeout: 30_000 },
    );

    // Run the second cell: it prints what the kernel saw.
    await cells.nth(1).locator('.jp-InputArea-editor').click();
    await page.keyboard.press('Shift+Enter');
    const printed = cells.nth(1).locator('.jp-OutputArea-output');
    await printed.filter({ hasText: 'value seen by the kernel' }).first().waitFor({ timeout: 120_000 });
    const text = (await printed.first().textContent()) ?? '';
    await browser.screenshot('kernel-e2e-slider');
    assert.match(text, /value seen by the kernel: 8\b/);

    // Save and reload the page: the widget manager asks the running kernel for every model's
    // state (request_states -> update_states) and the slider comes back with the browser's value.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+s');
    await page.waitForFunction(
      () => !document.querySelector('.jp-mod-dirty') && /Saving completed|Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    await page.reload();
    await page.waitForFunction(
      () => document.querySelector('.jp-OutputArea .widget-slider .widget-readout')?.textContent?.trim() === '8',
      undefined,
      { timeout: 120_000 },
    );
    await browser.screenshot('kernel-e2e-slider-reloaded');
  } catch (err) {
    if (browser) await browser.screenshot('kernel-e2e-slider-failure').catch(() => undefined);
    if (server) (err as Error).message += `\n--- jupyter log (tail) ---\n${server.log().slice(-4000)}`;
    throw err;
  } finally {
    await browser?.close();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
