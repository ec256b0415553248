// The USearch HNSW backend behind the seam: on the bundled 3,000 real Fashion-MNIST images it
// finds the exact top-10 lists and duplicate pairs, every similarity is the exact cosine,
// summary.json records it, its parameters are in the cache key, and bad parameters are refused
// with an error naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scan, writeScanOutputs } from '../../src/pipeline';
import { HnswBackend, resolveSearch, searchNeighbors, topKReference } from '../../src/similarity';
import { NeardupError } from '../../src/errors';
import type { Neighbors } from '../../src/types';
import { randomUnitVectors } from '../helpers/vectors';

let exactScan: ReturnType<typeof scan> | null = null;
/** The bundled sample scanned with the exact search (once per file). */
const exactSample = () => (exactScan ??= scan('sample', { search: 'exact' }));

/** Fraction of the exact lists' (row, neighbour) pairs that the other lists contain. */
function recall(exact: Neighbors, other: Neighbors): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < exact.n; i++) {
    const mine = new Set(Array.from(other.indices.subarray(i * other.k, (i + 1) * other.k)));
    for (let j = 0; j < exact.k; j++) {
      const x = exact.indices[i * exact.k + j];
      if (x < 0) continue;
      total++;
      if (mine.has(x)) hit++;
    }
  }
  return hit / total;
}

test('scan sample with search hnsw: exact top-10 recall ≥ 0.95, same duplicate pairs, exact similarities, summary records it', async () => {
  const exact = await exactSample();
  const hnsw = await scan('sample', { search: 'hnsw' });
  assert.equal(hnsw.summary.search.backend, 'hnsw');
  assert.equal(hnsw.summary.search.exact, false);
  assert.equal(hnsw.summary.search.params.engine, 'usearch');
  assert.equal(hnsw.summary.search.params.quantization, 'i8'); // the default since docs/scale.md run 11
  assert.equal(hnsw.summary.search.params.pcaDims, 256);
  assert.equal(hnsw.summary.search.params.repair, 'symmetric+rescue');
  const r = recall(exact.neighbors, hnsw.neighbors);
  assert.ok(r >= 0.95, `recall@10 of the exact lists: ${r}`);
  const key = (a: number, b: number) => `${a}-${b}`;
  const pe = exact.pairIndices;
  const ph = hnsw.pairIndices;
  const found = new Set(Array.from({ length: ph.a.length }, (_, i) => key(ph.a[i], ph.b[i])));
  let hit = 0;
  for (let i = 0; i < pe.a.length; i++) if (found.has(key(pe.a[i], pe.b[i]))) hit++;
  assert.ok(pe.a.length > 50, `the sample has real near-duplicates (${pe.a.length} pairs)`);
  assert.ok(hit / pe.a.length >= 0.99, `hnsw found ${hit} of ${pe.a.length} duplicate pairs`);
  const v = hnsw.embeddings.vectors;
  const dim = hnsw.embeddings.dim;
  const nb = hnsw.neighbors;
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < nb.k; j++) {
      const x = nb.indices[i * nb.k + j];
      if (x < 0) continue;
      assert.notEqual(x, i, 'self is never a neighbour');
      let s = 0;
      for (let d = 0; d < dim; d++) s += v[i * dim + d] * v[x * dim + d];
      assert.ok(Math.abs(nb.scores[i * nb.k + j] - s) < 1e-6, `row ${i} rank ${j}: ${nb.scores[i * nb.k + j]} vs exact ${s}`);
      if (j > 0) assert.ok(nb.scores[i * nb.k + j] <= nb.scores[i * nb.k + j - 1], 'descending');
    }
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-scan-hnsw-'));
  await writeScanOutputs(hnsw, out);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.search, hnsw.summary.search);
  fs.rmSync(out, { recursive: true, force: true });
});

test('hnsw: skipped rows are never neighbours and get empty lists; a query range gives those rows', async () => {
  const n = 400;
  const dim = 16;
  const v = randomUnitVectors(n, dim, 7);
  const valid = new Uint8Array(n).fill(1);
  valid[3] = 0;
  valid[250] = 0;
  const be = new HnswBackend({ quantization: 'f32', candidates: 40 });
  const nb = await be.search(v, n, dim, 5, { valid });
  const ex = topKReference(v, n, dim, 5, valid);
  assert.ok(recall(ex, nb) >= 0.95, `recall ${recall(ex, nb)}`);
  for (let i = 0; i < n * 5; i++) assert.ok(nb.indices[i] !== 3 && nb.indices[i] !== 250);
  assert.deepEqual(Array.from(nb.indices.subarray(3 * 5, 4 * 5)), [-1, -1, -1, -1, -1]);
  const part = await be.search(v, n, dim, 5, { valid, queryRange: [100, 150] });
  assert.equal(part.n, 50);
  assert.ok(recall({ ...ex, n: 50, indices: ex.indices.subarray(500, 750) } as Neighbors, part) >= 0.95);
  // A range of ONE row: USearch answers a one-vector block as a single query (no `counts`); it used
  // to throw "Cannot read properties of undefined (reading '0')" here, and at random when a rescue left one row.
  const one = await be.search(v, n, dim, 5, { valid, queryRange: [120, 121] });
  assert.equal(one.n, 1);
  assert.equal(one.indices[0], ex.indices[120 * 5], 'the nearest neighbour of row 120');
  assert.ok(recall({ ...ex, n: 1, indices: ex.indices.subarray(600, 605) } as Neighbors, one) >= 0.8);
});

test('hnsw: parameters are in the cache key, bad parameters are refused naming them', async () => {
  assert.equal(resolveSearch('hnsw', 10).name, 'hnsw');
  assert.equal(resolveSearch({ backend: 'hnsw', params: { candidates: '30', quantization: 'f16' } }, 10).params.candidates, 30);
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { connectivity: '1' } }, 10), (e: unknown) => e instanceof NeardupError && e.code === 'invalid_argument' && /hnsw connectivity/.test(e.message));
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { quantization: 'b2' } }, 10), /hnsw quantization must be one of i8, f16, f32, got "b2"/);
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { candidates: 'many' } }, 10), /hnsw candidates/);
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { nprobes: '3' } }, 10), /unknown hnsw parameter "nprobes"/);
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { pcaDims: '-8' } }, 10), /hnsw pcaDims must be an integer ≥ 0, got -8/);
  assert.throws(() => resolveSearch({ backend: 'hnsw', params: { pcaSample: '0' } }, 10), /hnsw pcaSample must be an integer ≥ 1, got 0/);
  assert.notDeepEqual(resolveSearch({ backend: 'hnsw', params: { pcaDims: '64' } }, 10).params, new HnswBackend().params, 'pcaDims is in the cache key');
  // Threads change the speed, not the parameters of the result.
  assert.deepEqual(resolveSearch({ backend: 'hnsw', params: { threads: '1' } }, 10).params, new HnswBackend().params);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-hnsw-cache-'));
  const n = 300;
  const dim = 8;
  const v = new Float32Array(n * dim).map((_, i) => Math.sin(i * 0.37));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    for (let d = 0; d < dim; d++) v[i * dim + d] /= Math.sqrt(s);
  }
  const first = await searchNeighbors(v, n, dim, 5, { search: { backend: 'hnsw', params: { candidates: 20 } }, cacheDir: dir });
  assert.equal(first.neighbors.cached, undefined);
  const again = await searchNeighbors(v, n, dim, 5, { search: { backend: 'hnsw', params: { candidates: 20 } }, cacheDir: dir });
  assert.equal(again.neighbors.cached, true);
  const other = await searchNeighbors(v, n, dim, 5, { search: { backend: 'hnsw', params: { candidates: 21 } }, cacheDir: dir });
  assert.notEqual(other.neighbors.cached, true, 'other candidates: not served from the cache');
  const exact = await searchNeighbors(v, n, dim, 5, { search: 'exact', cacheDir: dir });
  assert.notEqual(exact.neighbors.cached, true, 'exact never served the hnsw lists');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('hnsw: near-twin pairs in a sparse graph are found although the graph cannot reach either row (real vectors)', async () => {
  // The bundled sample's 3,000 real MobileNetV2 vectors plus 300 planted near-twins (noise of norm
  // 0.05: cosine ≈ 0.999). A sparse graph (M 4, full 1280 dims) leaves many rows without an
  // incoming link: they do not even find themselves. Their twin pairs must still be in the lists.
  const res = await exactSample();
  const base = res.embeddings.vectors;
  const dim = res.embeddings.dim;
  const m = res.embeddings.vectors.length / dim;
  const t = 300;
  const n = m + t;
  const v = new Float32Array(n * dim);
  v.set(base.subarray(0, m * dim));
  let a = 11;
  const rnd = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0), a / 2 ** 32);
  const pairs: [number, number][] = [];
  for (let r = 0; r < t; r++) {
    const i = Math.floor(rnd() * m);
    const z = Float32Array.from({ length: dim }, () => rnd() - 0.5);
    const zn = Math.hypot(...z);
    let s = 0;
    for (let d = 0; d < dim; d++) s += (v[(m + r) * dim + d] = v[i * dim + d] + (0.05 * z[d]) / zn) ** 2;
    for (let d = 0; d < dim; d++) v[(m + r) * dim + d] /= Math.sqrt(s);
    pairs.push([i, m + r]);
  }
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = i < m ? res.valid[i] : res.valid[pairs[i - m][0]];
  const be = new HnswBackend({ quantization: 'f32', pcaDims: 0, connectivity: 4, expansionAdd: 16, expansionSearch: 16, candidates: 10 });
  const nb = await be.search(v, n, dim, 10, { valid });
  assert.ok(be.stats.unreachable[0] > 20, `the sparse graph leaves rows unreachable (${be.stats.unreachable.join(' -> ')})`);
  let found = 0;
  let total = 0;
  const has = (i: number, j: number) => nb.indices.subarray(i * 10, (i + 1) * 10).includes(j);
  for (const [i, j] of pairs) {
    if (!valid[i]) continue;
    total++;
    if (has(i, j) || has(j, i)) found++;
  }
  // Issue 13's goal for duplicate pairs is ≥ 0.99. In this M 4 graph 1 pair of 300 was missed in
  // 3 of 6 runs (graph order varies with the threads): a twin that finds itself but whose search
  // stays out of its region, beside an unreachable twin. The graph alone (USearch, same settings,
  // no repair) found 291–295 of the 300 pairs in 3 runs, so this fails without the repair.
  assert.ok(found >= 0.99 * total, `planted twin pairs found: ${found}/${total}`);
});
