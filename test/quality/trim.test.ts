// Uniform-border trimming on real photos: letterboxed copies come back to their content box,
// ordinary photos are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { findContentBox, trimImage } from '../../bench/lib/trim';

const BASE = resolve(__dirname, '../fixtures/imagededup/base_images');
const photo = (name: string) => resolve(BASE, `${name}.jpg`);

async function rgbOf(img: sharp.Sharp) {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

test('a letterboxed (black bars, JPEG-compressed) photo is trimmed back to the photo', async () => {
  const meta = await sharp(photo('ukbench00120')).metadata();
  const w = meta.width!;
  const h = meta.height!;
  const pad = 90;
  const boxed = await sharp(photo('ukbench00120'))
    .extend({ top: pad, bottom: pad, left: 0, right: 0, background: '#000000' })
    .jpeg({ quality: 75 })
    .toBuffer();
  const { box } = await trimImage(sharp(boxed));
  // Within a few pixels of the true content box (the proxy search rounds inward).
  assert.ok(Math.abs(box.top - pad) <= 6, `top ${box.top} vs ${pad}`);
  assert.ok(Math.abs(box.height - h) <= 12, `height ${box.height} vs ${h}`);
  assert.equal(box.left, 0);
  assert.equal(box.width, w);
});

test('white pillarbox bars on both sides are found', async () => {
  const boxed = await sharp(photo('ukbench09380')).extend({ left: 120, right: 120, top: 0, bottom: 0, background: '#ffffff' }).png().toBuffer();
  const img = await rgbOf(sharp(boxed));
  const box = findContentBox(img.data, img.width, img.height, img.channels);
  assert.ok(box.left >= 118 && box.left <= 124, `left ${box.left}`);
  assert.ok(img.width - box.left - box.width >= 118, `right bar ${img.width - box.left - box.width}`);
  assert.equal(box.top, 0);
});

test('ordinary photos are not trimmed', async () => {
  for (const name of ['ukbench00120', 'ukbench01380', 'ukbench08976', 'ukbench09268', 'ukbench09380']) {
    const img = await rgbOf(sharp(photo(name)));
    const box = findContentBox(img.data, img.width, img.height, img.channels);
    assert.deepEqual(box, { left: 0, top: 0, width: img.width, height: img.height }, name);
  }
});

test('an image that is one flat colour is left whole (the cut per side is capped)', () => {
  const w = 50;
  const h = 40;
  const flat = new Uint8Array(w * h * 3).fill(128);
  const box = findContentBox(flat, w, h, 3);
  assert.ok(box.width >= w * 0.2 && box.height >= h * 0.2, JSON.stringify(box));
});
