// Raw-array preprocessing (CIFAR planar, IDX grayscale) and PNG thumbnails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { DataFrame } from 'danfojs-node';
import { arrayImageToRgb, writeArrayImageToTensor } from '../../src/images/array';
import { IMAGENET_MEAN, IMAGENET_STD, rgbToTensor } from '../../src/images/preprocess';
import { thumbnailPng } from '../../src/images/thumbnail';
import type { Dataset, PixelSource } from '../../src/types';

const FIX = resolve(__dirname, '../fixtures/imagededup');
const norm = { mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: 'NCHW' as const };

/** A real photo as raw 32x32 pixels in both array layouts. */
async function photoArrays(): Promise<{ inter: Uint8Array; planar: Uint8Array }> {
  const inter = new Uint8Array(await sharp(join(FIX, 'base_images/ukbench09012.jpg')).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer());
  const planar = new Uint8Array(inter.length);
  for (let i = 0; i < 1024; i++) for (let c = 0; c < 3; c++) planar[c * 1024 + i] = inter[3 * i + c];
  return { inter, planar };
}

test('planar and interleaved arrays of the same picture give the same tensor; matches the RGB path', async () => {
  const { inter, planar } = await photoArrays();
  const src = (layout: 'planar' | 'interleaved', data: Uint8Array) => ({ kind: 'array' as const, width: 32, height: 32, channels: 3 as const, layout, data });
  const a = new Float32Array(2 * 3 * 96 * 96);
  const b = new Float32Array(3 * 96 * 96);
  writeArrayImageToTensor(src('planar', planar), 0, 96, a, 1, IMAGENET_MEAN, IMAGENET_STD, 'NCHW');
  writeArrayImageToTensor(src('interleaved', inter), 0, 96, b, 0, IMAGENET_MEAN, IMAGENET_STD, 'NCHW');
  assert.deepEqual(a.subarray(3 * 96 * 96), b);
  assert.ok(a.subarray(0, 3 * 96 * 96).every((v) => v === 0), 'slot 0 untouched');
  // The 8-bit RGB route (arrayImageToRgb → rgbToTensor) agrees up to rounding to 8 bits.
  const viaRgb = rgbToTensor(arrayImageToRgb(src('planar', planar), 0, 96), 96, norm);
  let max = 0;
  for (let i = 0; i < b.length; i++) max = Math.max(max, Math.abs(viaRgb[i] - b[i]));
  assert.ok(max < 0.5 / 255 / 0.224 + 1e-6, `max diff ${max}`);
});

test('bilinear upscaling with half-pixel centres, grayscale replicated to 3 channels', () => {
  // 2x1 grayscale [0, 255] → 4 wide: centres at -0.25, 0.25, 0.75, 1.25 → 0, 63.75, 191.25, 255.
  const src = { kind: 'array' as const, width: 2, height: 1, channels: 1 as const, layout: 'interleaved' as const, data: new Uint8Array([0, 255]) };
  const rgb = arrayImageToRgb(src, 0, 4);
  assert.deepEqual(Array.from(rgb.subarray(0, 12)), [0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255]);
  const t = new Float32Array(3 * 16);
  writeArrayImageToTensor(src, 0, 4, t, 0, IMAGENET_MEAN, IMAGENET_STD, 'NCHW');
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(t[c * 16 + 1] - (63.75 / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]) < 1e-5);
    assert.ok(Math.abs(t[c * 16 + 3] - (1 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]) < 1e-5);
  }
});

test('thumbnails: photos shrink to fit, tiny array images stay tiny, broken files give a placeholder', async () => {
  const paths = [join(FIX, 'base_images/ukbench00120.jpg'), join(FIX, 'mixed_images/ukbench09268_corrupt.jpg')];
  const files: Dataset = { name: 'f', df: new DataFrame({ id: ['a', 'b'] }), pixels: { kind: 'files', paths } };
  const meta = async (png: Buffer) => sharp(png).metadata();
  const m0 = await meta(await thumbnailPng(files, 0));
  assert.deepEqual([m0.format, m0.width, m0.height], ['png', 96, 72]);
  const m1 = await meta(await thumbnailPng(files, 1, 64));
  assert.deepEqual([m1.format, m1.width, m1.height], ['png', 32, 32]);

  const gray: PixelSource = { kind: 'array', width: 28, height: 28, channels: 1, layout: 'interleaved', data: new Uint8Array(2 * 784).map((_, i) => i % 251) };
  const png = await thumbnailPng({ name: 'g', df: new DataFrame({ id: ['x', 'y'] }), pixels: gray }, 1);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [28, 28]);
  assert.equal(data[0], 784 % 251, 'pixels of row 1, not row 0');
  const { planar } = await photoArrays();
  const cifar: PixelSource = { kind: 'array', width: 32, height: 32, channels: 3, layout: 'planar', data: planar };
  const c = await sharp(await thumbnailPng({ name: 'c', df: new DataFrame({ id: ['x'] }), pixels: cifar }, 0)).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([c.info.width, c.info.height, c.info.channels], [32, 32, 3]);
  assert.deepEqual(Array.from(c.data.subarray(0, 3)), [planar[0], planar[1024], planar[2048]]);
});
