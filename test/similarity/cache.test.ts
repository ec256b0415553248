// The neighbour cache: a rerun on the same vectors reads the lists back; anything that changes the
// result (a vector, k, the valid mask) misses; a damaged file is recomputed; an unwritable folder
// never breaks the search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { topK, topKReference } from '../../src/similarity';

function unitVectors(n: number, dim: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const v = new Float32Array(n * dim);
  for (let i = 0; i < v.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    v[i] = a / 2 ** 32 - 0.5;
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i * dim + d] ** 2;
    for (let d = 0; d < dim; d++) v[i * dim + d] /= Math.sqrt(s);
  }
  return v;
}

const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin')) : []);

test('topK with a cache folder: the rerun reads the same lists back; a changed vector, k or mask misses', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-knn-cache-')), 'neighbors');
  const n = 300;
  const dim = 24;
  const v = unitVectors(n, dim, 7);
  const first = await topK(v, n, dim, 5, { cacheDir: dir, backend: 'onnx' });
  assert.notEqual(first.cached, true);
  assert.equal(files(dir).length, 1);
  const again = await topK(v, n, dim, 5, { cacheDir: dir, backend: 'onnx' });
  assert.equal(again.cached, true);
  assert.deepEqual(again.indices, first.indices);
  assert.deepEqual(again.scores, first.scores);
  const ref = topKReference(v, n, dim, 5);
  assert.deepEqual(again.indices, ref.indices);

  const moved = v.slice();
  moved[dim * 17] += 1e-3;
  assert.notEqual((await topK(moved, n, dim, 5, { cacheDir: dir })).cached, true, 'one changed value misses');
  assert.notEqual((await topK(v, n, dim, 4, { cacheDir: dir })).cached, true, 'another k misses');
  const valid = new Uint8Array(n).fill(1);
  valid[3] = 0;
  const masked = await topK(v, n, dim, 5, { cacheDir: dir, valid });
  assert.notEqual(masked.cached, true, 'another valid mask misses');
  assert.equal(masked.indices[3 * 5], -1);
  assert.equal(files(dir).length, 4);
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left behind');
});

test('a truncated or foreign cache file is ignored and rewritten; an unwritable cache folder still returns the lists', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-knn-cache-'));
  const dir = path.join(root, 'neighbors');
  const n = 120;
  const dim = 16;
  const v = unitVectors(n, dim, 11);
  const first = await topK(v, n, dim, 3, { cacheDir: dir });
  const [file] = files(dir);
  const full = fs.readFileSync(path.join(dir, file));
  fs.writeFileSync(path.join(dir, file), full.subarray(0, full.length - 10));
  const fromShort = await topK(v, n, dim, 3, { cacheDir: dir });
  assert.notEqual(fromShort.cached, true);
  assert.deepEqual(fromShort.indices, first.indices);
  assert.deepEqual(fs.readFileSync(path.join(dir, file)), full, 'the damaged file was rewritten whole');
  const foreign = Buffer.from(full);
  foreign.write('XXXXXXXX', 0);
  fs.writeFileSync(path.join(dir, file), foreign);
  assert.notEqual((await topK(v, n, dim, 3, { cacheDir: dir })).cached, true);

  const blocked = path.join(root, 'a-file');
  fs.writeFileSync(blocked, 'not a folder');
  const nb = await topK(v, n, dim, 3, { cacheDir: path.join(blocked, 'neighbors') });
  assert.deepEqual(nb.indices, first.indices);
  fs.rmSync(root, { recursive: true, force: true });
});
