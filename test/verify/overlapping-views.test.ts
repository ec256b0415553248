// Overlapping views of one scene (issue 10, "no unique image removed"): two frames of a panorama, or two crops of
// one photo side by side, share one homography over their overlap, so keypoints alone verify them as copies,
// while each has a part the other lacks. The containment rule (src/verify MIN_CONTAINMENT) asks that one picture
// lie inside the other. Real UKBench photos from imagededup's test data (test/fixtures/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { columnValues } from '../../src/frame';
import { containment, contentInside, INSIDE_GRID } from '../../src/verify/geometric';
import { MIN_CONTAINMENT, HELD_INSIDE, HOLDS_MORE } from '../../src/verify';

const BASE = join(__dirname, '..', 'fixtures', 'imagededup', 'base_images');

test('containment: the share of one frame inside the other under a homography', () => {
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  assert.equal(containment(identity, 320, 320, 320, 320), 1);
  // The second frame shows the first shifted left by half a width: half of each lies in the other.
  assert.equal(containment([1, 0, -160, 0, 1, 0, 0, 0, 1], 320, 320, 320, 320), 0.5);
  // A crop: the first image (the whole picture) maps at twice the size, so only its middle lands in the
  // second; but all of the second lies inside the first, and that is what counts.
  assert.equal(containment([2, 0, -160, 0, 2, -160, 0, 0, 1], 320, 320, 320, 320), 1);
  // Which way: a centred crop to 80 % of each side (A) lies inside its photo (B), which holds more; at 91 % the grid
  // sees the same picture both ways.
  const all = new Uint8Array(INSIDE_GRID * INSIDE_GRID).fill(1);
  const [c80, p80] = contentInside([0.8, 0, 32, 0, 0.8, 32, 0, 0, 1], 320, 320, 320, 320, all, all);
  assert.ok(c80 === 1 && p80 <= HOLDS_MORE && p80 > 0.6, `80 %: [${c80}, ${p80}]`);
  const [c91, p91] = contentInside([0.91, 0, 14.4, 0, 0.91, 14.4, 0, 0, 1], 320, 320, 320, 320, all, all);
  assert.ok(c91 === 1 && p91 > HOLDS_MORE, `91 %: [${c91}, ${p91}]`);
  // Singular, or mapping everything behind the camera: nothing inside.
  assert.equal(containment([0, 0, 0, 0, 0, 0, 0, 0, 1], 320, 320, 320, 320), 0);
  assert.equal(containment([1, 0, 0, 0, 1, 0, 0, 0, -1], 320, 320, 320, 320), 0);
});

test('two overlapping views of one photo are not removed against each other; a crop of a photo still is, and the photo is kept though the crop sorts first', { timeout: 300_000 }, async () => {
  assert.ok(MIN_CONTAINMENT > 0.75 && MIN_CONTAINMENT < 1, `MIN_CONTAINMENT ${MIN_CONTAINMENT}`);
  const dir = mkdtempSync(join(tmpdir(), 'nd-overlap-'));
  try {
    // Left and right windows of three photos, each window two thirds of the width (they share half of each),
    // the right one 8 % brighter and re-encoded, as two exposures of a panorama would be.
    const views = ['ukbench01380', 'ukbench08976', 'ukbench09060'];
    for (const name of views) {
      const src = join(BASE, `${name}.jpg`);
      const { width, height } = await sharp(src).metadata();
      const w = Math.round((width! * 2) / 3);
      await sharp(src).extract({ left: 0, top: 0, width: w, height: height! }).jpeg({ quality: 90 }).toFile(join(dir, `${name}-left.jpg`));
      await sharp(src).extract({ left: width! - w, top: 0, width: w, height: height! }).modulate({ brightness: 1.08 }).jpeg({ quality: 88 }).toFile(join(dir, `${name}-right.jpg`));
    }
    // A photo and a crop of it (the middle 75 % of each side), re-encoded: a copy. Named `-crop`, it sorts before the
    // photo (`-` before `.`); held inside the photo, it is visited after it, so `keep: 'first'` keeps the photo.
    const src = join(BASE, 'ukbench09268.jpg');
    const { width, height } = await sharp(src).metadata();
    await sharp(src).toFile(join(dir, 'ukbench09268.jpg'));
    const cw = Math.round(width! * 0.75), ch = Math.round(height! * 0.75);
    await sharp(src).extract({ left: Math.round((width! - cw) / 2), top: Math.round((height! - ch) / 2), width: cw, height: ch }).jpeg({ quality: 80 }).toFile(join(dir, 'ukbench09268-crop.jpg'));

    const r = await scan(dir, { cacheDir: false });
    const ids = columnValues<string>(r.samples, 'id');
    const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
    const removed = new Map(ids.map((id, i) => [id, dupOf[i]] as const).filter(([, d]) => d !== null));
    assert.equal(removed.get('ukbench09268-crop.jpg'), 'ukbench09268.jpg', `the crop is removed against its photo: ${JSON.stringify([...removed])}`);
    assert.equal(removed.size, 1, `only the crop is removed: ${JSON.stringify([...removed])}`);
    assert.equal(r.summary.verification?.minContainment, MIN_CONTAINMENT);
    // Each pair of views was checked and fitted one homography over its overlap, and rejected on containment.
    const byId = new Map(ids.map((id, i) => [id, i] as const));
    const n = ids.length;
    for (const name of views) {
      const a = byId.get(`${name}-left.jpg`)!, b = byId.get(`${name}-right.jpg`)!;
      const e = [...r.evidencePairs()].find((x) => x.a === Math.min(a, b) && x.b === Math.max(a, b));
      assert.ok(e, `${name}: the two views are candidates (n ${n})`);
      assert.equal(e!.rule, 'rejected', `${name}: ${JSON.stringify(e)}`);
      assert.ok(e!.inliers >= 20 && e!.containment < MIN_CONTAINMENT, `${name}: rejected on containment, not for want of inliers: ${JSON.stringify(e)}`);
    }
    const crop = [...r.evidencePairs()].find((x) => [x.a, x.b].sort().join() === [byId.get('ukbench09268.jpg')!, byId.get('ukbench09268-crop.jpg')!].sort().join());
    assert.ok(crop && crop.rule === 'verified', JSON.stringify(crop));
    if (crop!.inliers >= 0) assert.ok(crop!.containment >= MIN_CONTAINMENT, JSON.stringify(crop));
    assert.ok(crop!.inliers >= 20 && crop!.inside, `verified by keypoints: ${JSON.stringify(crop)}`);
    const cropIsA = crop!.a === byId.get('ukbench09268-crop.jpg');
    const [held, holds] = cropIsA ? crop!.inside! : [crop!.inside![1], crop!.inside![0]];
    assert.ok(held >= HELD_INSIDE && holds <= HOLDS_MORE, `the crop lies inside the photo, which holds more: ${JSON.stringify(crop)}`);
    assert.equal(r.groupOptions().heldInside?.[byId.get('ukbench09268-crop.jpg')!], 1);
    // Without the rule (0), keypoints alone verify the views, as before.
    const off = await scan(dir, { cacheDir: false, verify: { minContainment: 0 } });
    const offRemoved = columnValues<string | null>(off.samples, 'duplicate_of').filter((d) => d !== null).length;
    assert.ok(offRemoved >= 2, `without the rule the views are removed as copies: ${offRemoved} removed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
