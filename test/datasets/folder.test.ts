import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../../src/datasets';
import { rowsFromDf } from '../../src/frame/table';
import { FIXTURES } from './cifar-fixtures';

const IMG = path.join(FIXTURES, 'imagededup');
let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-folder-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function put(rel: string, src: string) {
  const dst = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(path.join(IMG, src), dst);
  return dst;
}

test('split/label tree: splits and labels from folder names, ids relative with /, sizes from the files', async () => {
  const root = path.join(tmp, 'tree');
  put('tree/train/cat/a.jpg', 'base_images/ukbench00120.jpg');
  put('tree/train/cat/b.png', 'formats_images/ukbench09380.png');
  put('tree/train/dog/c.jpg', 'base_images/ukbench09268.jpg');
  put('tree/validation/dog/d.webp', 'formats_images/ukbench09380.webp');
  put('tree/test/cat/e.jpg', 'mixed_images/ukbench00120_resize.jpg');
  const ds = await loadDataset(root);
  const rows = rowsFromDf(ds.df);
  assert.deepEqual(rows.map((r) => r.id), ['test/cat/e.jpg', 'train/cat/a.jpg', 'train/cat/b.png', 'train/dog/c.jpg', 'validation/dog/d.webp']);
  assert.deepEqual(rows.map((r) => r.split), ['test', 'train', 'train', 'train', 'validation']);
  assert.deepEqual(rows.map((r) => r.label_name), ['cat', 'cat', 'cat', 'dog', 'dog']);
  assert.deepEqual(rows.map((r) => r.label), [0, 0, 0, 1, 1]);
  assert.deepEqual(rows.map((r) => [r.width, r.height]), [[300, 300], [640, 480], [640, 480], [480, 640], [640, 480]]);
  assert.equal(ds.pixels.kind, 'files');
  if (ds.pixels.kind === 'files') assert.equal(ds.pixels.paths[1], path.join(root, 'train', 'cat', 'a.jpg'));
  assert.deepEqual(rows.map((r) => r.filepath), ds.pixels.kind === 'files' ? ds.pixels.paths : []);
  const onlyTrain = await loadDataset(root, { splits: ['train'], limit: 2 });
  assert.deepEqual(rowsFromDf(onlyTrain.df).map((r) => r.id), ['train/cat/a.jpg', 'train/cat/b.png']);
});

test('label tree without splits', async () => {
  const root = path.join(tmp, 'labels');
  put('labels/shoe/1.jpg', 'base_images/ukbench01380.jpg');
  put('labels/bag/2.jpg', 'base_images/ukbench08976.jpg');
  const rows = rowsFromDf((await loadDataset(root)).df);
  assert.deepEqual(rows.map((r) => [r.id, r.split, r.label, r.label_name]), [['bag/2.jpg', null, 0, 'bag'], ['shoe/1.jpg', null, 1, 'shoe']]);
});

test('nested unlabeled folder: hidden files, non-images and symlink loops are handled; broken images keep a row', async () => {
  const root = path.join(tmp, 'mixed');
  put('mixed/top.jpg', 'base_images/ukbench09012.jpg');
  put('mixed/deep/er/x.gif', 'formats_images/giphy.gif');
  put('mixed/deep/no_extension', 'formats_images/ukbench09380.png'); // found by its magic bytes
  put('mixed/.hidden.jpg', 'base_images/ukbench09040.jpg');
  put('mixed/.cache/y.jpg', 'base_images/ukbench09060.jpg');
  put('mixed/broken.jpg', 'mixed_images/ukbench09268_corrupt.jpg');
  fs.writeFileSync(path.join(root, 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(root, 'labels.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(path.join(root, 'fake.png'), 'text pretending to be a png');
  fs.symlinkSync(root, path.join(root, 'deep', 'loop'));           // loop back to the root
  fs.symlinkSync(path.join(root, 'deep'), path.join(root, 'deep', 'er', 'up')); // loop to an ancestor
  fs.symlinkSync(path.join(root, 'missing'), path.join(root, 'dangling.jpg'));
  const outside = put('outside/z.jpg', 'base_images/ukbench09348.jpg');
  fs.symlinkSync(path.dirname(outside), path.join(root, 'linked'));  // a linked folder is followed
  const ds = await loadDataset(root);
  const rows = rowsFromDf(ds.df);
  // The dangling link has an image name: it keeps a row (the scan gives `broken symlink` as its reason).
  assert.deepEqual(rows.map((r) => r.id), ['broken.jpg', 'dangling.jpg', 'deep/er/x.gif', 'deep/no_extension', 'fake.png', 'linked/z.jpg', 'top.jpg']);
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  assert.deepEqual([byId['top.jpg'].width, byId['top.jpg'].height], [640, 480]);
  assert.deepEqual([byId['deep/er/x.gif'].width, byId['deep/er/x.gif'].height], [314, 400]);
  assert.equal(byId['deep/no_extension'].width, 640);
  for (const bad of ['broken.jpg', 'fake.png', 'dangling.jpg']) assert.equal(byId[bad].width, null, `${bad} has no size`);
  for (const r of rows) assert.equal(r.split, null) ;
  for (const r of rows) assert.equal(r.label, null);
});

test('an image folder of the imagededup fixtures loads every file (sizes for all sharp can read)', async () => {
  const ds = await loadDataset(path.join(IMG, 'formats_images'));
  const rows = rowsFromDf(ds.df);
  assert.equal(rows.length, 8);
  const sized = rows.filter((r) => r.width !== null).map((r) => r.id);
  assert.ok(sized.includes('ukbench09380.bmp') && sized.includes('copyleft.tiff') && sized.includes('ukbench09380.webp'), sized.join());
});

test('an empty folder is a clear error', async () => {
  const root = path.join(tmp, 'empty');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'readme.md'), '# nothing');
  await assert.rejects(loadDataset(root), /contains no image files/);
});
