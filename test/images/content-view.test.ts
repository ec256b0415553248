// The content view (issue 10): copies rotated with black corners and copies inside letterbox bars are embedded
// from their content, so a scan matches them with their originals; images without such fill embed unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import { scan } from '../../src/pipeline/scan';
import { embedDataset } from '../../src/embed';
import { findContentBox } from '../../src/images/content-view';
import type { Dataset } from '../../src/types';

const FIX = resolve(__dirname, '../fixtures');
// Real photos: a Scorched3D ground texture (test/fixtures/textures) and UKBench photos (test/fixtures/imagededup).
const TEXTURE = join(FIX, 'textures', 'tex-sand-shore.jpg');
const PHOTO = join(FIX, 'imagededup', 'base_images', 'ukbench00120.jpg');
const OTHERS = ['ukbench01380', 'ukbench08976', 'ukbench09040', 'ukbench09268'].map((b) => join(FIX, 'imagededup', 'base_images', `${b}.jpg`));
const OTHER_TEXTURES = ['tex-sand-texture3', 'tex-snow-texture1', 'tex-tuscan-texture0'].map((b) => join(FIX, 'textures', `${b}.jpg`));

/** A folder of the originals (re-encoded), a rotated copy of the texture (7°, black corners) and a letterboxed copy of the photo (black bars). */
async function folder(): Promise<{ dir: string; names: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-content-view-'));
  const names: string[] = [];
  const put = async (name: string, img: sharp.Sharp) => {
    writeFileSync(join(dir, name), await img.jpeg({ quality: 95 }).toBuffer());
    names.push(name);
  };
  await put('texture.jpg', sharp(TEXTURE));
  await put('texture__rotated.jpg', sharp(TEXTURE).rotate(7, { background: '#000000' }));
  const m = await sharp(PHOTO).metadata();
  const side = Math.max(m.width!, m.height!);
  const top = Math.floor((side - m.height!) / 2);
  await put('photo.jpg', sharp(PHOTO));
  await put('photo__letterbox.jpg', sharp(PHOTO).extend({ top, bottom: side - m.height! - top, left: 0, right: side - m.width!, background: '#000000' }));
  for (const p of [...OTHERS, ...OTHER_TEXTURES]) await put(p.split('/').pop()!, sharp(p));
  return { dir, names };
}

const row = (names: string[], n: string) => names.indexOf(n);

test('a rotated copy (black corners) is matched with its original with the content view, and not without it (nor the lower band)', async () => {
  const { dir, names } = await folder();
  // The lower band (on by default since 1 December) also finds this copy, by its keypoints under the threshold;
  // it is off here so that what is measured is the embedding (the band: test/verify/rotated.test.ts).
  const plain = await scan(dir, { cacheDir: false, k: 5, verify: { low: false }, contentView: false });
  const view = await scan(dir, { cacheDir: false, k: 5, contentView: true, verify: { low: false } });
  const ids = [...view.ids];
  const [a, b] = [row(ids, 'texture.jpg'), row(ids, 'texture__rotated.jpg')];
  // Measured: cosine 0.73 without the content view (the black corners), 0.97 with it.
  assert.equal(plain.groups.group_id[b] >= 0 && plain.groups.group_id[b] === plain.groups.group_id[a], false, 'without the content view the rotated texture is not grouped with its original');
  assert.equal(view.groups.group_id[b], view.groups.group_id[a], 'with the content view the rotated texture is grouped with its original');
  assert.ok(view.groups.group_id[a] >= 0);
  assert.equal(view.nearest[b], a, 'its nearest neighbour is its original');
  // The other textures and photos stay out of every group: no unique image proposed for removal.
  for (const p of [...OTHERS, ...OTHER_TEXTURES]) assert.equal(view.groups.group_id[row(ids, p.split('/').pop()!)], -1, p);
});

test('a letterboxed copy comes closer to its original with the content view and is its nearest neighbour', async () => {
  const { dir } = await folder();
  const plain = await scan(dir, { cacheDir: false, k: 5, verify: false, contentView: false });
  const view = await scan(dir, { cacheDir: false, k: 5, verify: false, contentView: true });
  const ids = [...view.ids];
  const [a, b] = [row(ids, 'photo.jpg'), row(ids, 'photo__letterbox.jpg')];
  // Measured: 0.93 without, 0.98 with.
  assert.ok(view.maxSimilarity[b] > plain.maxSimilarity[b] + 0.03, `max_similarity ${plain.maxSimilarity[b]} → ${view.maxSimilarity[b]}`);
  assert.equal(view.nearest[b], a);
  assert.equal(view.groups.group_id[b], view.groups.group_id[a]);
  // The scan's default since 1 December is the content view.
  const byDefault = await scan(dir, { cacheDir: false, k: 5, verify: false });
  assert.deepEqual([...byDefault.maxSimilarity], [...view.maxSimilarity]);
});

test('images without fill embed exactly as without the content view; the cache keeps the two apart', async () => {
  const { dir, names } = await folder();
  const ds: Dataset = { name: dir, df: new DataFrame({ id: names }), pixels: { kind: 'files', paths: names.map((n) => join(dir, n)) } };
  const cacheDir = mkdtempSync(join(tmpdir(), 'neardup-content-view-cache-'));
  const plain = await embedDataset(ds, { cacheDir });
  const view = await embedDataset(ds, { cacheDir, contentView: true });
  assert.equal(view.stats.cached, 0, 'the content view does not read vectors cached without it');
  const changed = names.filter((_, i) => view.vectors.subarray(i * view.dim, (i + 1) * view.dim).some((v, k) => v !== plain.vectors[i * plain.dim + k]));
  assert.deepEqual(changed.sort(), ['photo__letterbox.jpg', 'texture__rotated.jpg']);
  const again = await embedDataset(ds, { cacheDir, contentView: true });
  assert.equal(again.stats.cached, names.length);
});

test('findContentBox: bars and rotation corners give the inner rectangle; a disc on black and a plain photo give none', async () => {
  const side = 128;
  const gray = async (img: sharp.Sharp) => new Uint8Array(await img.resize(side, side, { fit: 'fill' }).grayscale().raw().toBuffer());
  const photo = await gray(sharp(PHOTO));
  assert.equal(findContentBox(photo, side), null);
  // Bars of 16 px top and bottom on the 128 px copy.
  const bars = new Uint8Array(side * side); // black
  bars.set(await sharp(PHOTO).resize(side, side - 32, { fit: 'fill' }).grayscale().raw().toBuffer(), 16 * side);
  const box = findContentBox(bars, side)!;
  assert.ok(box, 'bars found');
  assert.ok(Math.abs(box.y * side - 17) <= 1 && Math.abs((box.y + box.h) * side - (side - 17)) <= 1 && box.x === 0 && box.w === 1, JSON.stringify(box));
  // Rotation of a square by θ = 7°: the canvas grows to (cos θ + sin θ) of the side and the largest upright
  // square inside the content is 1 / (cos θ + sin θ) of it, so the box is 1 / (cos θ + sin θ)² ≈ 0.797 of the canvas.
  const rot = await gray(sharp(TEXTURE).rotate(7, { background: '#000000' }));
  const r = findContentBox(rot, side)!;
  const want = 1 / (Math.cos((7 * Math.PI) / 180) + Math.sin((7 * Math.PI) / 180)) ** 2;
  assert.ok(r && Math.abs(r.w - want) < 0.03 && Math.abs(r.h - want) < 0.03 && Math.abs(r.x + r.w / 2 - 0.5) < 0.02, JSON.stringify(r));
  // A bright disc on black (a planet): a blob, not a rectangle.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="black"/><circle cx="64" cy="64" r="40" fill="#c08040"/></svg>`;
  assert.equal(findContentBox(await gray(sharp(Buffer.from(svg))), side), null);
});
