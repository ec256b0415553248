import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../../src/datasets';
import { rowsFromDf } from '../../src/frame/table';
import { NeardupError } from '../../src/errors';
import { FIXTURES } from './cifar-fixtures';

let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-manifest-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('manifest: relative paths resolve against the CSV folder, label/split read, extra columns kept', async () => {
  fs.mkdirSync(path.join(tmp, 'imgs'));
  fs.copyFileSync(path.join(FIXTURES, 'imagededup/base_images/ukbench00120.jpg'), path.join(tmp, 'imgs', 'a.jpg'));
  fs.copyFileSync(path.join(FIXTURES, 'imagededup/mixed_images/ukbench00120_resize.jpg'), path.join(tmp, 'imgs', 'b, with comma.jpg'));
  const abs = path.join(FIXTURES, 'imagededup/base_images/ukbench09268.jpg');
  fs.writeFileSync(path.join(tmp, 'list.csv'), [
    'filepath,label,split,source,note',
    'imgs/a.jpg,cat,train,flickr,"first, quoted"',
    '"imgs/b, with comma.jpg",dog,test,web,',
    `${abs},cat,train,ukbench,absolute path`,
    'imgs/missing.jpg,dog,train,web,gone',
  ].join('\n'));
  const ds = await loadDataset(path.join(tmp, 'list.csv'));
  const rows = rowsFromDf(ds.df);
  assert.deepEqual(ds.df.columns, ['id', 'filepath', 'split', 'label', 'label_name', 'width', 'height', 'original_index', 'source', 'note']);
  assert.deepEqual(rows.map((r) => r.id), ['imgs/a.jpg', 'imgs/b, with comma.jpg', abs, 'imgs/missing.jpg']);
  assert.deepEqual(rows.map((r) => r.filepath), [path.join(tmp, 'imgs/a.jpg'), path.join(tmp, 'imgs/b, with comma.jpg'), abs, path.join(tmp, 'imgs/missing.jpg')]);
  assert.deepEqual(rows.map((r) => r.label_name), ['cat', 'dog', 'cat', 'dog']);
  assert.deepEqual(rows.map((r) => r.label), [0, 1, 0, 1]);
  assert.deepEqual(rows.map((r) => r.split), ['train', 'test', 'train', 'train']);
  assert.deepEqual(rows.map((r) => r.source), ['flickr', 'web', 'ukbench', 'web']);
  assert.deepEqual(rows.map((r) => r.note), ['first, quoted', '', 'absolute path', 'gone']);
  assert.deepEqual(rows.map((r) => [r.width, r.height]), [[640, 480], [300, 300], [480, 640], [null, null]]);
  assert.deepEqual(rows.map((r) => r.original_index), [0, 1, 2, 3]);
  const test1 = await loadDataset(path.join(tmp, 'list.csv'), { splits: ['test'] });
  assert.deepEqual(rowsFromDf(test1.df).map((r) => [r.id, r.original_index]), [['imgs/b, with comma.jpg', 1]]);
});

test('manifest: integer labels stay integers and label_name is used when given', async () => {
  const f = path.join(tmp, 'ints.csv');
  fs.writeFileSync(f, `filepath,label,label_name\n${path.join(FIXTURES, 'imagededup/base_images/ukbench01380.jpg')},7,horse\n`);
  const rows = rowsFromDf((await loadDataset(f)).df);
  assert.deepEqual([rows[0].label, rows[0].label_name, rows[0].split], [7, 'horse', null]);
});

test('manifest: extra columns named like DataFrame members are kept under name_', async () => {
  const f = path.join(tmp, 'reserved.csv');
  fs.writeFileSync(f, `filepath,values,shape,columns\n${path.join(FIXTURES, 'imagededup/base_images/ukbench01380.jpg')},1,2,3\n`);
  const ds = await loadDataset(f);
  assert.deepEqual(ds.df.columns.slice(8), ['values_', 'shape_', 'columns_']);
  assert.deepEqual(rowsFromDf(ds.df)[0].values_, '1');
  assert.equal(ds.df.shape[0], 1);
});

test('manifest errors name the file and the problem', async () => {
  const noCol = path.join(tmp, 'nocol.csv');
  fs.writeFileSync(noCol, 'path,label\na.jpg,1\n');
  await assert.rejects(loadDataset(noCol), (e: Error) => e instanceof NeardupError && e.message.includes(noCol) && /no "filepath" column/.test(e.message) && /path, label/.test(e.message));
  const dup = path.join(tmp, 'dup.csv');
  fs.writeFileSync(dup, 'filepath\na.jpg\nb.jpg\na.jpg\n');
  await assert.rejects(loadDataset(dup), /id "a\.jpg" appears on data rows 1 and 3/);
  const ragged = path.join(tmp, 'ragged.csv');
  fs.writeFileSync(ragged, 'filepath,label\na.jpg,1,extra\n');
  await assert.rejects(loadDataset(ragged), (e: Error) => e instanceof NeardupError && e.message.includes('not valid CSV'));
});
