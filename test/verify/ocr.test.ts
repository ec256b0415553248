// The OCR veto on real rendered text pages (two coreutils manual pages of one layout, test/fixtures/ocr-docs):
// two different pages whose tiles agree after the keypoint alignment are not removed; a copy of one page
// still is; OCR says nothing on a photo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { columnValues } from '../../src/frame';
import { OcrReader, wordContainment, OCR_MAX_SIMILARITY, OCR_MIN_WORDS } from '../../src/verify/ocr';

const FIX = join(__dirname, '..', 'fixtures');
const DOCS = join(FIX, 'ocr-docs');
const PHOTO = join(FIX, 'imagededup', 'base_images', 'ukbench00120.jpg');

/** A copy of a page as a user makes one: scaled to 85 %, brightened, saved as a JPEG of quality 60. */
const copyOf = (file: string) => sharp(file).resize({ height: 870 }).modulate({ brightness: 1.1 }).jpeg({ quality: 60 }).toBuffer();

test('OCR: a copy of a page reads as the same words, another page of one layout does not, a photo is not legible', { timeout: 300_000 }, async () => {
  const r = await OcrReader.load();
  try {
    const factor = (await r.read(readFileSync(join(DOCS, 'man-factor.png')))).words;
    const tsort = (await r.read(readFileSync(join(DOCS, 'man-tsort.png')))).words;
    const copy = (await r.read(await copyOf(join(DOCS, 'man-factor.png')))).words;
    const photo = (await r.read(readFileSync(PHOTO))).words;
    assert.ok(factor.includes('factor') && factor.includes('prime'), factor.join(' '));
    assert.ok(tsort.includes('tsort') && tsort.includes('topological'), tsort.join(' '));
    assert.ok(factor.length >= OCR_MIN_WORDS && tsort.length >= OCR_MIN_WORDS && copy.length >= OCR_MIN_WORDS, `${factor.length} / ${tsort.length} / ${copy.length} words`);
    assert.ok(photo.length < OCR_MIN_WORDS, `a photo read as ${photo.length} words: ${photo.join(' ')}`);
    const same = wordContainment(factor, copy);
    const other = wordContainment(factor, tsort);
    assert.ok(same >= OCR_MAX_SIMILARITY, `copy: ${same}`);
    assert.ok(other < OCR_MAX_SIMILARITY, `other page: ${other}`);
    assert.ok(Number.isNaN(wordContainment(factor, photo)), 'a side that is not legible says nothing');
  } finally {
    await r.close();
  }
});

test('scan: two pages of one manual are not removed; a copy of one page still is', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nd-ocr-'));
  const cache = mkdtempSync(join(tmpdir(), 'nd-ocr-cache-'));
  try {
    copyFileSync(join(DOCS, 'man-factor.png'), join(dir, 'man-factor.png'));
    copyFileSync(join(DOCS, 'man-tsort.png'), join(dir, 'man-tsort.png'));
    await sharp(await copyOf(join(DOCS, 'man-factor.png'))).toFile(join(dir, 'z-copy-of-factor.jpg'));
    const removedOf = (r: Awaited<ReturnType<typeof scan>>) => {
      const ids = columnValues<string>(r.samples, 'id');
      const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
      return ids.map((id, i) => [id, dupOf[i]]).filter(([, d]) => d !== null);
    };
    const r = await scan(dir, { cacheDir: cache });
    assert.deepEqual(removedOf(r), [['z-copy-of-factor.jpg', 'man-factor.png']]);
    const ids = columnValues<string>(r.samples, 'id');
    const e = r.evidenceFor(ids.indexOf('man-factor.png'), ids.indexOf('man-tsort.png'));
    assert.ok(e, 'the two pages are a candidate pair');
    assert.equal(e!.rule, 'rejected');
    // The tiles agreed: the words are what rejected the pair.
    assert.ok(e!.agreement >= 0.6, `agreement ${e!.agreement}`);
    assert.ok(e!.ocrWords[0] >= OCR_MIN_WORDS && e!.ocrWords[1] >= OCR_MIN_WORDS && e!.ocrSimilarity < OCR_MAX_SIMILARITY, JSON.stringify(e));
    assert.ok(r.summary.verification && r.summary.verification.ocr.vetoed >= 1);
    // Without the OCR veto the tile agreement verifies the two pages, and one of them is proposed for removal.
    const off = await scan(dir, { cacheDir: cache, verify: { ocr: false } });
    const removed = removedOf(off).map(([id]) => id).sort();
    assert.deepEqual(removed, ['man-tsort.png', 'z-copy-of-factor.jpg']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});
