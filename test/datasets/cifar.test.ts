import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadDataset } from '../../src/datasets';
import { columnValues } from '../../src/frame/table';
import { NeardupError } from '../../src/errors';
import { makeCifarTarballs, N_TRAIN, N_TEST, fine, coarse, lab10, FIXTURES } from './cifar-fixtures';
import { readPickle, pyString } from '../../src/datasets/pickle';

let dir: string;
let px: Uint8Array;
let fineNames: string[];
let coarseNames: string[];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-cifar-'));
  px = await makeCifarTarballs(dir);
  const meta = readPickle(fs.readFileSync(path.join(FIXTURES, 'cifar100-meta'))) as Record<string, Uint8Array[]>;
  fineNames = meta.fine_label_names.map(pyString);
  coarseNames = meta.coarse_label_names.map(pyString);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const expectedIds = [
  ...Array.from({ length: N_TRAIN }, (_, i) => `train/${String(i).padStart(5, '0')}`),
  ...Array.from({ length: N_TEST }, (_, i) => `test/${String(i).padStart(5, '0')}`),
];
const splitIndex = (k: number) => (k < N_TRAIN ? k : k - N_TRAIN);

for (const format of ['binary', 'python']) {
  test(`CIFAR-100 ${format} tarball: both splits, fine+coarse labels with names, original indices, raw planar pixels`, async () => {
    const ds = await loadDataset(`cifar100:${path.join(dir, `cifar-100-${format}.tar.gz`)}`);
    assert.equal(ds.df.shape[0], N_TRAIN + N_TEST);
    for (const c of ['id', 'filepath', 'split', 'label', 'label_name', 'coarse_label', 'coarse_label_name', 'width', 'height', 'original_index']) {
      assert.ok(ds.df.columns.includes(c), `column ${c}`);
    }
    assert.deepEqual(columnValues(ds.df, 'id'), expectedIds);
    const n = N_TRAIN + N_TEST;
    const k = Array.from({ length: n }, (_, i) => splitIndex(i));
    assert.deepEqual(columnValues(ds.df, 'label'), k.map(fine));
    assert.deepEqual(columnValues(ds.df, 'label_name'), k.map((i) => fineNames[fine(i)]));
    assert.deepEqual(columnValues(ds.df, 'coarse_label'), k.map(coarse));
    assert.deepEqual(columnValues(ds.df, 'coarse_label_name'), k.map((i) => coarseNames[coarse(i)]));
    assert.deepEqual(columnValues(ds.df, 'original_index'), k);
    assert.deepEqual(columnValues(ds.df, 'width'), Array(n).fill(32));
    assert.equal(fineNames[3], 'bear');
    assert.equal(columnValues(ds.df, 'label_name')[0], 'bear');
    assert.match(String(columnValues(ds.df, 'filepath')[N_TRAIN + 2]), /test(\.bin)?#2$/);
    assert.equal(ds.pixels.kind, 'array');
    if (ds.pixels.kind !== 'array') return;
    assert.equal(ds.pixels.layout, 'planar');
    assert.equal(ds.pixels.channels, 3);
    assert.deepEqual(Buffer.from(ds.pixels.data), Buffer.from(px));
    if (format === 'python') assert.equal(columnValues(ds.df, 'filename')[N_TRAIN], 'img_test_00000.png');
  });
}

test('CIFAR-100 from an extracted folder, from its parent, and from a cache folder holding the tarball', async () => {
  const ex = path.join(dir, 'extracted');
  fs.mkdirSync(ex);
  assert.equal(spawnSync('tar', ['-xzf', path.join(dir, 'cifar-100-python.tar.gz'), '-C', ex]).status, 0);
  const a = await loadDataset(`cifar100:${path.join(ex, 'cifar-100-python')}`);
  const b = await loadDataset(`cifar100:${ex}`);
  for (const ds of [a, b]) {
    assert.deepEqual(columnValues(ds.df, 'id'), expectedIds);
    assert.ok(ds.pixels.kind === 'array' && Buffer.from(ds.pixels.data).equals(Buffer.from(px)));
  }
  // No path: the cache folder is searched before any download is attempted.
  const cache = path.join(dir, 'cache');
  fs.mkdirSync(cache);
  fs.copyFileSync(path.join(dir, 'cifar-100-binary.tar.gz'), path.join(cache, 'cifar-100-binary.tar.gz'));
  const c = await loadDataset('cifar100', { cacheDir: cache, download: false });
  assert.deepEqual(columnValues(c.df, 'label'), columnValues(a.df, 'label'));
});

for (const format of ['binary', 'python']) {
  test(`CIFAR-10 ${format}: five training batches joined with running original indices, label names`, async () => {
    const ds = await loadDataset(`cifar10:${path.join(dir, `cifar-10-${format}.tar.gz`)}`);
    assert.deepEqual(columnValues(ds.df, 'id'), expectedIds);
    const k = expectedIds.map((_, i) => splitIndex(i));
    assert.deepEqual(columnValues(ds.df, 'label'), k.map(lab10));
    assert.equal(columnValues(ds.df, 'label_name')[3], 'cat');
    assert.ok(!ds.df.columns.includes('coarse_label'));
    assert.ok(ds.pixels.kind === 'array' && Buffer.from(ds.pixels.data).equals(Buffer.from(px)));
  });
}

test('splits and limit options', async () => {
  const t = await loadDataset(`cifar100:${path.join(dir, 'cifar-100-binary.tar.gz')}`, { splits: ['test'] });
  assert.deepEqual(columnValues(t.df, 'id'), ['test/00000', 'test/00001', 'test/00002']);
  assert.ok(t.pixels.kind === 'array' && Buffer.from(t.pixels.data).equals(Buffer.from(px.subarray(N_TRAIN * 3072))));
  const l = await loadDataset(`cifar10:${path.join(dir, 'cifar-10-python.tar.gz')}`, { limit: 4 });
  assert.equal(l.df.shape[0], 4);
  assert.ok(l.pixels.kind === 'array' && l.pixels.data.length === 4 * 3072);
});

test('truncated or foreign files give errors naming the file', async () => {
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'train.bin'), Buffer.alloc(3074 * 2 + 5));
  fs.writeFileSync(path.join(bad, 'test.bin'), Buffer.alloc(3074));
  fs.writeFileSync(path.join(bad, 'fine_label_names.txt'), 'a\n');
  fs.writeFileSync(path.join(bad, 'coarse_label_names.txt'), 'b\n');
  await assert.rejects(loadDataset(`cifar100:${bad}`), (e: Error) => e instanceof NeardupError && /train\.bin/.test(e.message) && /3074-byte/.test(e.message));
  await assert.rejects(loadDataset(`cifar100:${path.join(dir, 'cifar-10-binary.tar.gz')}`), (e: Error) => e instanceof NeardupError && /does not contain cifar100/.test(e.message));
  const notTar = path.join(dir, 'x.tar.gz');
  fs.writeFileSync(notTar, 'hello');
  await assert.rejects(loadDataset(`cifar10:${notTar}`), (e: Error) => e instanceof NeardupError && e.message.includes(notTar));
});
