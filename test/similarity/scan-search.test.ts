// scan() through the backend seam on a small real set (the bundled 3,000 Fashion-MNIST images with
// real near-duplicates): summary.json records the backend and its parameters, the approximate
// scan's similarities are exact, and it finds the exact scan's duplicate pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scan, writeScanOutputs } from '../../src/pipeline';

test('scan sample with search exact vs ann: same duplicate pairs, summary records the backend', async () => {
  // The default caches (shared with other tests and runs): embedding once, searching per backend.
  const exact = await scan('sample', { search: 'exact' });
  const ann = await scan('sample', { search: 'ann' });
  assert.deepEqual(exact.summary.search, { backend: 'exact', exact: true, params: {} });
  assert.equal(ann.summary.search.backend, 'lancedb');
  assert.equal(ann.summary.search.exact, false);
  assert.equal(ann.summary.search.params.index, 'ivf_rq');
  const key = (p: { a: number; b: number }) => `${p.a}-${p.b}`;
  const pe = exact.pairIndices;
  const pa = ann.pairIndices;
  const found = new Set(Array.from({ length: pa.a.length }, (_, i) => key({ a: pa.a[i], b: pa.b[i] })));
  let hit = 0;
  for (let i = 0; i < pe.a.length; i++) if (found.has(key({ a: pe.a[i], b: pe.b[i] }))) hit++;
  assert.ok(pe.a.length > 50, `the sample has real near-duplicates (${pe.a.length} pairs)`);
  assert.ok(hit / pe.a.length >= 0.99, `ANN found ${hit} of ${pe.a.length} duplicate pairs`);
  // Exact re-rank: a pair found by both has the same similarity up to the GEMM's float32 rounding.
  const v = ann.embeddings.vectors;
  const dim = ann.embeddings.dim;
  for (let i = 0; i < Math.min(pa.a.length, 200); i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[pa.a[i] * dim + d] * v[pa.b[i] * dim + d];
    assert.ok(Math.abs(pa.similarity[i] - s) < 1e-6, `pair ${i}: ${pa.similarity[i]} vs ${s}`);
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-scan-ann-'));
  await writeScanOutputs(ann, out);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.search, ann.summary.search);
  fs.rmSync(out, { recursive: true, force: true });
});
