import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topK, topKSync, topKReference } from '../../src/similarity';
import type { Neighbors } from '../../src/types';
import { NeardupError } from '../../src/errors';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(n: number, dim: number, seed: number, normalise = true): Float32Array {
  const r = rng(seed);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  if (normalise) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
      const inv = 1 / Math.sqrt(s || 1);
      for (let d = 0; d < dim; d++) v[i * dim + d] *= inv;
    }
  }
  return v;
}

/** Small integers: every dot product is exact in float32 whatever the summation order, and ties abound. */
function smallInts(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * dim }, () => Math.floor(r() * 5) - 2);
}

/** Brute force: all scores, full sort by (score desc, index asc), first k, padded with -1/-Infinity. */
function bruteForce(v: Float32Array, n: number, dim: number, k: number, valid?: Uint8Array): Neighbors {
  const indices = new Int32Array(n * k).fill(-1);
  const scores = new Float32Array(n * k).fill(-Infinity);
  const ok = (i: number) => !valid || valid[i] !== 0;
  for (let i = 0; i < n; i++) {
    if (!ok(i)) {
      scores.fill(NaN, i * k, (i + 1) * k);
      continue;
    }
    const cand: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      if (j === i || !ok(j)) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += v[i * dim + d] * v[j * dim + d];
      cand.push([Math.fround(s), j]);
    }
    cand.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let j = 0; j < Math.min(k, cand.length); j++) {
      scores[i * k + j] = cand[j][0];
      indices[i * k + j] = cand[j][1];
    }
  }
  return { n, k, indices, scores };
}

function assertSame(got: Neighbors, want: Neighbors, what: string) {
  assert.equal(got.n, want.n, `${what}: n`);
  assert.equal(got.k, want.k, `${what}: k`);
  assert.deepEqual(Array.from(got.indices), Array.from(want.indices), `${what}: indices`);
  assert.deepEqual(Array.from(got.scores), Array.from(want.scores), `${what}: scores`);
}

test('reference top-k equals brute force on random unit vectors, including k >= n-1', () => {
  for (const [n, dim] of [
    [1, 4],
    [2, 3],
    [5, 1],
    [37, 16],
    [120, 8],
  ]) {
    for (const k of [1, 3, 10, n - 1, n, n + 4]) {
      if (k < 0) continue;
      const v = gaussian(n, dim, n * 1000 + dim);
      assertSame(topKSync(v, n, dim, k), bruteForce(v, n, dim, k), `n=${n} dim=${dim} k=${k}`);
    }
  }
});

test('padding: k larger than n-1 fills the tail with -1 / -Infinity', async () => {
  const v = gaussian(4, 8, 7);
  for (const backend of ['js', 'onnx'] as const) {
    const nb = await topK(v, 4, 8, 6, { backend });
    for (let i = 0; i < 4; i++) {
      const row = Array.from(nb.indices.subarray(i * 6, i * 6 + 6));
      assert.deepEqual(row.slice(3), [-1, -1, -1], `${backend} row ${i}`);
      assert.deepEqual(new Set(row.slice(0, 3)), new Set([0, 1, 2, 3].filter((j) => j !== i)));
      assert.deepEqual(Array.from(nb.scores.subarray(i * 6 + 3, i * 6 + 6)), [-Infinity, -Infinity, -Infinity]);
    }
  }
});

test('onnx tiles equal brute force exactly on tie-heavy integer data, for tile sizes that do not divide n', async () => {
  // threads 1: tiles in this thread; threads 2: tiles on two worker threads ('tiles' parallelism:
  // shared memory, floors read while other tiles are in flight).
  for (const [n, dim, k, blockRows, threads] of [
    [50, 6, 5, 7, 1],
    [64, 3, 10, 16, 1],
    [97, 12, 4, 32, 2],
    [30, 2, 40, 8, 1],
    [200, 20, 8, 4096, 2],
    [300, 16, 6, 45, 2],
  ]) {
    const v = smallInts(n, dim, n + dim);
    const want = bruteForce(v, n, dim, k);
    const parallelism = threads > 1 ? 'tiles' : 'gemm';
    assertSame(await topK(v, n, dim, k, { backend: 'onnx', blockRows, threads, parallelism }), want, `onnx n=${n} T=${blockRows} threads=${threads}`);
    assertSame(topKReference(v, n, dim, k), want, `reference n=${n}`);
  }
});

test('exact duplicate rows: each copy finds the others first, lower index first, score 1', async () => {
  const base = gaussian(20, 32, 99);
  const n = 23;
  const v = new Float32Array(n * 32);
  v.set(base);
  // rows 20, 21, 22 copy rows 5, 5, 11
  v.set(base.subarray(5 * 32, 6 * 32), 20 * 32);
  v.set(base.subarray(5 * 32, 6 * 32), 21 * 32);
  v.set(base.subarray(11 * 32, 12 * 32), 22 * 32);
  for (const backend of ['js', 'onnx'] as const) {
    const nb = await topK(v, n, 32, 3, { backend });
    assert.deepEqual(Array.from(nb.indices.subarray(5 * 3, 5 * 3 + 2)), [20, 21], backend);
    assert.deepEqual(Array.from(nb.indices.subarray(20 * 3, 20 * 3 + 2)), [5, 21], backend);
    assert.deepEqual(Array.from(nb.indices.subarray(21 * 3, 21 * 3 + 2)), [5, 20], backend);
    assert.equal(nb.indices[22 * 3], 11, backend);
    assert.equal(nb.indices[11 * 3], 22, backend);
    assert.ok(Math.abs(nb.scores[20 * 3] - 1) < 1e-5, backend);
    assert.equal(nb.scores[20 * 3], nb.scores[20 * 3 + 1], `${backend}: tie scores equal`);
  }
});

test('invalid rows are never neighbours and their own lists are -1 / NaN', async () => {
  const n = 60;
  const dim = 10;
  const v = smallInts(n, dim, 3);
  const r = rng(11);
  const valid = Uint8Array.from({ length: n }, () => (r() < 0.3 ? 0 : 1));
  valid[0] = 0;
  valid[n - 1] = 0;
  // Skipped samples carry zero vectors in Embeddings; make them zero here too.
  for (let i = 0; i < n; i++) if (!valid[i]) v.fill(0, i * dim, (i + 1) * dim);
  const want = bruteForce(v, n, dim, 6, valid);
  assertSame(topKSync(v, n, dim, 6, valid), want, 'js');
  assertSame(await topK(v, n, dim, 6, { backend: 'onnx', valid, blockRows: 9, threads: 2, parallelism: 'tiles' }), want, 'onnx workers');
  assertSame(await topK(v, n, dim, 6, { backend: 'onnx', valid, blockRows: 9, threads: 2, parallelism: 'gemm' }), want, 'onnx gemm');
  const nb = await topK(v, n, dim, 6, { backend: 'onnx', valid, threads: 1 });
  assertSame(nb, want, 'onnx in-process');
  for (let i = 0; i < n * 6; i++) if (nb.indices[i] >= 0) assert.equal(valid[nb.indices[i]], 1);
  assert.ok(Number.isNaN(nb.scores[0]));
});

test('onnx path matches brute force on real-valued unit vectors (scores within float32 rounding)', async () => {
  const n = 700;
  const dim = 64;
  const k = 10;
  const v = gaussian(n, dim, 2024);
  const want = bruteForce(v, n, dim, k);
  const got = await topK(v, n, dim, k, { backend: 'onnx', blockRows: 256, threads: 2, parallelism: 'tiles' });
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] * v[j * dim + d];
    return s;
  };
  let sameIndex = 0;
  for (let i = 0; i < n * k; i++) {
    const row = Math.floor(i / k);
    assert.ok(Math.abs(got.scores[i] - want.scores[i]) < 1e-5, `score slot ${i}`);
    // The returned neighbour really has the returned score (so any swap is a genuine near-tie).
    assert.ok(Math.abs(dot(row, got.indices[i]) - got.scores[i]) < 1e-5, `index slot ${i}`);
    if (got.indices[i] === want.indices[i]) sameIndex++;
  }
  assert.ok(sameIndex >= n * k * 0.999, `${sameIndex} of ${n * k} indices identical`);
});

test('progress is reported per tile and ends at total', async () => {
  const v = gaussian(100, 8, 5);
  const calls: [number, number][] = [];
  await topK(v, 100, 8, 2, { backend: 'onnx', blockRows: 30, threads: 1, onProgress: (d, t) => calls.push([d, t]) });
  // 4 row blocks -> 4*5/2 = 10 tiles on or above the diagonal
  assert.equal(calls.length, 10);
  assert.deepEqual(calls[calls.length - 1], [10, 10]);
});

test('edge sizes: n = 0, n = 1, k = 0', async () => {
  for (const backend of ['js', 'onnx'] as const) {
    const none = await topK(new Float32Array(0), 0, 8, 5, { backend });
    assert.equal(none.indices.length, 0);
    const one = await topK(gaussian(1, 8, 1), 1, 8, 2, { backend });
    assert.deepEqual(Array.from(one.indices), [-1, -1]);
    const k0 = await topK(gaussian(5, 8, 1), 5, 8, 0, { backend });
    assert.equal(k0.k, 0);
    assert.equal(k0.indices.length, 0);
  }
});

test('bad arguments raise NeardupError naming the parameter', async () => {
  const v = gaussian(4, 8, 1);
  await assert.rejects(topK(v, 5, 8, 2), (e: Error) => e instanceof NeardupError && /n\*dim/.test(e.message));
  await assert.rejects(topK(v, 4, 8, -1), (e: Error) => e instanceof NeardupError && /\bk\b/.test(e.message));
  await assert.rejects(topK(v, 4, 8, 1.5), (e: Error) => e instanceof NeardupError && /\bk\b/.test(e.message));
  await assert.rejects(
    topK(v, 4, 8, 2, { valid: new Uint8Array(2) }),
    (e: Error) => e instanceof NeardupError && /valid/.test(e.message),
  );
  await assert.rejects(
    topK(v, 4, 8, 2, { blockRows: 0 }),
    (e: Error) => e instanceof NeardupError && /blockRows/.test(e.message),
  );
});
