/**
 * Small PNG thumbnails for the explorer widget and reports. Images are only ever shrunk: a 28x28
 * Fashion-MNIST digit stays 28x28 (the browser upscales it with `image-rendering: pixelated`), which
 * keeps thumbnails tiny and honest about the real resolution.
 */
import sharp from 'sharp';
import type { Dataset } from '../types';
import { openImage } from './decode';
import { arrayPixels, readEncoded } from './source';
import { rawImage } from './array';

/** A neutral grey placeholder, used when a file cannot be decoded. */
async function placeholder(side: number): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toBuffer();
}

/**
 * PNG bytes of row `row` of `ds`, fitted inside `maxSide x maxSide` (never enlarged). Undecodable
 * files give a grey square instead of throwing, so a gallery still renders.
 */
export async function thumbnailPng(ds: Dataset, row: number, maxSide = 96): Promise<Buffer> {
  const px = arrayPixels(ds.pixels);
  const resize = { width: maxSide, height: maxSide, fit: 'inside' as const, withoutEnlargement: true };
  if (px) {
    const { width, height, channels, layout } = px;
    let raw = rawImage(px, row);
    if (layout === 'planar' && channels === 3) {
      const hw = width * height;
      const inter = Buffer.alloc(hw * 3);
      for (let i = 0; i < hw; i++) {
        inter[3 * i] = raw[i]; inter[3 * i + 1] = raw[hw + i]; inter[3 * i + 2] = raw[2 * hw + i];
      }
      raw = inter;
    }
    return sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { raw: { width, height, channels } })
      .resize(resize)
      .png({ compressionLevel: 6 })
      .toBuffer();
  }
  const file = await readEncoded(ds.pixels, row);
  if (!file.ok) return placeholder(Math.min(maxSide, 32));
  const opened = await openImage(file.bytes);
  if (!opened.ok) return placeholder(Math.min(maxSide, 32));
  try {
    return await opened.image.resize(resize).flatten({ background: { r: 255, g: 255, b: 255 } }).toColourspace('srgb').png().toBuffer();
  } catch {
    return placeholder(Math.min(maxSide, 32));
  }
}
