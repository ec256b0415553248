import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataFrame } from 'danfojs-node';
import { topK, cosine, neighborsOf, neighborColumns, withNeighborColumns } from '../../src/similarity';
import type { Embeddings } from '../../src/types';
import { NeardupError } from '../../src/errors';

/** Five 3-d unit vectors: b is close to a, c is a's exact copy, e was skipped (zero vector). */
function tiny(): Embeddings {
  const raw = [
    [1, 0, 0],
    [0.8, 0.6, 0],
    [1, 0, 0],
    [0, 0, 1],
    [0, 0, 0],
  ];
  return {
    ids: ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'],
    dim: 3,
    vectors: Float32Array.from(raw.flat()),
    status: ['ok', 'ok', 'ok', 'ok', 'skipped'],
    reasons: ['', '', '', '', 'corrupt JPEG'],
    model: 'test',
  };
}
const validOf = (e: Embeddings) => Uint8Array.from(e.status, (s) => (s === 'ok' ? 1 : 0));

test('cosine of any pair, NaN for a skipped sample, error naming an unknown id', () => {
  const e = tiny();
  assert.ok(Math.abs(cosine(e, 'a.jpg', 'b.jpg') - 0.8) < 1e-6);
  assert.equal(cosine(e, 'a.jpg', 'd.jpg'), 0);
  assert.ok(Math.abs(cosine(e, 'a.jpg', 'c.jpg') - 1) < 1e-6);
  assert.ok(Number.isNaN(cosine(e, 'a.jpg', 'e.jpg')));
  assert.throws(() => cosine(e, 'a.jpg', 'nope.png'), (err: Error) => err instanceof NeardupError && /nope\.png/.test(err.message));
});

test('neighborsOf lists ids by descending similarity, ties by row order, none for skipped', async () => {
  const e = tiny();
  const nb = await topK(e.vectors, 5, 3, 3, { valid: validOf(e) });
  const ofB = neighborsOf(e, nb, 'b.jpg');
  // a and c tie at 0.8: a (row 0) first
  assert.deepEqual(ofB.map((x) => x.id), ['a.jpg', 'c.jpg', 'd.jpg']);
  assert.ok(Math.abs(ofB[0].similarity - 0.8) < 1e-6);
  assert.deepEqual(neighborsOf(e, nb, 'a.jpg', 1).map((x) => x.id), ['c.jpg']);
  assert.deepEqual(neighborsOf(e, nb, 'e.jpg'), []);
  // the skipped sample is nobody's neighbour
  for (const id of e.ids) assert.ok(!neighborsOf(e, nb, id).some((x) => x.id === 'e.jpg'));
});

test('neighborColumns and withNeighborColumns: max_similarity, nearest_id, neighbors JSON', async () => {
  const e = tiny();
  const nb = await topK(e.vectors, 5, 3, 2, { valid: validOf(e) });
  const cols = neighborColumns(e.ids, nb);
  assert.deepEqual(cols.nearest_id, ['c.jpg', 'a.jpg', 'a.jpg', 'a.jpg', null]);
  assert.ok(Math.abs(cols.max_similarity[0] - 1) < 1e-6);
  assert.ok(Number.isNaN(cols.max_similarity[4]));
  assert.deepEqual(JSON.parse(cols.neighbors[1]), [
    { id: 'a.jpg', similarity: 0.8 },
    { id: 'c.jpg', similarity: 0.8 },
  ]);
  assert.equal(cols.neighbors[4], '[]');

  const df = new DataFrame({ id: e.ids, label: [1, 1, 1, 2, 2] });
  const out = withNeighborColumns(df, e.ids, nb, 1);
  assert.deepEqual(out.columns, ['id', 'label', 'max_similarity', 'nearest_id', 'neighbors']);
  assert.deepEqual(out.column('nearest_id').values.slice(0, 4), ['c.jpg', 'a.jpg', 'a.jpg', 'a.jpg']);
  assert.equal(JSON.parse(out.column('neighbors').values[3] as string).length, 1);
  assert.deepEqual(df.columns, ['id', 'label'], 'input frame untouched');
});
