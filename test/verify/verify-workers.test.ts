// The verification on worker threads: the evidence of every pair must be the same on the calling thread,
// one worker and two (what the families evaluation was measured with), an item that fails stays an
// error of that item only, and a process that scanned with workers exits on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { scan } from '../../src/pipeline/scan';
import type { PairEvidence } from '../../src/verify';
import { ImageStore } from '../../src/verify/tasks';
import { TaskPool } from '../../src/verify/pool';
import { GeometricVerifier } from '../../src/verify/geometric';

const FIX = join(__dirname, '..', 'fixtures');
const ROOT = join(__dirname, '..', '..');

/** Star fields, pages of one manual, ten photos, and copies of some of them (cropped, mirrored, rotated). */
async function folder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nd-vworkers-'));
  for (const sub of ['lookalike', 'lookalike-docs', join('imagededup', 'base_images')]) {
    for (const f of readdirSync(join(FIX, sub))) if (!f.endsWith('.md')) copyFileSync(join(FIX, sub, f), join(dir, f));
  }
  const star = join(FIX, 'lookalike', 'starfield-2.jpg');
  const meta = await sharp(star).metadata();
  await sharp(star).extract({ left: 10, top: 8, width: Math.round(meta.width! * 0.8), height: Math.round(meta.height! * 0.8) }).jpeg({ quality: 40 }).toFile(join(dir, 'z-crop.jpg'));
  await sharp(star).flop().rotate(8, { background: '#000' }).jpeg({ quality: 60 }).toFile(join(dir, 'z-mirror-rotated.jpg'));
  await sharp(join(FIX, 'lookalike-docs', 'man-uname.png')).rotate(5, { background: '#fff' }).png().toFile(join(dir, 'z-page-rotated.png'));
  // Copies the agreement as they are verifies (a recoloured and a blurred one).
  const base = readdirSync(join(FIX, 'imagededup', 'base_images')).filter((f) => /\.jpe?g$/i.test(f)).sort();
  await sharp(join(FIX, 'imagededup', 'base_images', base[0])).grayscale().jpeg({ quality: 50 }).toFile(join(dir, 'z-gray.jpg'));
  await sharp(join(FIX, 'imagededup', 'base_images', base[1])).modulate({ brightness: 1.3, hue: 90 }).blur(2).jpeg({ quality: 50 }).toFile(join(dir, 'z-tint-blur.jpg'));
  return dir;
}

const sorted = (r: { evidencePairs(): IterableIterator<PairEvidence> }) =>
  [...r.evidencePairs()].map((e) => ({ ...e })).sort((x, y) => x.a - y.a || x.b - y.b);

test('verification on 0, 1 and 2 worker threads gives the same evidence for every pair', { timeout: 600_000 }, async () => {
  const dir = await folder();
  const cache = mkdtempSync(join(tmpdir(), 'nd-vworkers-cache-'));
  try {
    // A low threshold puts many pairs in the checked band, so every stage runs: agreement as they are,
    // ORB + RANSAC plain, and the mirrored match.
    const run = async (workers: number) => sorted(await scan(dir, { cacheDir: cache, threshold: 0.3, verify: { workers } }));
    const here = await run(0);
    const one = await run(1);
    const two = await run(2);
    const checked = here.filter((e) => e.rule !== 'cosine');
    const count = (f: (e: PairEvidence) => boolean) => here.filter(f).length;
    console.log(`checked ${checked.length}: as they are ${count((e) => e.rule === 'verified' && e.inliers === -1)}, keypoints ${count((e) => e.inliers >= 0)}, mirrored ${count((e) => e.inliers >= 0 && e.flipped)}, verified ${count((e) => e.rule === 'verified')}, rejected ${count((e) => e.rule === 'rejected')}`);
    assert.ok(checked.length >= 100, `only ${checked.length} checked pairs`);
    assert.ok(here.some((e) => e.rule === 'verified' && e.inliers === -1), 'a pair verified by the agreement as they are');
    assert.ok(here.some((e) => e.inliers >= 0 && !e.flipped), 'a pair matched with keypoints');
    assert.ok(here.some((e) => e.inliers >= 20 && e.rule === 'verified'), 'a pair verified with keypoints');
    assert.ok(here.some((e) => e.rule === 'rejected' && e.inliers >= 0), 'a look-alike rejected after matching');
    assert.deepStrictEqual(one, here);
    assert.deepStrictEqual(two, here);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});

test('OpenCV RANSAC seeds itself on every call: a fit does not depend on the fits before it (what makes any thread order safe)', async () => {
  const cv = ((await GeometricVerifier.load()) as unknown as { cv: any }).cv;
  // 80 matches, 15 % on one homography (with noise), the rest random: the inliers depend on the draws.
  const points = (seed: number): [number[], number[]] => {
    let s = seed;
    const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const a: number[] = [], b: number[] = [];
    for (let i = 0; i < 80; i++) {
      const x = r() * 300, y = r() * 300;
      a.push(x, y);
      if (r() < 0.15) b.push(1.1 * x + 0.1 * y + 5 + 6 * r(), 0.9 * y - 0.05 * x + 3 + 6 * r());
      else b.push(r() * 300, r() * 300);
    }
    return [a, b];
  };
  const fit = ([a, b]: [number[], number[]]) => {
    const n = a.length / 2;
    const s = cv.matFromArray(n, 1, cv.CV_32FC2, a), d = cv.matFromArray(n, 1, cv.CV_32FC2, b), mask = new cv.Mat();
    const h = cv.findHomography(s, d, cv.RANSAC, 5, mask);
    const out = JSON.stringify([Array.from(h.data64F as Float64Array), Array.from(mask.data as Uint8Array)]);
    s.delete(); d.delete(); mask.delete(); h.delete();
    return out;
  };
  let dependsOnDraws = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const p = points(seed);
    const first = fit(p);
    const rotated: [number[], number[]] = [[...p[0].slice(20), ...p[0].slice(0, 20)], [...p[1].slice(20), ...p[1].slice(0, 20)]];
    if (JSON.parse(fit(rotated))[1].filter(Boolean).length !== JSON.parse(first)[1].filter(Boolean).length) dependsOnDraws++;
    for (let k = 0; k < 5; k++) fit(points(1000 + 5 * seed + k));
    assert.equal(fit(p), first, `seed ${seed}: the fit changed after other fits`);
  }
  // The fits do depend on which samples are drawn, so the equality above is not trivial.
  assert.ok(dependsOnDraws >= 5, `only ${dependsOnDraws} of 20 point sets depend on the draws`);
});

test('a task item that fails on a worker is an error of that item only; the pool closes', { timeout: 120_000 }, async () => {
  const store = ImageStore.create(3, 64);
  const pool = new TaskPool(store, { minInliers: 20, minCoverage: 0, minContainment: 0.9, minAgreement: 0.6, minIdentity: 0.8, lowContrast: true }, 1);
  try {
    await pool.ready();
    await pool.map([0, 1, 2], 8, (slots) => ({ kind: 'prepare', slots }));
    // Slot 0's features were never computed: its matches fail; the identity check on the same worker still runs.
    const r = await pool.map([[0, 1], [1, 2]] as [number, number][], 1, (pairs) => ({ kind: 'match', flipped: false, pairs }));
    assert.ok(r.every((x) => x !== null && 'error' in x && /not computed/.test(x.error)), JSON.stringify(r));
    const id = await pool.map([[1, 2]] as [number, number][], 1, (pairs) => ({ kind: 'identity', pairs }));
    assert.deepEqual(id, [{ agreement: 0, flipped: true, verified: false }]);
  } finally {
    await pool.close();
  }
});

test('a process that scanned with verification workers exits on its own', { timeout: 300_000 }, async () => {
  const dir = await folder();
  try {
    const script = `const { scan } = require(${JSON.stringify(join(ROOT, 'src', 'pipeline', 'scan'))});
scan(${JSON.stringify(dir)}, { cacheDir: false, threshold: 0.3, verify: { workers: 2 } }).then((r) => console.log('checked', r.summary.verification.checked));`;
    // No process.exit: if a worker thread stayed alive, the process would not end before the timeout.
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.signal, null, `killed after the timeout: a thread kept the process alive\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /checked \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
