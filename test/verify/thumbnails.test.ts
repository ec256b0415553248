// 32×32 thumbnails of screenshots of one editor: the window chrome is most of a thumbnail, so thumbnails of
// different screenshots correlate 0.87–0.95 at 32 px, a thumbnail and its own screenshot 0.98–0.99 (docs/quality.md,
// "A second text family", "Each thumbnail with its own picture"). At the photo files' defaults (pixel r ≥ 0.92 within
// 0.03 of each image's best pixel match: the pixel margin) no thumbnail is removed as a copy of another module's
// screenshot nor paired with one; without the margin they are paired (one group). Screenshots of real source files
// (Python's standard library, PSF-2.0), drawn as the benchmark draws them (bench/eval/families.ts, renderCode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { columnValues } from '../../src/frame';
import { MIN_PIXEL_CORRELATION, TINY_PIXEL_CORRELATION, PIXEL_MARGIN, defaultPixelCorrelation, defaultPixelMargin, type VerifyOptions } from '../../src/verify';
import { renderCode } from '../../bench/eval/families';

const MODULES = ['abc', 'bisect', 'copy', 'os', 'colorsys', 'calendar'];
const moduleOf = (id: string) => id.replace(/(__thumb)?\.png$/, '');

test('thumbnails of different screenshots of one editor are not removed against each other; each still matches its own screenshot', { timeout: 300_000 }, async () => {
  assert.equal(defaultPixelCorrelation({ kind: 'files' }), MIN_PIXEL_CORRELATION);
  assert.equal(defaultPixelCorrelation({ kind: 'array', width: 32, height: 32 }), TINY_PIXEL_CORRELATION);
  assert.equal(defaultPixelCorrelation({ kind: 'files' }, true), TINY_PIXEL_CORRELATION);
  assert.equal(defaultPixelMargin({ kind: 'files' }), PIXEL_MARGIN);
  assert.equal(defaultPixelMargin({ kind: 'array', width: 32, height: 32 }), false);
  assert.equal(defaultPixelMargin({ kind: 'files' }, true), false);
  const dir = mkdtempSync(join(tmpdir(), 'nd-thumbs-'));
  try {
    for (const m of MODULES) {
      const src = `/usr/lib/python3.11/${m}.py`;
      assert.ok(existsSync(src), `${src} (Debian's libpython3.11-minimal / -stdlib)`);
      const png = await sharp(renderCode(src)).png().toBuffer();
      writeFileSync(join(dir, `${m}.png`), png);
      writeFileSync(join(dir, `${m}__thumb.png`), await sharp(png).resize(32, 32, { fit: 'fill' }).png().toBuffer());
    }
    const crossRemovals = async (verify?: VerifyOptions) => {
      const r = await scan(dir, { cacheDir: false, ...(verify ? { verify } : {}) });
      const ids = columnValues<string>(r.samples, 'id');
      const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
      const removed = ids.map((id, i) => [id, dupOf[i]] as const).filter(([, d]) => d !== null);
      // duplicates.csv's pairs between files of different modules.
      const a = columnValues<string>(r.pairs, 'a'), b = columnValues<string>(r.pairs, 'b');
      const crossPairs = a.map((x, i) => [x, b[i]]).filter(([x, y]) => moduleOf(x) !== moduleOf(y));
      return { r, removed, cross: removed.filter(([id, d]) => moduleOf(id) !== moduleOf(d!)), crossPairs };
    };
    const now = await crossRemovals();
    assert.equal(now.r.summary.verification?.minCorrelation, MIN_PIXEL_CORRELATION);
    assert.equal(now.r.summary.verification?.pixelMargin, PIXEL_MARGIN);
    assert.deepEqual(now.cross, [], `removed against another module: ${JSON.stringify(now.cross)}`);
    assert.deepEqual(now.crossPairs, [], 'no duplicate pair joins two modules');
    assert.ok(now.removed.length >= 3, `thumbnails removed as copies of their own screenshot: ${JSON.stringify(now.removed)}`);
    assert.ok((now.r.summary.verification?.marginRejected ?? 0) > 0, 'the margin rejected the pairs across modules');
    // Each rejection says why: its correlation passed the level, and one of its images matches another picture better.
    const byMargin = [...now.r.evidencePairs()].filter((e) => e.rule === 'rejected' && e.pixelCorrelation >= MIN_PIXEL_CORRELATION);
    assert.ok(byMargin.length > 0 && byMargin.every((e) => e.pixelBest! - e.pixelCorrelation > PIXEL_MARGIN), JSON.stringify(byMargin.slice(0, 3)));
    // The margin matters: without it, thumbnails of different modules are paired at this level (and so grouped).
    const loose = await crossRemovals({ pixelMargin: false });
    assert.ok(loose.crossPairs.length > 0, `at ${MIN_PIXEL_CORRELATION} without the margin: no pair across modules`);
    assert.equal(loose.r.summary.verification?.marginRejected, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
