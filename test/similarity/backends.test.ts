// The search-backend seam: the registry resolves exact / ann / auto; the neighbour cache never
// serves an exact list for an approximate one (or for other ANN parameters); the LanceDB backend's
// similarities are exact dot products, and on clustered data it finds the exact lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AUTO_ANN_THRESHOLD,
  ExactBackend,
  LanceDbBackend,
  resolveSearch,
  searchNeighbors,
  topKReference,
} from '../../src/similarity';
import type { Neighbors } from '../../src/types';
import * as lancedb from '@lancedb/lancedb';
import { randomUnitVectors } from '../helpers/vectors';

/** n unit vectors in `clusters` tight clusters (seeded): near neighbours exist, as in real embeddings. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const rnd = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0), a / 2 ** 32 - 0.5);
  const centers = Float32Array.from({ length: clusters * dim }, rnd);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const x = centers[c * dim + d] + 0.15 * rnd();
      v[i * dim + d] = x;
      s += x * x;
    }
    for (let d = 0; d < dim; d++) v[i * dim + d] /= Math.sqrt(s);
  }
  return v;
}

function dot(v: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[i * dim + d] * v[j * dim + d];
  return Math.fround(s);
}

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

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

test('resolveSearch: exact, ann = lancedb, auto by size, parameters, unknown names', () => {
  assert.equal(resolveSearch(undefined, 10).name, 'exact');
  assert.equal(resolveSearch('exact', 10).exact, true);
  const ann = resolveSearch('ann', 10);
  assert.equal(ann.name, 'lancedb');
  assert.equal(ann.exact, false);
  assert.equal(resolveSearch('auto', AUTO_ANN_THRESHOLD).name, 'exact');
  assert.equal(resolveSearch('auto', AUTO_ANN_THRESHOLD + 1).name, 'hnsw');
  // auto's parameters go to the backend it selects; a LanceDB parameter above the limit names the choice.
  assert.equal(resolveSearch({ backend: 'auto', params: { candidates: '60' } }, AUTO_ANN_THRESHOLD + 1).params.candidates, 60);
  assert.throws(() => resolveSearch({ backend: 'auto', params: { nprobes: '40' } }, AUTO_ANN_THRESHOLD + 1), /search auto selected hnsw for 250,001 vectors.*unknown hnsw parameter "nprobes".*ann = LanceDB/);
  assert.equal(resolveSearch({ backend: 'auto', params: { nprobes: '40' } }, AUTO_ANN_THRESHOLD).name, 'exact');
  // The sharded search over a store keeps LanceDB for auto (its shards share the store's index).
  assert.equal(resolveSearch('auto', AUTO_ANN_THRESHOLD + 1, {}, 'lancedb').name, 'lancedb');
  assert.equal(resolveSearch({ backend: 'ann', params: { nprobes: '7' } }, 10).params.nprobes, 7);
  assert.throws(() => resolveSearch({ backend: 'faiss' }, 10), /unknown search backend "faiss"/);
  assert.throws(() => new LanceDbBackend({ nprobes: -1 }), /nprobes/);
});

test('cache keys never mix backends: exact and ANN lists (and two ANN settings) are kept apart', async () => {
  const dir = path.join(tmp('neardup-seam-cache-'), 'neighbors');
  const n = 600;
  const dim = 32;
  const v = clustered(n, dim, 40, 3);
  const bins = () => fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).length;
  // Few candidates and one probe: the ANN lists differ from the exact ones, so a mix-up would show.
  const ann = { backend: 'lancedb', params: { nprobes: 1, candidates: 11, partitions: 8 } };
  const e1 = await searchNeighbors(v, n, dim, 10, { search: 'exact', cacheDir: dir });
  assert.notEqual(e1.neighbors.cached, true);
  const a1 = await searchNeighbors(v, n, dim, 10, { search: ann, cacheDir: dir });
  assert.notEqual(a1.neighbors.cached, true, 'an ANN search must not be served the exact list');
  assert.equal(bins(), 2);
  assert.notDeepEqual(a1.neighbors.indices, e1.neighbors.indices, 'this setting is approximate enough to differ');
  const e2 = await searchNeighbors(v, n, dim, 10, { search: 'exact', cacheDir: dir });
  assert.equal(e2.neighbors.cached, true);
  assert.deepEqual(e2.neighbors.indices, e1.neighbors.indices);
  assert.equal(e2.info.backend, 'exact');
  const a2 = await searchNeighbors(v, n, dim, 10, { search: ann, cacheDir: dir });
  assert.equal(a2.neighbors.cached, true);
  assert.deepEqual(a2.neighbors.indices, a1.neighbors.indices);
  assert.deepEqual(a2.info, { backend: 'lancedb', exact: false, params: { index: 'ivf_rq', metric: 'l2', partitions: 8, nprobes: 1, candidates: 11 } });
  const a3 = await searchNeighbors(v, n, dim, 10, { search: { ...ann, params: { ...ann.params, nprobes: 2 } }, cacheDir: dir });
  assert.notEqual(a3.neighbors.cached, true, 'other ANN parameters are another search');
  assert.equal(bins(), 3);
});

test('LanceDB backend: every similarity is the exact cosine, lists sorted, self and skipped rows excluded', async () => {
  const n = 2000;
  const dim = 48;
  const v = clustered(n, dim, 100, 11);
  const valid = new Uint8Array(n).fill(1);
  valid[5] = 0;
  valid[777] = 0;
  const k = 10;
  const ann = await new LanceDbBackend().search(v, n, dim, k, { valid });
  const exact = topKReference(v, n, dim, k, valid);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) {
      assert.ok(Array.from(ann.indices.subarray(i * k, (i + 1) * k)).every((x) => x === -1));
      assert.ok(Number.isNaN(ann.scores[i * k]));
      continue;
    }
    for (let j = 0; j < k; j++) {
      const x = ann.indices[i * k + j];
      assert.ok(x >= 0 && x !== i && valid[x] === 1, `row ${i} slot ${j}: ${x}`);
      assert.equal(ann.scores[i * k + j], dot(v, dim, i, x), 'reported similarity is the exact dot product');
      if (j > 0) assert.ok(ann.scores[i * k + j] <= ann.scores[i * k + j - 1]);
    }
  }
  const r = recall(exact, ann);
  assert.ok(r >= 0.95, `recall@10 vs exact ${r}`);
});

test('exact backend with a query range gives the rows of the full exact search', async () => {
  const n = 400;
  const dim = 16;
  const v = clustered(n, dim, 30, 5);
  const full = topKReference(v, n, dim, 5);
  const part = await new ExactBackend().search(v, n, dim, 5, { queryRange: [100, 250] });
  assert.equal(part.n, 150);
  assert.deepEqual(part.indices, full.indices.subarray(100 * 5, 250 * 5));
  assert.deepEqual(part.scores, full.scores.subarray(100 * 5, 250 * 5));
});

test('LanceDB backend: query batch size and calls in flight change the speed, never the lists', async () => {
  const n = 1200;
  const dim = 32;
  const v = clustered(n, dim, 60, 3);
  const dir = tmp('neardup-lance-batch-');
  try {
    // One table and index for all runs (reuse), so only the query path differs.
    const first = await new LanceDbBackend({ index: 'ivf_flat' }, { uri: dir, queryBatch: 1, concurrency: 1 }).search(v, n, dim, 8);
    for (const [queryBatch, concurrency] of [[256, 1], [100, 3], [7, 4]]) {
      const other = await new LanceDbBackend({ index: 'ivf_flat' }, { uri: dir, reuse: true, queryBatch, concurrency }).search(v, n, dim, 8, { queryRange: [0, n] });
      assert.deepEqual(other.indices, first.indices, `batch ${queryBatch} × ${concurrency}`);
      assert.deepEqual(other.scores, first.scores);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('LanceDB backend: rows written as several Lance fragments, with skipped rows, come back as the right rows', async () => {
  // 8,192 rows go into each Lance write (one fragment each), so 9,000 rows make two fragments and
  // the candidates' Lance row ids (fragment << 32 | offset) must be mapped back to our row numbers;
  // skipped rows shift every later row's position in the table.
  const n = 9000;
  const dim = 8;
  const v = randomUnitVectors(n, dim, 7);
  const valid = new Uint8Array(n).fill(1);
  for (const i of [0, 3, 4000, 8191, 8192, 8500]) valid[i] = 0;
  // A flat index probed in every partition: the candidates hold the exact top-k, so the lists must equal the exact ones.
  const ann = await new LanceDbBackend({ index: 'ivf_flat', partitions: 4, nprobes: 4, candidates: 20 }).search(v, n, dim, 5, { valid, queryRange: [8000, 8400] });
  const exact = await new ExactBackend().search(v, n, dim, 5, { valid, queryRange: [8000, 8400] });
  assert.deepEqual(ann.indices, exact.indices);
  assert.deepEqual(ann.scores, exact.scores);
});

test('LanceDB backend: ivf_rq index; k-means iterations and sample rate are in the parameters (hence the cache key)', async () => {
  const n = 2000;
  const dim = 48;
  const v = clustered(n, dim, 100, 11);
  const b = new LanceDbBackend({ index: 'ivf_rq', maxIterations: 10, sampleRate: 64 });
  assert.deepEqual(b.params, { index: 'ivf_rq', metric: 'l2', partitions: 0, nprobes: 20, candidates: 40, maxIterations: 10, sampleRate: 64 });
  const r = recall(topKReference(v, n, dim, 10), await b.search(v, n, dim, 10));
  assert.ok(r >= 0.95, `recall@10 vs exact ${r}`);
  assert.throws(() => new LanceDbBackend({ index: 'ivf_xx' as never }), /ivf_rq/);
  assert.throws(() => new LanceDbBackend({ sampleRate: 1.5 }), /sampleRate/);
});

test('LanceDB backend: a stored index of another metric (dot, from earlier versions) is rebuilt, not reused', async () => {
  const n = 1000;
  const dim = 16;
  const v = clustered(n, dim, 50, 9);
  const dir = tmp('neardup-lance-metric-');
  try {
    await new LanceDbBackend({ index: 'ivf_flat' }, { uri: dir }).search(v, n, dim, 5);
    const db = await lancedb.connect(dir);
    const t = await db.openTable('vectors');
    await t.createIndex('vector', { config: lancedb.Index.ivfFlat({ numPartitions: 8, distanceType: 'dot' }), replace: true });
    const metric = async () => (await t.listIndices()).map((x) => (x as { indexDetails?: { metric_type?: string } }).indexDetails?.metric_type);
    assert.deepEqual(await metric(), ['DOT']);
    const again = await new LanceDbBackend({ index: 'ivf_flat' }, { uri: dir, reuse: true }).search(v, n, dim, 5);
    await t.checkoutLatest();
    assert.deepEqual(await metric(), ['L2']);
    assert.equal(again.n, n);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
