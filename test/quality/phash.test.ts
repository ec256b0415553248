// Perceptual hash on real photos: copies (resized, recompressed, 32x32) stay within a few bits of
// the original; unrelated photos are far apart. Hash pairs found by the block index = brute force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { phash, hamming, hammingAt } from '../../src/phash/hash';
import { hashPairs, hashScore, mergeHashPairs } from '../../src/phash/merge';
import { DEFAULT_THRESHOLD, UNVERIFIED_THRESHOLD } from '../../src/dedup/defaults';
import { decodeImage, decodeImageFile } from '../../src/images/decode';

const FIX = resolve(__dirname, '../fixtures/imagededup');
const BASE = ['00120', '01380', '08976', '08996', '09012', '09040', '09060', '09268', '09348', '09380'].map((n) => resolve(FIX, 'base_images', `ukbench${n}.jpg`));

async function hashOfBytes(bytes: Buffer) {
  const d = await decodeImage(bytes, { size: 224 });
  assert.ok(d.ok);
  return phash(d.rgb, 224, 224, 3);
}
async function hashOfFile(path: string) {
  const d = await decodeImageFile(path, { size: 224 });
  assert.ok(d.ok, path);
  return phash(d.rgb, 224, 224, 3);
}

test('copies of a real photo are within 6 bits; unrelated photos are more than 12 bits apart', async () => {
  const orig = await hashOfFile(BASE[0]);
  const copies = {
    resize: await hashOfFile(resolve(FIX, 'mixed_images', 'ukbench00120_resize.jpg')),
    gray: await hashOfFile(resolve(FIX, 'ukbench00120_gray.jpg')),
    jpeg15: await hashOfBytes(await sharp(BASE[0]).jpeg({ quality: 15 }).toBuffer()),
    tiny32: await hashOfBytes(await sharp(BASE[0]).resize(32, 32, { fit: 'fill' }).png().toBuffer()),
  };
  for (const [name, h] of Object.entries(copies)) assert.ok(hamming(orig, h) <= 6, `${name}: ${hamming(orig, h)} bits`);
  const others = await Promise.all(BASE.map(hashOfFile));
  for (let i = 0; i < others.length; i++) {
    for (let j = i + 1; j < others.length; j++) assert.ok(hamming(others[i], others[j]) > 12, `${i}~${j}: ${hamming(others[i], others[j])}`);
  }
});

test('a mirrored copy does not match by pHash (flips need the embedding views)', async () => {
  const orig = await hashOfFile(BASE[0]);
  const flip = await hashOfFile(resolve(FIX, 'mixed_images', 'ukbench00120_hflip.jpg'));
  assert.ok(hamming(orig, flip) > 12, `${hamming(orig, flip)} bits`);
});

test('hashPairs finds exactly the pairs a brute-force scan finds', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const n = 400;
  const hashes = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && rnd() < 0.3) {
      // A noisy copy of an earlier hash: flip 0–9 random bits.
      const src = Math.floor(rnd() * i);
      hashes[2 * i] = hashes[2 * src];
      hashes[2 * i + 1] = hashes[2 * src + 1];
      const flips = Math.floor(rnd() * 10);
      for (let f = 0; f < flips; f++) {
        const bit = Math.floor(rnd() * 64);
        hashes[2 * i + (bit >> 5)] ^= 1 << (bit & 31);
      }
    } else {
      hashes[2 * i] = Math.floor(rnd() * 2 ** 32);
      hashes[2 * i + 1] = Math.floor(rnd() * 2 ** 32);
    }
  }
  for (const bits of [0, 3, 6, 9]) {
    const brute: string[] = [];
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (hammingAt(hashes, a, hashes, b) <= bits) brute.push(`${a}-${b}`);
    const fast = hashPairs(hashes, bits).map((p) => `${p.a}-${p.b}`);
    assert.deepEqual(fast, brute, `bits ${bits}`);
    assert.ok(brute.length > 0);
  }
});

test('mergeHashPairs lifts matched pairs to their hash score, keeps k and order, respects the cosine guard', () => {
  // 4 rows, dim 2, k = 2.
  const v = new Float32Array([1, 0, 0.6, 0.8, 0, 1, -1, 0]);
  const nb = {
    n: 4,
    k: 2,
    indices: new Int32Array([1, 2, 0, 2, 1, 0, 1, 2]),
    scores: new Float32Array([0.6, 0, 0.6, 0.8, 0.8, 0, 0, -0.6 as number]),
  };
  const merged = mergeHashPairs(nb, [{ a: 0, b: 2, bits: 3 }, { a: 0, b: 3, bits: 1 }], v, 2, -0.5);
  // 0~2 (cos 0) passes the guard of -0.5; 0~3 (cos -1) does not. 3 bits of 6 → the cosine-only default + 0.06.
  const s = Math.fround(hashScore(3));
  assert.equal(s, Math.fround(Math.min(0.99, UNVERIFIED_THRESHOLD + 0.06)));
  assert.ok(s >= UNVERIFIED_THRESHOLD && s < 1);
  assert.deepEqual(Array.from(merged.indices.subarray(0, 2)), [2, 1]);
  assert.deepEqual(Array.from(merged.scores.subarray(0, 2)), [s, Math.fround(0.6)]);
  assert.deepEqual(Array.from(merged.indices.subarray(4, 6)), [0, 1]);
  assert.equal(merged.scores[4], s);
  assert.equal(hashScore(6), UNVERIFIED_THRESHOLD);
  assert.equal(hashScore(0), 0.99);
  assert.deepEqual(Array.from(merged.indices.subarray(6, 8)), [1, 2]); // row 3 untouched
  assert.deepEqual(Array.from(nb.indices.subarray(0, 2)), [1, 2]); // input not modified
});
