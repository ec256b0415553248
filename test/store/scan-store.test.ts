// scan({ store }): the first scan of a dataset writes its embeddings and neighbour lists to the
// store; a later scan of the same dataset reads them back (no embedding, no search) with the same
// result; a store holding another dataset's scan is refused and left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset, scan } from '../../src';
import { readStore } from '../../src/store';

test('scan({ store }) writes the store, then reads it back instead of embedding; another dataset is refused', { timeout: 300_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-scan-store-'));
  const store = path.join(tmp, 'store');
  try {
    const ds = await loadDataset('sample', { limit: 300 });
    const first = await scan(ds, { store, cacheDir: false });
    assert.deepEqual(first.summary.store, { uri: store, read: false });
    const back = await readStore(store);
    assert.equal(back.embeddings.ids.length, 300);
    assert.equal(back.neighbors.k, first.summary.k);

    // Read back: a model file that does not exist proves nothing is embedded.
    const stages = new Set<string>();
    const second = await scan(ds, { store, cacheDir: false, model: path.join(tmp, 'no-such-model.onnx'), onProgress: (s, d) => d > 0 && stages.add(s) });
    assert.deepEqual(second.summary.store, { uri: store, read: true });
    for (const key of ['flagged', 'groups', 'to_remove', 'threshold', 'k', 'model'] as const) assert.deepEqual(second.summary[key], first.summary[key], key);
    assert.deepEqual(second.summary.search, first.summary.search);
    const col = (r: typeof first, c: string) => r.samples[c].values;
    assert.deepEqual(col(second, 'group_id'), col(first, 'group_id'));
    assert.deepEqual(col(second, 'keep'), col(first, 'keep'));
    assert.ok(!stages.has('embed'), `no embedding progress: ${[...stages]}`);

    // k differs from the store's lists: an error naming both, not a silent mix.
    await assert.rejects(scan(ds, { store, cacheDir: false, k: 5 }), /holds neighbour lists of k = 10, k = 5 was asked/);
    // Another dataset (other rows): refused, the store untouched.
    const other = await loadDataset('sample', { limit: 200 });
    await assert.rejects(scan(other, { store, cacheDir: false }), /holds a scan of 300 samples, the dataset has 200: use another store/);
    assert.equal((await readStore(store)).embeddings.ids.length, 300);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
