/**
 * `neardup scan --report` through the real bin/neardup.js: one self-contained HTML file, offline,
 * with the histogram, the counts and the groups as images (the explorer's static picture).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.join(__dirname, '..', '..', 'bin', 'neardup.js');

test('neardup scan --report writes one offline HTML file with the histogram and the groups as images', { timeout: 300_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nd-report-'));
  try {
    const r = spawnSync(process.execPath, [BIN, 'scan', 'sample', '--out', out, '--report', '--quiet'], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const file = path.join(out, 'report.html');
    assert.match(r.stdout, new RegExp(`report: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const html = fs.readFileSync(file, 'utf8');
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<svg[^>]*histogram of max_similarity, threshold 0\.98/);
    assert.match(html, new RegExp(`<b[^>]*>${summary.flagged}</b> samples in groups`));
    assert.match(html, new RegExp(`<b[^>]*>${summary.groups}</b> groups`));
    assert.match(html, new RegExp(`The first ${summary.groups} of ${summary.groups} groups`));
    const imgs = html.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g) ?? [];
    assert.ok(imgs.length >= 2 * summary.groups, `every group's copies as images (${imgs.length})`);
    assert.ok(!/<script|<link|src="http|url\(http/.test(html), 'self-contained: no script, no external resource');
    // Each member's evidence: the rule on the card, in full in its tooltip.
    assert.match(html, />(via )?cos ≥ 0\.94</);
    assert.match(html, /title="[^"]*cosine 0\.9\d+ ≥ 0\.94 \(sure without a second check\), to the kept copy/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
