// The tiny path on a CIFAR-shaped array dataset (32×32 colour, planar): real photos shrunk to 32×32 with
// copies made at 32×32 the way augmentation and re-encoding make them, and look-alikes (star-field tiles of
// one sky). At the defaults the shifted, zoomed and noisy copies are removed, directly matched to their
// originals, and nothing else; at 0.74 the heavy JPEG copy too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readdirSync, mkdtempSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import { scan } from '../../src/pipeline/scan';
import { defaultThresholdFor, TINY_ARRAY_THRESHOLD, TINY_GRAY_FILES_THRESHOLD, DEFAULT_THRESHOLD, UNVERIFIED_THRESHOLD, TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD } from '../../src/dedup/defaults';
import { columnValues } from '../../src/frame';
import { isTinyColourFolder } from '../../src/dedup/tiny-files';
import { loadDataset } from '../../src/datasets';
import { TINY_ARRAY_SURE } from '../../src/verify';
import type { Dataset } from '../../src/types';

const FIX = join(__dirname, '..', 'fixtures');
const BASE = join(FIX, 'imagededup', 'base_images');
const LOOKALIKE = join(FIX, 'lookalike');

const rgb32 = async (file: string) => sharp(file).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer();
const raw = (s: sharp.Sharp) => s.removeAlpha().raw().toBuffer();
const from32 = (b: Buffer) => sharp(b, { raw: { width: 32, height: 32, channels: 3 } });

test('defaults: tiny colour arrays get their own threshold; photos, tiny grayscale and unverified scans keep theirs', () => {
  assert.equal(defaultThresholdFor({ pixels: { kind: 'array', width: 32, height: 32, channels: 3 } }), TINY_ARRAY_THRESHOLD);
  assert.equal(defaultThresholdFor({ pixels: { kind: 'array', width: 32, height: 32, channels: 3 } }, { verify: false }), UNVERIFIED_THRESHOLD);
  assert.equal(defaultThresholdFor({ pixels: { kind: 'array', width: 28, height: 28, channels: 1 } }, { dequantized: true }), TINY_GRAYSCALE_DEQUANTIZED_THRESHOLD);
  assert.equal(defaultThresholdFor({ pixels: { kind: 'files' } as never }), DEFAULT_THRESHOLD);
  assert.equal(defaultThresholdFor({ pixels: { kind: 'array', width: 96, height: 96, channels: 3 } }), DEFAULT_THRESHOLD);
});

/** Real photos and star fields at 32×32 (interleaved RGB), with copies made at 32×32 as a CIFAR-sized dataset holds them. */
async function tinyImages(): Promise<{ ids: string[]; images: Buffer[] }> {
  const ids: string[] = [];
  const images: Buffer[] = [];
  const add = (id: string, b: Buffer) => { ids.push(id); images.push(b); };
  for (const f of readdirSync(BASE).sort()) add(f, await rgb32(join(BASE, f)));
  for (const f of readdirSync(LOOKALIKE).filter((x) => x.endsWith('.jpg')).sort()) add(f, await rgb32(join(LOOKALIKE, f)));
  const src = (id: string) => images[ids.indexOf(id)];
  // Copies made at 32×32, as a CIFAR-sized dataset holds them.
  const a = src('ukbench00120.jpg');
  const shifted = Buffer.alloc(a.length);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) a.copy(shifted, (y * 32 + x) * 3, (Math.min(31, Math.max(0, y - 4)) * 32 + Math.min(31, Math.max(0, x + 3))) * 3, (Math.min(31, Math.max(0, y - 4)) * 32 + Math.min(31, Math.max(0, x + 3))) * 3 + 3);
  add('copy-shifted-of-ukbench00120', shifted);
  add('copy-zoomed-of-ukbench09012', await raw(from32(src('ukbench09012.jpg')).extract({ left: 2, top: 3, width: 26, height: 26 }).resize(32, 32, { fit: 'fill' })));
  add('copy-jpeg-of-ukbench09268', await raw(sharp(await from32(src('ukbench09268.jpg')).jpeg({ quality: 30 }).toBuffer())));
  const noisy = Buffer.from(src('ukbench09380.jpg'));
  for (let i = 0; i < noisy.length; i += 3) { const n = ((i * 7919) % 23) - 11; for (let c = 0; c < 3; c++) noisy[i + c] = Math.max(0, Math.min(255, noisy[i + c] + n)); }
  add('copy-noisy-of-ukbench09380', noisy);
  return { ids, images };
}

const shiftedZoomedNoisy = [
  ['copy-noisy-of-ukbench09380', 'ukbench09380.jpg'],
  ['copy-shifted-of-ukbench00120', 'ukbench00120.jpg'],
  ['copy-zoomed-of-ukbench09012', 'ukbench09012.jpg'],
];
const removedAt = (res: { samples: import('danfojs-node').DataFrame }) => {
  const got = columnValues<string>(res.samples, 'id');
  const dupOf = columnValues<string | null>(res.samples, 'duplicate_of');
  return got.map((id, i) => [id, dupOf[i]]).filter(([, d]) => d !== null).sort();
};

test('scan of a 32×32 colour array: shifted, zoomed, noisy and JPEG copies are removed against their originals; distinct photos and star fields are kept', { timeout: 300_000 }, async () => {
  const { ids, images } = await tinyImages();
  // Planar, as CIFAR's arrays are.
  const plane = 32 * 32;
  const data = new Uint8Array(ids.length * 3 * plane);
  images.forEach((b, i) => { for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[i * 3 * plane + c * plane + p] = b[3 * p + c]; });
  const ds: Dataset = { name: 'tiny-array', df: new DataFrame({ id: ids }), pixels: { kind: 'array', width: 32, height: 32, channels: 3, layout: 'planar', data } };
  const r = await scan(ds, { cacheDir: false });
  assert.equal(r.threshold, TINY_ARRAY_THRESHOLD);
  assert.equal(r.verification?.low.settings, null, 'no lower band for tiny images: it checks by keypoints only');
  // At the default (0.82) the JPEG copy at quality 30 (cosine about 0.76 to its original at 32×32) is under
  // the threshold: a known recall cost of the default (docs/quality.md, "The tiny path").
  assert.deepEqual(removedAt(r), shiftedZoomedNoisy);
  // At 0.74 it is removed too, and the pixel check still keeps the star fields (cosines 0.85-0.89) apart.
  const lower = await scan(ds, { cacheDir: false, threshold: 0.74 });
  assert.deepEqual(removedAt(lower), [['copy-jpeg-of-ukbench09268', 'ukbench09268.jpg'], ...shiftedZoomedNoisy]);
});

test('a folder of the same 32×32 colour images as PNG files gets the tiny threshold and sure level, and the same removals; a grayscale folder gets the threshold of tiny grayscale files, a mixed-size one the photo default', { timeout: 300_000 }, async () => {
  const { ids, images } = await tinyImages();
  const root = mkdtempSync(join(tmpdir(), 'neardup-tiny-files-'));
  try {
    const colour = join(root, 'colour'), gray = join(root, 'gray'), mixed = join(root, 'mixed');
    for (const d of [colour, gray, mixed]) mkdirSync(d);
    for (const [i, id] of ids.entries()) {
      const name = `${id.replace(/\.jpg$/, '')}.png`;
      await sharp(images[i], { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(colour, name));
      // Grayscale pictures saved as RGB, as exports often are: told apart by their pixels, not their header.
      await sharp(images[i], { raw: { width: 32, height: 32, channels: 3 } }).grayscale().toColourspace('srgb').png().toFile(join(gray, name));
    }
    assert.equal(await isTinyColourFolder(await loadDataset(colour)), true);
    assert.equal(await isTinyColourFolder(await loadDataset(gray)), false, 'grayscale pictures in RGB files');
    for (const f of readdirSync(colour).slice(0, 5)) copyFileSync(join(colour, f), join(mixed, f));
    copyFileSync(join(BASE, 'ukbench00120.jpg'), join(mixed, 'large.jpg'));
    assert.equal(await isTinyColourFolder(await loadDataset(mixed)), false, 'one image of 64 px or more: photo defaults');

    const r = await scan(colour, { cacheDir: false });
    assert.equal(r.threshold, TINY_ARRAY_THRESHOLD);
    assert.equal(r.verification?.sure, TINY_ARRAY_SURE);
    assert.equal(r.verification?.low.settings, null);
    const png = (x: string) => `${x.replace(/\.jpg$/, '')}.png`;
    // Every copy pairs with its own original (files sort copies first, so keep=first keeps the copy); the JPEG
    // copy too, which the file path also matches by pHash. No photo or star field is removed.
    const unordered = (pairs: string[][]) => pairs.map((p) => [...p].sort().join(' ~ ')).sort();
    assert.deepEqual(unordered(removedAt(r)), unordered([['copy-jpeg-of-ukbench09268.jpg', 'ukbench09268.jpg'], ...shiftedZoomedNoisy].map(([a, b]) => [png(a), png(b)])));
    const g = await scan(gray, { cacheDir: false, verify: { workers: 0 } });
    assert.equal(g.threshold, TINY_GRAY_FILES_THRESHOLD);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
