import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDatasetSpec, loadDataset } from '../../src/datasets';
import { NeardupError } from '../../src/errors';

test('dataset argument syntax', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-spec-'));
  const csv = path.join(dir, 'm.csv');
  fs.writeFileSync(csv, 'filepath\n');
  assert.deepEqual(parseDatasetSpec('sample'), { kind: 'sample' });
  assert.deepEqual(parseDatasetSpec('cifar100'), { kind: 'cifar100' });
  assert.deepEqual(parseDatasetSpec('CIFAR-10'), { kind: 'cifar10' });
  assert.deepEqual(parseDatasetSpec('fashion-mnist'), { kind: 'fashion-mnist' });
  assert.deepEqual(parseDatasetSpec('mnist'), { kind: 'mnist' });
  assert.deepEqual(parseDatasetSpec(`cifar100:${dir}`), { kind: 'cifar100', path: dir });
  assert.deepEqual(parseDatasetSpec(`fashion-mnist:${dir}`), { kind: 'fashion-mnist', path: dir });
  assert.deepEqual(parseDatasetSpec(dir), { kind: 'folder', path: dir });
  assert.deepEqual(parseDatasetSpec(csv), { kind: 'manifest', path: csv });
  // A name wins over a same-named folder in the current directory; ./name is the folder.
  const cwd = process.cwd();
  fs.mkdirSync(path.join(dir, 'cifar10'));
  process.chdir(dir);
  try {
    assert.deepEqual(parseDatasetSpec('cifar10'), { kind: 'cifar10' });
    assert.deepEqual(parseDatasetSpec('./cifar10'), { kind: 'folder', path: path.join(dir, 'cifar10') });
  } finally {
    process.chdir(cwd);
  }
  fs.rmSync(dir, { recursive: true });
});

test('bad dataset arguments give NeardupErrors that name the argument', async () => {
  const cases: Array<[string, RegExp]> = [
    ['', /missing dataset argument/],
    ['imagenet', /"imagenet" is neither a known dataset name nor an existing path/],
    ['imagenet:/tmp', /unknown dataset "imagenet"/],
    ['cifar100:/no/such/dir', /cifar100:\/no\/such\/dir.*\/no\/such\/dir does not exist/],
    ['fashion-mnist:', /empty path/],
    ['./no/such/folder', /"\.\/no\/such\/folder" is neither/],
    [__filename, /is a file but not a \.csv manifest/],
  ];
  for (const [arg, re] of cases) {
    assert.throws(() => parseDatasetSpec(arg), (e: Error) => e instanceof NeardupError && re.test(e.message), `for ${JSON.stringify(arg)}`);
    await assert.rejects(loadDataset(arg), NeardupError);
  }
  // A folder without IDX files given as fashion-mnist:path.
  await assert.rejects(loadDataset(`fashion-mnist:${__dirname}`), (e: Error) => e instanceof NeardupError && e.message.includes(__dirname) && /no IDX files/.test(e.message));
});
