// Verification of candidate pairs on real images: a look-alike family (star-field tiles from KStars)
// must not merge, a real copy must still match, and a folder of distinct photos gets zero removals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import { GeometricVerifier, flipGray } from '../../src/verify/geometric';
import { alignedCorrelation, TINY_SEARCH } from '../../src/verify/pixels';
import { alignedAgreement, halveGray, scaleHomography, smoothGray } from '../../src/verify/photometric';
import { columnValues } from '../../src/frame';
import { cosineOfRows } from '../../src/similarity';
import { verifyCandidates, MIN_INLIERS, MEASURED_LOW_BAND } from '../../src/verify';

const FIX = join(__dirname, '..', 'fixtures');
const LOOKALIKE = join(FIX, 'lookalike');
const BASE = join(FIX, 'imagededup', 'base_images');
const MIXED = join(FIX, 'imagededup', 'mixed_images');
const DOCS = join(FIX, 'lookalike-docs');

async function gray(file: string, side: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).resize(side, side, { fit: 'fill' }).grayscale().raw().toBuffer());
}

test('keypoints: a rotated copy has many RANSAC inliers, an unrelated photo and another star field few', async () => {
  const v = await GeometricVerifier.load();
  const f = async (file: string) => v.features(await gray(file, 320), 320, 320);
  const orig = await f(join(MIXED, 'ukbench00120.jpg'));
  const rotated = await f(join(MIXED, 'ukbench00120_rotation.jpg'));
  const other = await f(join(BASE, 'ukbench01380.jpg'));
  assert.ok(orig.count > 100, `ORB found ${orig.count} keypoints`);
  const copy = v.match(orig, rotated);
  const unrelated = v.match(orig, other);
  assert.ok(copy.inliers >= 30, `copy: ${copy.inliers} inliers`);
  assert.ok(unrelated.inliers < 15, `unrelated: ${unrelated.inliers} inliers`);
  const s0 = await f(join(LOOKALIKE, 'starfield-0.jpg'));
  const s1 = await f(join(LOOKALIKE, 'starfield-1.jpg'));
  assert.ok(v.match(s0, s1).inliers < 15, `two star fields: ${v.match(s0, s1).inliers} inliers`);
  // A mirrored copy matches only against the mirrored features.
  const g = await gray(join(MIXED, 'ukbench00120.jpg'), 320);
  const mirrored = v.features(flipGray(g, 320, 320), 320, 320);
  const hflip = await f(join(MIXED, 'ukbench00120_hflip.jpg'));
  assert.ok(v.match(mirrored, hflip).inliers > v.match(orig, hflip).inliers);
});

test('aligned pixels: a 32×32 mirrored copy correlates near 1, a different photo does not', async () => {
  const a = await gray(join(MIXED, 'ukbench00120.jpg'), 32);
  const flipped = await gray(join(MIXED, 'ukbench00120_hflip.jpg'), 32);
  const other = await gray(join(BASE, 'ukbench09012.jpg'), 32);
  const m = alignedCorrelation(a, flipped, 32);
  assert.ok(m.correlation > 0.9 && m.flipped, JSON.stringify(m));
  assert.ok(alignedCorrelation(a, other, 32).correlation < 0.8);
});

test('aligned pixels: 32×32 copies shifted by 4 px or cropped to 80 % and resized back match with the tiny search; look-alikes do not', async () => {
  const file = join(MIXED, 'ukbench00120.jpg');
  const a = await gray(file, 32);
  // Shift by (4, -3) px with the uncovered band repeating the edge (random-crop augmentation with padding).
  const shifted = new Uint8Array(1024);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) shifted[y * 32 + x] = a[Math.min(31, Math.max(0, y + 3)) * 32 + Math.min(31, Math.max(0, x - 4))];
  // A zoomed copy: the 26×26 crop at (3, 4) of the 32×32 image, resized back to 32×32, mirrored.
  const rgb32 = await sharp(file).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const zoomed = new Uint8Array(await sharp(rgb32, { raw: { width: 32, height: 32, channels: 3 } }).extract({ left: 3, top: 4, width: 26, height: 26 }).resize(32, 32, { fit: 'fill' }).flop().grayscale().raw().toBuffer());
  for (const [name, copy] of [['shifted', shifted], ['zoomed', zoomed]] as const) {
    const m = alignedCorrelation(a, copy, 32, TINY_SEARCH);
    assert.ok(m.correlation >= 0.9, `${name}: ${m.correlation}`);
    // The earlier search (±2 px, no crops) missed both.
    assert.ok(alignedCorrelation(a, copy, 32).correlation < 0.9, `${name} with ±2 px`);
  }
  assert.equal(alignedCorrelation(a, zoomed, 32, TINY_SEARCH).flipped, true);
  // Look-alikes: star fields of one sky and unrelated photos stay under the level at 32×32.
  const stars = await Promise.all([0, 1, 2].map((i) => gray(join(LOOKALIKE, `starfield-${i}.jpg`), 32)));
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) assert.ok(alignedCorrelation(stars[i], stars[j], 32, TINY_SEARCH).correlation < 0.9, `starfield ${i}/${j}`);
  for (const f of ['ukbench01380.jpg', 'ukbench09012.jpg']) assert.ok(alignedCorrelation(a, await gray(join(BASE, f), 32), 32, TINY_SEARCH).correlation < 0.9, f);
});

test('scan: star fields that look alike are not removed, a cropped re-encoded copy still is, and pairs carry evidence', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nd-verify-'));
  try {
    for (const f of readdirSync(LOOKALIKE)) copyFileSync(join(LOOKALIKE, f), join(dir, f));
    // The copy: starfield-2 cropped to 85 % and saved as a low-quality JPEG.
    const meta = await sharp(join(LOOKALIKE, 'starfield-2.jpg')).metadata();
    await sharp(join(LOOKALIKE, 'starfield-2.jpg'))
      .extract({ left: 10, top: 8, width: Math.round(meta.width! * 0.85), height: Math.round(meta.height! * 0.85) })
      .jpeg({ quality: 30 })
      .toFile(join(dir, 'z-copy-of-starfield-2.jpg'));
    const off = await scan(dir, { cacheDir: false, verify: false, threshold: 0.8 });
    const r = await scan(dir, { cacheDir: false, threshold: 0.8 });
    const ids = columnValues<string>(r.samples, 'id');
    const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
    const removed = ids.filter((_, i) => dupOf[i] !== null);
    assert.deepEqual(removed.map((id) => [id, dupOf[ids.indexOf(id)]]), [['z-copy-of-starfield-2.jpg', 'starfield-2.jpg']]);
    // Without verification the look-alikes chain at this threshold: the check is what keeps them apart.
    assert.ok(off.summary.to_remove > 1, `cosine alone removed ${off.summary.to_remove}`);
    const pairs = r.pairs;
    assert.ok(pairs.columns.includes('rule') && pairs.columns.includes('inliers') && pairs.columns.includes('cosine'));
    const rules = columnValues<string>(pairs, 'rule');
    assert.ok(rules.every((x) => x === 'verified' || x === 'cosine' || x === 'exact'), rules.join(','));
    assert.ok(r.summary.verification && r.summary.verification.rejected > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no-duplicates control: ten distinct photos and six star fields get zero removals at the defaults', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nd-control-'));
  try {
    for (const f of readdirSync(BASE)) copyFileSync(join(BASE, f), join(dir, f));
    for (const f of readdirSync(LOOKALIKE)) copyFileSync(join(LOOKALIKE, f), join(dir, f));
    const r = await scan(dir, { cacheDir: false });
    assert.equal(r.summary.to_remove, 0);
    assert.equal(columnValues<boolean>(r.samples, 'keep').filter((k) => !k).length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a homography is fitted only where the inliers can reach the level: same verdicts, and an unfitted pair says how many matches it had', { timeout: 300_000 }, async () => {
  // Unit: two star fields have few ratio-test matches; asked for 20 inliers, no homography is fitted.
  const v = await GeometricVerifier.load();
  const f = async (file: string) => v.features(await gray(file, 320), 320, 320);
  const s0 = await f(join(LOOKALIKE, 'starfield-0.jpg'));
  const s1 = await f(join(LOOKALIKE, 'starfield-1.jpg'));
  const all = v.match(s0, s1);
  assert.ok(all.matches >= 4 && all.matches < 20 && all.inliers >= 0, JSON.stringify(all));
  assert.deepEqual(v.match(s0, s1, 20), { matches: all.matches, inliers: -1, coverage: NaN, containment: NaN, homography: null });
  assert.deepEqual(v.match(s0, s1, all.matches), all);
  // Scan-level: the control folder's pairs, checked with every pair fitted (minMatches 4, as before 1 December) and
  // at the default: every verdict is the same; the unfitted pairs had fewer matches than the inliers they needed.
  const dir = mkdtempSync(join(tmpdir(), 'nd-fit-'));
  try {
    for (const x of readdirSync(BASE)) copyFileSync(join(BASE, x), join(dir, x));
    for (const x of readdirSync(LOOKALIKE)) copyFileSync(join(LOOKALIKE, x), join(dir, x));
    const r = await scan(dir, { cacheDir: false, verify: false });
    const cos = (a: number, b: number) => cosineOfRows(r.embeddings, a, b);
    const every = await verifyCandidates(r.dataset, r.neighbors, cos, r.valid, { minMatches: 4, workers: 0 });
    const lazy = await verifyCandidates(r.dataset, r.neighbors, cos, r.valid, { workers: 0 });
    assert.ok(lazy.stats.checked > 10, `${lazy.stats.checked} pairs checked`);
    let unfitted = 0;
    for (const [key, e] of lazy.evidence) {
      const old = every.evidence.get(key)!;
      assert.equal(e.rule, old.rule, `pair ${e.a}-${e.b}`);
      if (e.matches >= 0 && e.inliers < 0) {
        unfitted++;
        assert.ok(e.matches < (e.lowBand ? MEASURED_LOW_BAND.minInliers : MIN_INLIERS), JSON.stringify(e));
        assert.notEqual(e.rule, 'verified');
      }
    }
    assert.ok(unfitted > 0, 'some pair was left unfitted');
    await assert.rejects(verifyCandidates(r.dataset, r.neighbors, cos, r.valid, { minMatches: 3 }), /minMatches must be a whole number ≥ 4/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('photometric agreement: two pages with one layout share keypoints but not content; a re-encoded copy agrees', async () => {
  const v = await GeometricVerifier.load();
  const page = await gray(join(DOCS, 'man-basename.png'), 320);
  const other = await gray(join(DOCS, 'man-dirname.png'), 320);
  const copyFile = await sharp(join(DOCS, 'man-basename.png')).resize({ height: 500 }).jpeg({ quality: 40 }).toBuffer();
  const copy = new Uint8Array(await sharp(copyFile).resize(320, 320, { fit: 'fill' }).grayscale().raw().toBuffer());
  const fp = v.features(page, 320, 320);
  const layout = v.match(fp, v.features(other, 320, 320));
  // The keypoints alone cannot tell: the shared headings and rules give many inliers across the page.
  assert.ok(layout.inliers >= 30 && layout.coverage >= 0.1, `two pages: ${layout.inliers} inliers over ${layout.coverage}`);
  const half = (g: Uint8Array) => halveGray(g, 320, 320);
  const apart = alignedAgreement(half(page), 160, 160, half(other), 160, 160, scaleHomography(layout.homography!, 0.5));
  assert.ok(apart.tiles > 50 && apart.agreeing < 0.5, JSON.stringify(apart));
  const m = v.match(fp, v.features(copy, 320, 320));
  const same = alignedAgreement(half(page), 160, 160, half(copy), 160, 160, scaleHomography(m.homography!, 0.5));
  assert.ok(same.agreeing > 0.8, JSON.stringify(same));
});

test('photometric agreement: images blurred once per image (smoothedA/B) give exactly the per-pair result', async () => {
  const v = await GeometricVerifier.load();
  const page = halveGray(await gray(join(DOCS, 'man-basename.png'), 320), 320, 320);
  const other = halveGray(await gray(join(DOCS, 'man-dirname.png'), 320), 320, 320);
  const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const opts = { smoothedA: smoothGray(page, 160, 160), smoothedB: smoothGray(other, 160, 160) };
  assert.deepEqual(alignedAgreement(page, 160, 160, other, 160, 160, I, opts), alignedAgreement(page, 160, 160, other, 160, 160, I));
  const m = v.match(v.features(await gray(join(DOCS, 'man-basename.png'), 320), 320, 320), v.features(await gray(join(DOCS, 'man-dirname.png'), 320), 320, 320));
  const h = scaleHomography(m.homography!, 0.5);
  const warped = alignedAgreement(page, 160, 160, other, 160, 160, h, opts);
  assert.ok(warped.tiles > 0);
  assert.deepEqual(warped, alignedAgreement(page, 160, 160, other, 160, 160, h));
});

test('scan: pages of one manual are not removed against each other, a re-encoded copy of one still is', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nd-docs-'));
  try {
    for (const f of readdirSync(DOCS)) if (f.endsWith('.png')) copyFileSync(join(DOCS, f), join(dir, f));
    await sharp(join(DOCS, 'man-uname.png')).resize({ height: 500 }).jpeg({ quality: 40 }).toFile(join(dir, 'z-copy-of-uname.jpg'));
    const removedBy = async (verify: object | undefined) => {
      const r = await scan(dir, { cacheDir: false, verify: verify as never });
      const ids = columnValues<string>(r.samples, 'id');
      const dupOf = columnValues<string | null>(r.samples, 'duplicate_of');
      return { r, removed: ids.flatMap((id, i) => (dupOf[i] !== null ? [[id, dupOf[i]]] : [])) };
    };
    const { r, removed } = await removedBy(undefined);
    assert.deepEqual(removed, [['z-copy-of-uname.jpg', 'man-uname.png']]);
    const ev = [...r.pairs.columns];
    assert.ok(ev.includes('agreement'));
    // Keypoints alone, every pair checked: the pages pass, so the photometric check is what keeps them apart.
    const keypointsOnly = await removedBy({ minAgreement: 0, sure: 1 });
    assert.ok(keypointsOnly.removed.length > 1, JSON.stringify(keypointsOnly.removed));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading OpenCV leaves the process error handlers alone: a process that survives an uncaught exception (the kernel) still does', { timeout: 120_000 }, async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    const { GeometricVerifier } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'verify', 'geometric'))});
    process.on('uncaughtException', (e) => console.log('handled: ' + e.message));
    process.on('unhandledRejection', (r) => console.log('handled rejection: ' + r.message));
    GeometricVerifier.load().then(() => {
      setTimeout(() => { throw new Error('stray'); }, 10);
      setTimeout(() => { Promise.reject(new Error('rejected')); }, 20);
      setTimeout(() => console.log('alive'), 200);
    });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-500)}`);
  assert.match(r.stdout, /handled: stray/);
  assert.match(r.stdout, /handled rejection: rejected/);
  assert.match(r.stdout, /alive/);
});
