// Widening crowded lists (src/similarity/widen.ts): the widened search of a few rows gives the same lists as the
// exact search of every row at that k, and the widened lists keep each row's own entries (a lifted pHash match
// among them) while the other rows keep theirs, padded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topKOfRows, topKReference, widenLists } from '../../src/similarity';
import type { Neighbors } from '../../src/types';
import { randomUnitVectors } from '../helpers/vectors';


test('topKOfRows: the lists of the asked rows equal those of the exact search of all rows', () => {
  const n = 60, dim = 16, k = 12;
  const v = randomUnitVectors(n, dim, 7);
  const valid = new Uint8Array(n).fill(1);
  valid[5] = 0;
  const all = topKReference(v, n, dim, k, valid);
  const rows = [0, 17, 59];
  const some = topKOfRows(v, n, dim, rows, k, valid);
  assert.equal(some.n, rows.length);
  for (const [r, row] of rows.entries()) {
    assert.deepEqual([...some.indices.subarray(r * k, (r + 1) * k)], [...all.indices.subarray(row * k, (row + 1) * k)], `row ${row}`);
    for (let j = 0; j < k; j++) assert.ok(Math.abs(some.scores[r * k + j] - all.scores[row * k + j]) < 1e-6);
    assert.ok(![...some.indices.subarray(r * k, (r + 1) * k)].includes(5), 'an invalid row is never listed');
    assert.ok(![...some.indices.subarray(r * k, (r + 1) * k)].includes(row), 'a row never lists itself');
  }
  assert.throws(() => topKOfRows(v, n, dim, [60], k), /row 60 is outside 0\.\.59/);
});

test('widenLists: widened rows merge their own entries with the wider search; other rows are padded', () => {
  // Row 0 lists 1 and a lifted hash match 3 (score 0.9, higher than its cosine); row 1 lists 0 and 2.
  const nb: Neighbors = { n: 4, k: 2, indices: Int32Array.from([3, 1, 0, 2, -1, -1, 0, 1]), scores: Float32Array.from([0.9, 0.8, 0.8, 0.5, NaN, NaN, 0.9, 0.3]) };
  const wide: Neighbors = { n: 1, k: 3, indices: Int32Array.from([1, 2, 3]), scores: Float32Array.from([0.8, 0.7, 0.6]) };
  const w = widenLists(nb, [0], wide, 3);
  assert.equal(w.k, 3);
  assert.deepEqual([...w.indices.subarray(0, 3)], [3, 1, 2], 'own entries kept with their scores, the new one after');
  assert.deepEqual([...w.scores.subarray(0, 3)].map((x) => +x.toFixed(2)), [0.9, 0.8, 0.7]);
  assert.deepEqual([...w.indices.subarray(3, 6)], [0, 2, -1], 'row 1 unchanged, padded');
  assert.equal(w.scores[5], -Infinity);
  assert.ok(Number.isNaN(w.scores[6]) && Number.isNaN(w.scores[8]), 'an invalid row keeps NaN scores');
  assert.throws(() => widenLists(nb, [0], wide, 1), /K \(1\) must be a whole number ≥ k \(2\)/);
});
