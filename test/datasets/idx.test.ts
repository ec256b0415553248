import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadDataset, encodeIdx, DEBIAN_FASHION_MNIST_DIR, SAMPLE_DIR } from '../../src/datasets';
import { columnValues, rowsFromDf } from '../../src/frame/table';
import { NeardupError } from '../../src/errors';

const haveDebian = fs.existsSync(path.join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

test('the bundled sample: ~3,000 real Fashion-MNIST images, both splits, ids of the full dataset, and each kind of case', async () => {
  const ds = await loadDataset('sample');
  const rows = rowsFromDf(ds.df);
  assert.equal(rows.length, 3000);
  const train = rows.filter((r) => r.split === 'train').length;
  assert.equal(train + rows.filter((r) => r.split === 'test').length, 3000);
  assert.ok(Math.abs(train / 3000 - 6 / 7) < 0.01, `train share ${train}`); // 6:1 like the full dataset
  assert.equal(new Set(rows.map((r) => r.id)).size, 3000);
  for (const r of rows) assert.equal(r.id, `${r.split}/${String(r.original_index).padStart(5, '0')}`);
  assert.equal(ds.pixels.kind, 'array');
  if (ds.pixels.kind !== 'array') return;
  assert.deepEqual([ds.pixels.width, ds.pixels.height, ds.pixels.channels, ds.pixels.layout], [28, 28, 1, 'interleaved']);
  const px = ds.pixels.data;
  const rms = (a: number, b: number) => {
    let d2 = 0;
    for (let p = 0; p < 784; p++) d2 += (px[a * 784 + p] - px[b * 784 + p]) ** 2;
    return Math.sqrt(d2 / 784);
  };
  const pearson = (a: number, b: number) => {
    let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (let p = 0; p < 784; p++) {
      const x = px[a * 784 + p], y = px[b * 784 + p];
      sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
    }
    return (sab - (sa * sb) / 784) / Math.sqrt((saa - (sa * sa) / 784) * (sbb - (sb * sb) / 784));
  };
  const cases = new Map<string, { reason: string; rows: number[] }>();
  rows.forEach((r, i) => {
    if (!r.sample_group) return;
    const c = cases.get(String(r.sample_group)) ?? { reason: String(r.sample_reason), rows: [] };
    c.rows.push(i);
    cases.set(String(r.sample_group), c);
  });
  const of = (reason: string) => [...cases.values()].filter((c) => c.reason === reason);
  // Pixel-space ground truth: each group holds a pair with RMS difference <= 10 grey levels.
  assert.ok(of('near-duplicate').length >= 50, 'pixel-space groups');
  for (const g of of('near-duplicate')) assert.ok(Math.min(...g.rows.slice(1).map((j) => rms(g.rows[0], j))) <= 10.0001, 'pixel-space group');
  // Leakage cases span train and test; label-conflict pairs are near-identical in pixels with two labels.
  assert.ok(of('cross-split').length >= 5, 'leakage cases');
  for (const g of of('cross-split')) assert.equal(new Set(g.rows.map((i) => rows[i].split)).size, 2);
  assert.ok(of('scan-group').length >= 5, 'scan groups');
  assert.ok(of('label-conflict').length >= 3, 'label conflicts');
  for (const g of of('label-conflict')) {
    assert.equal(g.rows.length, 2);
    assert.notEqual(rows[g.rows[0]].label, rows[g.rows[1]].label);
    const r = pearson(g.rows[0], g.rows[1]);
    assert.ok(r >= 0.9, `label-conflict pair ${g.rows} pixel r ${r}`);
  }
  assert.ok(rows.filter((r) => r.sample_reason === 'most-unique').length >= 4);
  // Random rows are not that close to their neighbours in the file.
  assert.ok(rms(0, 1) > 10);
});

test('fashion-mnist: the sample rows equal the full dataset rows with the same id', { skip: !haveDebian && 'dataset-fashion-mnist not installed' }, async () => {
  const full = await loadDataset('fashion-mnist');
  assert.equal(full.df.shape[0], 70000);
  const ids = columnValues<string>(full.df, 'id');
  assert.equal(ids[0], 'train/00000');
  assert.equal(ids[60000], 'test/00000');
  assert.equal(columnValues(full.df, 'label_name')[0], 'Ankle boot'); // the well-known first training image
  const sample = await loadDataset('sample');
  const sIds = columnValues<string>(sample.df, 'id');
  const sLabels = columnValues<number>(sample.df, 'label');
  const row = new Map(ids.map((id, i) => [id, i]));
  const fl = columnValues<number>(full.df, 'label');
  assert.ok(full.pixels.kind === 'array' && sample.pixels.kind === 'array');
  if (full.pixels.kind !== 'array' || sample.pixels.kind !== 'array') return;
  for (let k = 0; k < sIds.length; k += 37) {
    const i = row.get(sIds[k])!;
    assert.equal(sLabels[k], fl[i]);
    assert.ok(Buffer.from(sample.pixels.data.subarray(k * 784, (k + 1) * 784)).equals(Buffer.from(full.pixels.data.subarray(i * 784, (i + 1) * 784))));
  }
  const test10 = await loadDataset('fashion-mnist', { splits: ['test'], limit: 10 });
  assert.deepEqual(columnValues(test10.df, 'original_index'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('mnist:path reads raw and gzipped IDX files; mismatched counts are a clear error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-idx-'));
  const sample = await loadDataset('sample', { limit: 5 });
  assert.ok(sample.pixels.kind === 'array');
  if (sample.pixels.kind !== 'array') return;
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), encodeIdx([3, 28, 28], sample.pixels.data.subarray(0, 3 * 784)));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([3], new Uint8Array([7, 1, 0])));
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(encodeIdx([2, 28, 28], sample.pixels.data.subarray(3 * 784, 5 * 784))));
  fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(encodeIdx([2], new Uint8Array([2, 9]))));
  const ds = await loadDataset(`mnist:${dir}`);
  assert.deepEqual(rowsFromDf(ds.df).map((r) => [r.id, r.label, r.label_name]), [
    ['train/00000', 7, '7'], ['train/00001', 1, '1'], ['train/00002', 0, '0'], ['test/00000', 2, '2'], ['test/00001', 9, '9'],
  ]);
  assert.equal(columnValues(ds.df, 'filepath')[4], `${path.join(dir, 't10k-images-idx3-ubyte.gz')}#1`);
  assert.ok(ds.pixels.kind === 'array' && Buffer.from(ds.pixels.data).equals(Buffer.from(sample.pixels.data)));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([4], new Uint8Array([7, 1, 0, 3])));
  await assert.rejects(loadDataset(`mnist:${dir}`), (e: Error) => e instanceof NeardupError && /3 images but .* 4 labels/.test(e.message));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), 'garbage!');
  await assert.rejects(loadDataset(`mnist:${dir}`), (e: Error) => e instanceof NeardupError && e.message.includes('train-labels-idx1-ubyte') && /not an IDX file/.test(e.message));
  fs.rmSync(dir, { recursive: true });
  assert.ok(fs.existsSync(path.join(SAMPLE_DIR, 'README.md')));
});
