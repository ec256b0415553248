// Low-contrast images (issue 10, textures): FAST at its default threshold finds a few dozen corners on smooth
// ice, too few for RANSAC to confirm a crop or a rotation of it; the detector's low-contrast fallback
// (src/verify/geometric.ts, LOW_CONTRAST_FAST_THRESHOLD) finds enough, and two different ice textures still do
// not match. Real ground textures of Scorched3D (test/fixtures/textures/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { GeometricVerifier } from '../../src/verify/geometric';
import { columnValues } from '../../src/frame';

const TEX = join(__dirname, '..', 'fixtures', 'textures');
const ICE = join(TEX, 'tex-ice-texture3.jpg');

/** A crop keeping 84 % × 88 % of the picture, re-encoded at JPEG quality 15 (the benchmark's crop+jpeg kind). */
async function cropJpeg(file: string): Promise<Buffer> {
  return sharp(file).extract({ left: 31, top: 12, width: 269, height: 282 }).jpeg({ quality: 15 }).toBuffer();
}
/** Rotated by 7° with black corners (the benchmark's rotate kind). */
async function rotated(file: string): Promise<Buffer> {
  return sharp(file).rotate(7, { background: '#000000' }).jpeg({ quality: 90 }).toBuffer();
}
async function gray(input: string | Buffer): Promise<Uint8Array> {
  return new Uint8Array(await sharp(input).resize(320, 320, { fit: 'fill' }).grayscale().raw().toBuffer());
}

test('keypoints on smooth ice: the low-contrast fallback confirms a crop that the default threshold cannot, and two ice textures still do not match', async () => {
  const v = await GeometricVerifier.load();
  const plain = await GeometricVerifier.load({ lowContrastThreshold: false });
  const orig = await gray(ICE);
  const copy = await gray(await cropJpeg(ICE));
  const before = plain.match(plain.features(orig, 320, 320), plain.features(copy, 320, 320));
  const fo = v.features(orig, 320, 320);
  assert.ok(plain.features(orig, 320, 320).count < 250, 'the ice texture is low-contrast for FAST at 20');
  assert.ok(fo.count >= 250, `fallback: ${fo.count} keypoints`);
  const after = v.match(fo, v.features(copy, 320, 320));
  // What the lower band asks (src/verify DEFAULT_LOW_BAND): at least 50 inliers over at least 0.2 of each image.
  assert.ok(after.inliers >= 50 && after.coverage >= 0.2, `crop with the fallback: ${after.inliers} inliers, coverage ${after.coverage.toFixed(2)}`);
  assert.ok(before.inliers < 20, `crop without it: ${before.inliers} inliers (the band's least is 20)`);
  for (const other of ['tex-ice-texture0.jpg', 'tex-ice-texture1.jpg']) {
    const m = v.match(fo, v.features(await gray(join(TEX, other)), 320, 320));
    assert.ok(m.inliers < 15, `ice texture3 vs ${other}: ${m.inliers} inliers`);
  }
  // Two different low-contrast textures, both described at the fallback's threshold, still do not match.
  const snow = await gray(join(TEX, 'tex-snow-texture4.jpg'));
  assert.ok(plain.features(snow, 320, 320).count < 250, 'the snow texture is low-contrast too');
  const both = v.match(fo, v.features(snow, 320, 320));
  assert.ok(both.inliers < 15, `ice vs snow, both at the fallback: ${both.inliers} inliers`);
  // An image with enough corners is described exactly as OpenCV's default ORB describes it.
  const sand = await gray(join(TEX, 'tex-sand-texture3.jpg'));
  const cv = require('@techstark/opencv-js');
  const img = new cv.Mat(320, 320, cv.CV_8UC1);
  const kps = new cv.KeyPointVector();
  const des = new cv.Mat();
  const mask = new cv.Mat();
  const orb = new cv.ORB(500);
  try {
    img.data.set(sand);
    orb.detectAndCompute(img, mask, kps, des);
    assert.ok(des.rows >= 250, `sand: ${des.rows} keypoints at FAST 20`);
    assert.deepEqual(v.features(sand, 320, 320).descriptors, Uint8Array.from(des.data));
  } finally {
    img.delete(); kps.delete(); des.delete(); mask.delete(); orb.delete();
  }
});

test('scan: copies of a low-contrast ice texture are removed, the other ice and sand textures are not', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neardup-ice-'));
  try {
    for (const f of ['tex-ice-texture3.jpg', 'tex-ice-texture0.jpg', 'tex-ice-texture1.jpg', 'tex-sand-texture3.jpg', 'tex-sand-texture4.jpg', 'tex-snow-texture4.jpg']) copyFileSync(join(TEX, f), join(dir, f));
    await sharp(await cropJpeg(ICE)).toFile(join(dir, 'tex-ice-texture3__crop-jpeg.jpg'));
    await sharp(await rotated(ICE)).toFile(join(dir, 'tex-ice-texture3__rotate.jpg'));
    // One worker thread: the setting must reach the workers, not only the calling thread.
    const r = await scan(dir, { cacheDir: false, verify: { workers: 1 } });
    const ids = columnValues<string>(r.samples, 'id');
    const keep = columnValues<boolean>(r.samples, 'keep');
    const of = columnValues<string | null>(r.samples, 'duplicate_of');
    const removed = ids.filter((_, i) => !keep[i]).sort();
    assert.deepEqual(removed, ['tex-ice-texture3__crop-jpeg.jpg', 'tex-ice-texture3__rotate.jpg']);
    for (let i = 0; i < ids.length; i++) if (!keep[i]) assert.equal(of[i], 'tex-ice-texture3.jpg');
    // Without the fallback (as before 1 December) the crop is not confirmed.
    const plain = await scan(dir, { cacheDir: false, verify: { lowContrast: false, workers: 1 } });
    const plainKeep = columnValues<boolean>(plain.samples, 'keep');
    assert.equal(plainKeep[ids.indexOf('tex-ice-texture3__crop-jpeg.jpg')], true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
