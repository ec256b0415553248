// The PCA used for the approximate index's graph: the subspace iteration finds the leading
// eigenvectors of a matrix whose spectrum is known, and the batched exact re-rank returns the
// same dot products as a plain float64 loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topEigenvectors } from '../../src/similarity/backends/pca';
import { BatchDot } from '../../src/similarity/backends/rerank';

let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), (seed + 0.5) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());

/** A random orthonormal dim × dim basis (rows), by Gram–Schmidt of Gaussian rows. */
function randomBasis(dim: number): Float64Array {
  const u = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) u[i * dim + j] = gauss();
    for (let pass = 0; pass < 2; pass++)
      for (let k = 0; k < i; k++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += u[i * dim + j] * u[k * dim + j];
        for (let j = 0; j < dim; j++) u[i * dim + j] -= s * u[k * dim + j];
      }
    let n = 0;
    for (let j = 0; j < dim; j++) n += u[i * dim + j] ** 2;
    for (let j = 0; j < dim; j++) u[i * dim + j] /= Math.sqrt(n);
  }
  return u;
}

test('topEigenvectors: keeps the top-d second moment of a matrix with a known, slowly decaying spectrum', async () => {
  const dim = 200;
  const d = 40;
  const u = randomBasis(dim);
  // Eigenvalues 1/(i+1)^0.7: a slow decay like CNN features', the hard case for power iteration.
  const lambda = Array.from({ length: dim }, (_, i) => 1 / (i + 1) ** 0.7);
  const c = new Float32Array(dim * dim);
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < dim; b++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += lambda[i] * u[i * dim + a] * u[i * dim + b];
      c[a * dim + b] = s;
    }
  const { basis, kept } = await topEigenvectors(c, dim, d, 1);
  const best = lambda.slice(0, d).reduce((x, y) => x + y, 0);
  assert.ok(kept <= best * (1 + 1e-4), `kept ${kept} cannot exceed the optimum ${best}`);
  assert.ok(kept >= 0.999 * best, `kept ${kept} vs optimum ${best}`);
  // Rows orthonormal.
  for (let i = 0; i < d; i++)
    for (let k = 0; k <= i; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += basis[i * dim + j] * basis[k * dim + j];
      assert.ok(Math.abs(s - (i === k ? 1 : 0)) < 1e-4, `rows ${i}, ${k}: ${s}`);
    }
  // The first component is the first eigenvector (up to sign).
  let s = 0;
  for (let j = 0; j < dim; j++) s += basis[j] * u[j];
  assert.ok(Math.abs(Math.abs(s) - 1) < 1e-3, `first component · first eigenvector = ${s}`);
});

test('BatchDot: each query with its own candidates, holes ignored, equals the float64 dot', async () => {
  const n = 500;
  const dim = 96;
  const v = Float32Array.from({ length: n * dim }, gauss);
  const width = 7;
  const dot = new BatchDot(dim, 5, width, 1);
  const queries = Int32Array.from([3, 499, 0, 250, 17]);
  const cands = Int32Array.from({ length: 5 * width }, (_, i) => (i % 4 === 3 ? -1 : Math.floor(rnd() * n)));
  const sc = await dot.scores(v, queries, 5, cands);
  for (let i = 0; i < 5; i++)
    for (let t = 0; t < width; t++) {
      const j = cands[i * width + t];
      if (j < 0) continue;
      let s = 0;
      for (let k = 0; k < dim; k++) s += v[queries[i] * dim + k] * v[j * dim + k];
      assert.ok(Math.abs(sc[i * width + t] - s) < 1e-4, `query ${queries[i]} candidate ${j}: ${sc[i * width + t]} vs ${s}`);
    }
  await dot.release();
});
