import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { findExactDuplicates } from '../../src/exact';
import { loadFolder } from '../../src/datasets/folder';
import { dfFromColumns, columnValues } from '../../src/frame';
import type { Dataset } from '../../src/types';

const FIX = path.join(__dirname, '..', 'fixtures', 'imagededup');

test('files: byte copies and pixel-identical re-encodings are grouped; others and broken files are not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-exact-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.copyFileSync(path.join(FIX, 'base_images', 'ukbench00120.jpg'), path.join(dir, 'a.jpg'));
    fs.copyFileSync(path.join(FIX, 'base_images', 'ukbench00120.jpg'), path.join(dir, 'sub', 'a_copy.jpg'));
    // Same pixels, different bytes: PNG at two compression levels.
    const src = path.join(FIX, 'base_images', 'ukbench09268.jpg');
    await sharp(src).png({ compressionLevel: 9 }).toFile(path.join(dir, 'b.png'));
    await sharp(src).png({ compressionLevel: 1 }).toFile(path.join(dir, 'sub', 'b_again.png'));
    // A near duplicate (resized), not an exact one, and an unrelated photo.
    fs.copyFileSync(path.join(FIX, 'mixed_images', 'ukbench00120_resize.jpg'), path.join(dir, 'a_resize.jpg'));
    fs.copyFileSync(path.join(FIX, 'base_images', 'ukbench09380.jpg'), path.join(dir, 'c.jpg'));
    fs.copyFileSync(path.join(FIX, 'mixed_images', 'ukbench09268_corrupt.jpg'), path.join(dir, 'broken.jpg'));
    assert.notDeepEqual(fs.readFileSync(path.join(dir, 'b.png')), fs.readFileSync(path.join(dir, 'sub', 'b_again.png')));

    const ds = await loadFolder(dir);
    const ids = columnValues<string>(ds.df, 'id');
    const ex = await findExactDuplicates(ds);
    const groupOf = (id: string) => ex.group[ids.indexOf(id)];
    assert.ok(groupOf('a.jpg') >= 0);
    assert.equal(groupOf('a.jpg'), groupOf('sub/a_copy.jpg'));
    assert.equal(ex.matchedBy[ids.indexOf('sub/a_copy.jpg')], 'bytes');
    assert.ok(groupOf('b.png') >= 0);
    assert.equal(groupOf('b.png'), groupOf('sub/b_again.png'));
    assert.equal(ex.matchedBy[ids.indexOf('b.png')], 'pixels');
    assert.notEqual(groupOf('a.jpg'), groupOf('b.png'));
    for (const id of ['a_resize.jpg', 'c.jpg', 'broken.jpg']) assert.equal(groupOf(id), -1, id);
    assert.equal(ex.groups, 2);
    assert.equal(ex.duplicates, 2);
    // Without pixel hashing only the byte copy is found.
    const bytesOnly = await findExactDuplicates(ds, { pixels: false });
    assert.equal(bytesOnly.groups, 1);
    // Images above the size limit (640x480 > 100,000 px) are compared by bytes only.
    const small = await findExactDuplicates(ds, { maxPixels: 100_000 });
    assert.equal(small.groups, 1);
    assert.equal(small.pixelHash.filter((h) => h !== null).length, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('array datasets: identical raw images are grouped', async () => {
  const w = 4, h = 3, n = 5;
  const data = new Uint8Array(n * w * h);
  for (let i = 0; i < n; i++) data.fill(i * 10, i * w * h, (i + 1) * w * h);
  data.set(data.subarray(1 * w * h, 2 * w * h), 4 * w * h); // row 4 = row 1
  data[2 * w * h + 5] = 99; // row 2 differs from row 0 in one pixel only
  data.set(data.subarray(0, w * h), 3 * w * h); // row 3 = row 0
  const ds: Dataset = {
    name: 'toy',
    df: dfFromColumns({ id: ['0', '1', '2', '3', '4'] }),
    pixels: { kind: 'array', width: w, height: h, channels: 1, layout: 'interleaved', data },
  };
  const ex = await findExactDuplicates(ds);
  assert.deepEqual([...ex.group], [0, 1, -1, 0, 1]);
  assert.equal(ex.duplicates, 2);
});
