// Decoding real image files of every supported format to exact-size 8-bit RGB, and the failure paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { decodeForModel, decodeImage, decodeImageFile } from '../../src/images/decode';
import { decodeBmp } from '../../src/images/bmp';
import { decodePnm } from '../../src/images/pnm';

const FIX = resolve(__dirname, '../fixtures/imagededup');

/** Original sizes, read independently of our decoder (PNM/BMP headers checked by hand). */
const EXPECTED: Record<string, [number, number]> = {
  'baboon.pgm': [512, 512],
  'copyleft.tiff': [220, 220],
  'giphy.gif': [314, 400],
  'marbles.pbm': [1152, 813],
  'ukbench09380.bmp': [640, 480],
  'ukbench09380.jpeg': [640, 480],
  'ukbench09380.png': [640, 480],
  'ukbench09380.webp': [640, 480],
  'alpha_channel_image.png': [640, 480],
  'ukbench00120_gray.jpg': [640, 480],
};

function stddev(buf: Uint8Array): number {
  let s = 0, s2 = 0;
  for (const v of buf) { s += v; s2 += v * v; }
  const m = s / buf.length;
  return Math.sqrt(s2 / buf.length - m * m);
}

test('every file in formats_images (plus the alpha PNG and gray JPEG) decodes to size x size RGB', async () => {
  const files = [...readdirSync(join(FIX, 'formats_images')).map((f) => join(FIX, 'formats_images', f)), join(FIX, 'alpha_channel_image.png'), join(FIX, 'ukbench00120_gray.jpg')];
  assert.equal(files.length, 10);
  for (const size of [224, 64]) {
    for (const f of files) {
      const before = statSync(f).mtimeMs;
      const r = await decodeImageFile(f, { size });
      assert.ok(r.ok, `${f}: ${!r.ok && r.reason}`);
      assert.equal(r.rgb.length, size * size * 3, f);
      const name = f.split('/').pop()!;
      assert.deepEqual([r.width, r.height], EXPECTED[name], name);
      assert.ok(stddev(r.rgb) > 10, `${name} decoded to a flat image`);
      assert.equal(statSync(f).mtimeMs, before, 'input file must not be touched');
    }
  }
  // The gray JPEG is really gray: its three channels are equal.
  const g = await decodeImageFile(join(FIX, 'ukbench00120_gray.jpg'), { size: 32 });
  assert.ok(g.ok);
  for (let i = 0; i < g.rgb.length; i += 3) assert.ok(g.rgb[i] === g.rgb[i + 1] && g.rgb[i] === g.rgb[i + 2]);
});

test('the same picture in JPEG, WebP and mislabelled extensions decodes alike', async () => {
  const a = await decodeImageFile(join(FIX, 'formats_images/ukbench09380.jpeg'), { size: 64 });
  const b = await decodeImageFile(join(FIX, 'formats_images/ukbench09380.webp'), { size: 64 });
  assert.ok(a.ok && b.ok);
  let diff = 0;
  for (let i = 0; i < a.rgb.length; i++) diff += Math.abs(a.rgb[i] - b.rgb[i]);
  const mean = diff / a.rgb.length;
  console.log(`mean |jpeg - webp| per channel: ${mean.toFixed(2)}`);
  assert.ok(mean < 6, `JPEG and WebP versions differ by ${mean}`);
});

test('a corrupt JPEG, a text file, an empty file and a missing file give reasons, never throw', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-decode-'));
  const cases: Array<[string, Buffer | null, RegExp]> = [
    [join(FIX, 'mixed_images/ukbench09268_corrupt.jpg'), null, /unsupported or unrecognised image format/],
    [join(dir, 'notes.jpg'), Buffer.from('just some text, not an image\n'), /unsupported or unrecognised/],
    [join(dir, 'empty.png'), Buffer.alloc(0), /empty file/],
    [join(dir, 'missing.jpg'), null, /file not found/],
  ];
  for (const [path, bytes, re] of cases) {
    if (bytes) require('node:fs').writeFileSync(path, bytes);
    const r = await decodeImageFile(path, { size: 32 });
    assert.equal(r.ok, false, path);
    assert.match((r as { reason: string }).reason, re, path);
  }
  // A JPEG cut in half: either decoded (libvips pads the missing rows) or skipped with a reason.
  const half = readFileSync(join(FIX, 'base_images/ukbench00120.jpg')).subarray(0, 20000);
  const r = await decodeImage(Buffer.from(half), { size: 32 });
  if (!r.ok) assert.ok(r.reason.length > 0);
});

test('decompression-bomb guard: too many pixels is refused with a clear reason, before decoding', async () => {
  const r = await decodeImageFile(join(FIX, 'base_images/ukbench00120.jpg'), { size: 32, maxPixels: 100_000 });
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /640x480 \(0\.3 Mpx\), over the 0\.1 Mpx decompression-bomb limit/);
  // A BMP header claiming 60000 x 60000 pixels with no pixel data: refused on the header alone.
  const bomb = Buffer.alloc(54);
  bomb.write('BM', 0);
  bomb.writeUInt32LE(54, 10);
  bomb.writeUInt32LE(40, 14);
  bomb.writeInt32LE(60000, 18);
  bomb.writeInt32LE(60000, 22);
  bomb.writeUInt16LE(1, 26);
  bomb.writeUInt16LE(24, 28);
  const rb = await decodeImage(bomb, { size: 32 });
  assert.equal(rb.ok, false);
  assert.match((rb as { reason: string }).reason, /60000x60000 \(3600\.0 Mpx\), over the 100\.0 Mpx decompression-bomb limit/);
});

test('EXIF orientation is applied', async () => {
  // 60x30: left half red, right half blue; orientation 6 means "rotate 90° clockwise to display".
  const raw = Buffer.alloc(60 * 30 * 3);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 60; x++) raw.set(x < 30 ? [255, 0, 0] : [0, 0, 255], (y * 60 + x) * 3);
  const jpeg = await sharp(raw, { raw: { width: 60, height: 30, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  const r = await decodeImage(jpeg, { size: 32 });
  assert.ok(r.ok);
  const at = (x: number, y: number) => Array.from(r.rgb.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
  // After the rotation the left (red) half is on top and the blue half at the bottom.
  assert.ok(at(16, 4)[0] > 200 && at(16, 4)[2] < 60, `top ${at(16, 4)}`);
  assert.ok(at(16, 28)[2] > 200 && at(16, 28)[0] < 60, `bottom ${at(16, 28)}`);
});

test('transparency is flattened on white; CMYK, 16-bit, palette PNG and AVIF become 8-bit RGB', async () => {
  const clear = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  const a = await decodeImage(clear, { size: 8 });
  assert.ok(a.ok);
  assert.ok(a.rgb.every((v) => v === 255), 'fully transparent pixels become white');

  const orange = { r: 230, g: 120, b: 30 };
  const solid = sharp({ create: { width: 16, height: 16, channels: 3, background: orange } });
  const cmyk = await solid.clone().toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const png16 = await solid.clone().toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const palette = await solid.clone().png({ palette: true, colours: 4 }).toBuffer();
  assert.equal((await sharp(palette).metadata()).isPalette, true);
  const avif = await solid.clone().avif({ quality: 90 }).toBuffer();
  assert.equal((await sharp(avif).metadata()).format, 'heif');
  for (const [name, buf] of [['cmyk', cmyk], ['16-bit', png16], ['palette', palette], ['avif', avif]] as const) {
    const r = await decodeImage(buf, { size: 4 });
    assert.ok(r.ok, name);
    const [R, G, B] = r.rgb;
    assert.ok(Math.abs(R - orange.r) < 25 && Math.abs(G - orange.g) < 25 && Math.abs(B - orange.b) < 25, `${name}: ${[R, G, B]}`);
  }
});

test('BMP reader: 24-bit bottom-up, 32-bit top-down and 8-bit palette files', () => {
  const W = 5, H = 3;
  const px = (x: number, y: number) => [(x * 50) & 255, (y * 80) & 255, (x * y * 20) & 255];
  function bmp(bpp: 8 | 24 | 32, topDown: boolean): Buffer {
    const stride = Math.floor((W * bpp + 31) / 32) * 4;
    const palette = bpp === 8 ? 256 * 4 : 0;
    const off = 54 + palette;
    const b = Buffer.alloc(off + stride * H);
    b.write('BM', 0);
    b.writeUInt32LE(b.length, 2);
    b.writeUInt32LE(off, 10);
    b.writeUInt32LE(40, 14);
    b.writeInt32LE(W, 18);
    b.writeInt32LE(topDown ? -H : H, 22);
    b.writeUInt16LE(1, 26);
    b.writeUInt16LE(bpp, 28);
    if (bpp === 8) for (let i = 0; i < 256; i++) b.set([i, 255 - i, (i * 3) & 255, 0], 54 + 4 * i); // B,G,R,0
    for (let y = 0; y < H; y++) {
      const row = off + (topDown ? y : H - 1 - y) * stride;
      for (let x = 0; x < W; x++) {
        const [r, g, bl] = px(x, y);
        if (bpp === 8) b[row + x] = (x + 5 * y) * 7;
        else b.set([bl, g, r], row + x * (bpp / 8));
      }
    }
    return b;
  }
  for (const [bpp, td] of [[24, false], [32, true]] as const) {
    const img = decodeBmp(bmp(bpp, td));
    assert.deepEqual([img.width, img.height, img.channels], [W, H, 3]);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) assert.deepEqual(Array.from(img.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)), px(x, y), `${bpp} ${x},${y}`);
  }
  const pal = decodeBmp(bmp(8, false));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = (x + 5 * y) * 7;
    assert.deepEqual(Array.from(pal.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)), [(i * 3) & 255, 255 - i, i]);
  }
  assert.throws(() => decodeBmp(bmp(24, false).subarray(0, 60)), /truncated BMP/);
});

test('PNM reader: plain and binary, comments, 16-bit', () => {
  const p2 = decodePnm(Buffer.from('P2\n# a comment\n3 2\n# another\n10\n0 5 10\n10 5 0\n'));
  assert.deepEqual([p2.width, p2.height, p2.channels], [3, 2, 1]);
  assert.deepEqual(Array.from(p2.data), [0, 128, 255, 255, 128, 0]);
  const p3 = decodePnm(Buffer.from('P3 2 1 255 255 0 0 0 0 255\n'));
  assert.deepEqual(Array.from(p3.data), [255, 0, 0, 0, 0, 255]);
  const p1 = decodePnm(Buffer.from('P1\n4 1\n1 0 1 0\n'));
  assert.deepEqual(Array.from(p1.data), [0, 255, 0, 255]);
  const head = Buffer.from('P5 2 1 65535\n');
  const body = Buffer.alloc(4);
  body.writeUInt16BE(65535, 0);
  body.writeUInt16BE(32768, 2);
  assert.deepEqual(Array.from(decodePnm(Buffer.concat([head, body])).data), [255, 128]);
  // The real P4 fixture: 1152 x 813 bits, mostly white paper with black marbles.
  const pbm = decodePnm(readFileSync(join(FIX, 'formats_images/marbles.pbm')));
  assert.deepEqual([pbm.width, pbm.height], [1152, 813]);
  assert.ok(pbm.data.every((v) => v === 0 || v === 255));
});

test('decodeForModel: small images come back at their own size (gray as one channel, EXIF applied, alpha flattened); larger ones resized; errors as reasons', async () => {
  const gray = await sharp(Buffer.alloc(28 * 20, 7).map((_, i) => (i * 13) % 256), { raw: { width: 28, height: 20, channels: 1 } }).png().toBuffer();
  const g = await decodeForModel(gray, { size: 224 });
  assert.ok(g.ok && 'native' in g);
  assert.deepEqual([g.native.width, g.native.height, g.native.channels], [28, 20, 1]);
  assert.equal(g.native.data[5], (5 * 13) % 256);

  // Colour with a transparent pixel, stored rotated: EXIF orientation 6 turns 30x10 into 10x30.
  const rgba = Buffer.alloc(30 * 10 * 4, 0).map((_, i) => (i % 4 === 3 ? 255 : i % 4 === 0 ? 200 : 40));
  rgba[3] = 0; // the first pixel is fully transparent
  const jpegish = await sharp(rgba, { raw: { width: 30, height: 10, channels: 4 } }).png().withMetadata({ orientation: 6 }).toBuffer();
  const c = await decodeForModel(jpegish, { size: 224 });
  assert.ok(c.ok && 'native' in c);
  assert.deepEqual([c.native.width, c.native.height, c.native.channels], [10, 30, 3]);
  assert.ok(c.native.data.some((v, i) => i % 3 === 0 && v === 200));
  assert.ok(c.native.data.some((_, i) => i % 3 === 0 && c.native.data[i] === 255 && c.native.data[i + 1] === 255 && c.native.data[i + 2] === 255), 'the transparent pixel is white');

  const big = await decodeForModel(readFileSync(join(FIX, 'formats_images/ukbench09380.png')), { size: 224 });
  assert.ok(big.ok && 'rgb' in big);
  assert.equal(big.rgb.length, 224 * 224 * 3);
  const bad = await decodeForModel(Buffer.from('not an image'), { size: 224 });
  assert.ok(!bad.ok && /unsupported or unrecognised image format/.test(bad.reason));
  const bomb = await decodeForModel(gray, { size: 224, maxPixels: 100 });
  assert.ok(!bomb.ok && /decompression-bomb limit/.test(bomb.reason));
});
