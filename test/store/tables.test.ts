// Lance tables in a local store: embeddings (ids, split, label, status, vectors) and neighbour lists
// written by writeStore come back identical from readStore, so a later scan need not recompute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readStore, writeStore, storageOptionsFromEnv, isRemoteUri } from '../../src/store';
import { searchNeighbors } from '../../src/similarity';
import type { Embeddings } from '../../src/types';

test('writeStore / readStore round trip (10,000 rows: several write batches), skipped rows included', async () => {
  const n = 10000;
  const dim = 16;
  const v = new Float32Array(n * dim);
  let a = 99;
  for (let i = 0; i < v.length; i++) v[i] = ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    for (let d = 0; d < dim; d++) v[i * dim + d] /= Math.sqrt(s);
  }
  v.fill(0, 7 * dim, 8 * dim);
  const e: Embeddings = {
    ids: Array.from({ length: n }, (_, i) => `img/${i}.png`),
    dim,
    vectors: v,
    status: Array.from({ length: n }, (_, i) => (i === 7 ? 'skipped' : 'ok')),
    reasons: Array.from({ length: n }, (_, i) => (i === 7 ? 'not an image' : '')),
    model: 'test-model',
  };
  const valid = Uint8Array.from(e.status, (s) => (s === 'ok' ? 1 : 0));
  const { neighbors, info } = await searchNeighbors(v, n, dim, 5, { valid });
  const splits = e.ids.map((_, i) => (i % 3 ? 'train' : 'test'));
  const labels = e.ids.map((_, i) => (i % 5 ? String(i % 10) : null));
  const uri = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-store-'));
  await writeStore(uri, { embeddings: e, splits, labels, neighbors, search: info });
  const back = await readStore(uri);
  assert.deepEqual(back.embeddings.ids, e.ids);
  assert.deepEqual(back.embeddings.status, e.status);
  assert.deepEqual(back.embeddings.reasons, e.reasons);
  assert.equal(back.embeddings.model, 'test-model');
  assert.deepEqual(back.embeddings.vectors, v);
  assert.deepEqual(back.splits, splits);
  assert.deepEqual(back.labels, labels);
  assert.deepEqual(back.neighbors.indices, neighbors.indices);
  assert.deepEqual(back.neighbors.scores, neighbors.scores);
  assert.deepEqual(back.search, info);
  assert.equal(back.dequantized, false);
  await assert.rejects(readStore(fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-empty-'))), /has no samples table/);
  fs.rmSync(uri, { recursive: true, force: true });
});

test('s3 storage options come from the environment; local paths are not remote', () => {
  assert.deepEqual(storageOptionsFromEnv('s3://b/p', { AWS_ENDPOINT_URL: 'http://127.0.0.1:8333', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' }), {
    aws_endpoint: 'http://127.0.0.1:8333',
    allow_http: 'true',
    aws_access_key_id: 'a',
    aws_secret_access_key: 's',
  });
  assert.deepEqual(storageOptionsFromEnv('/tmp/x', { AWS_ENDPOINT_URL: 'http://x' }), {});
  assert.equal(isRemoteUri('s3://bucket/x'), true);
  assert.equal(isRemoteUri('/tmp/x'), false);
});
