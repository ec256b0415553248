// Letterbox bars cut before the agreement as they are (src/verify/trim.ts): a letterboxed copy of a real
// photo lines up with its original again, while two different photos in the same bars still do not agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { trimBorders } from '../../src/verify/trim';
import { trimmedAgreement } from '../../src/verify';
import { halveGray } from '../../src/verify/photometric';

const BASE = join(__dirname, '..', 'fixtures', 'imagededup', 'base_images');
const side = 320;
const gray320 = async (s: sharp.Sharp) => new Uint8Array(await s.resize(side, side, { fit: 'fill' }).grayscale().raw().toBuffer());
/** The photo squeezed to 3/4 of the height inside black bars, as a letterboxed re-upload is, then JPEG q60. */
async function letterboxed(file: string): Promise<sharp.Sharp> {
  const m = await sharp(file).metadata();
  const h = Math.round(m.height! * 0.75);
  const pad = Math.round((m.height! - h) / 2);
  const jpg = await sharp(file).resize(m.width!, h, { fit: 'fill' }).extend({ top: pad, bottom: pad, background: '#000' }).jpeg({ quality: 60 }).toBuffer();
  return sharp(jpg);
}

test('trim: letterbox bars are found and cut; a photo without bars is left alone', async () => {
  const photo = await gray320(sharp(join(BASE, 'ukbench00120.jpg')));
  assert.equal(await trimBorders(photo, side), null);
  const boxed = await gray320(await letterboxed(join(BASE, 'ukbench00120.jpg')));
  const cut = await trimBorders(boxed, side);
  assert.ok(cut, 'bars found');
  assert.equal(cut!.length, side * side);
  assert.equal(await trimBorders(new Uint8Array(side * side).fill(40), side), null, 'a uniform image has nothing to cut');
});

test('trimmed agreement: a letterboxed copy agrees with its original once the bars are cut; different photos in bars do not', async () => {
  const orig = await gray320(sharp(join(BASE, 'ukbench00120.jpg')));
  const boxed = await gray320(await letterboxed(join(BASE, 'ukbench00120.jpg')));
  const h = (g: Uint8Array) => halveGray(g, side, side);
  const asTheyAre = trimmedAgreement(h(orig), h(boxed), side / 2).agreement;
  const cut = trimmedAgreement(h(orig), h((await trimBorders(boxed, side))!), side / 2).agreement;
  assert.ok(asTheyAre < 0.7, `as they are: ${asTheyAre}`);
  assert.ok(cut >= 0.7, `bars cut: ${cut}`);
  for (const other of ['ukbench01380.jpg', 'ukbench09012.jpg', 'ukbench09268.jpg']) {
    const o = (await trimBorders(await gray320(await letterboxed(join(BASE, other))), side))!;
    const a = trimmedAgreement(h((await trimBorders(boxed, side))!), h(o), side / 2).agreement;
    assert.ok(a < 0.5, `${other} in the same bars: ${a}`);
  }
});

/** libvips' trim alone, as trimBorders ran before its pre-check (mayHaveBar): the oracle. */
async function trimByLibvips(gray: Uint8Array): Promise<Buffer | null> {
  try {
    const { data, info } = await sharp(Buffer.from(gray), { raw: { width: side, height: side, channels: 1 } }).trim({ threshold: 14 }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    if (info.width > side * 0.97 && info.height > side * 0.97) return null;
    if (info.width < 8 || info.height < 8) return null;
    return await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).resize(side, side, { fit: 'fill', kernel: 'linear' }).extractChannel(0).raw().toBuffer();
  } catch {
    return null;
  }
}

test('trim: the quick test for bars never changes the result (real photos, bars of 3 to 7 px on each side, near the 3 % limit)', async () => {
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(BASE).filter((f) => f.endsWith('.jpg')).slice(0, 3);
  let cases = 0, withBars = 0;
  for (const f of files) {
    const photo = await gray320(sharp(join(BASE, f)));
    const variants: Uint8Array[] = [photo];
    for (const px of [3, 4, 5, 6, 7]) {
      for (const where of ['left', 'top', 'both-x', 'both-y'] as const) {
        for (const colour of [0, 255]) {
          const g = Uint8Array.from(photo);
          for (let y = 0; y < side; y++) {
            for (let x = 0; x < side; x++) {
              const bar = where === 'left' ? x < px : where === 'top' ? y < px : where === 'both-x' ? x < px || x >= side - px : y < px || y >= side - px;
              if (bar) g[y * side + x] = colour;
            }
          }
          variants.push(g);
        }
      }
    }
    for (const g of variants) {
      const want = await trimByLibvips(g);
      const got = await trimBorders(g, side);
      cases++;
      if (want) withBars++;
      assert.deepEqual(got === null ? null : Buffer.from(got), want, `${f}: same result as libvips alone`);
    }
  }
  assert.ok(withBars > cases / 5 && withBars < cases, `both outcomes exercised: ${withBars} of ${cases} with bars`);
});
