import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeCsv, readCsv, toCsv, writeJson, writeFileAtomic, dfFromRows, rowsFromDf, columnValues, numberColumn } from '../../src/frame';
import { python } from '../datasets/cifar-fixtures';

const tricky = [
  { id: 'a,b', label_name: 'say "hi"', note: 'line1\nline2', n: 3, empty: null },
  { id: 'plain', label_name: 'T-shirt/top', note: ' padded ', n: 0.25, empty: null },
  { id: 'ünï', label_name: '', note: 'semi;colon\r\ncrlf', n: -1, empty: null },
];

test('writeCsv quotes commas, quotes and newlines, and reads back to the same cells', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-csv-'));
  const file = path.join(dir, 'out.csv');
  await writeCsv(dfFromRows(tricky), file);
  const { columns, rows } = await readCsv(file);
  assert.deepEqual(columns, ['id', 'label_name', 'note', 'n', 'empty']);
  assert.deepEqual(rows.map((r) => r.id), ['a,b', 'plain', 'ünï']);
  assert.deepEqual(rows.map((r) => r.label_name), ['say "hi"', 'T-shirt/top', '']);
  assert.deepEqual(rows.map((r) => r.note), ['line1\nline2', ' padded ', 'semi;colon\r\ncrlf']);
  assert.deepEqual(rows.map((r) => Number(r.n)), [3, 0.25, -1]);
  assert.deepEqual(rows.map((r) => r.empty), ['', '', '']);
  // An independent reader (Python's csv module) agrees.
  const py = spawnSync(python(), ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf8")))))', file], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const parsed = JSON.parse(py.stdout) as string[][];
  assert.equal(parsed.length, 4);
  assert.deepEqual(parsed[1], ['a,b', 'say "hi"', 'line1\nline2', '3', '']);
  assert.deepEqual(parsed[3][2], 'semi;colon\r\ncrlf');
  assert.deepEqual(fs.readdirSync(dir), ['out.csv']); // no temp file left behind
  fs.rmSync(dir, { recursive: true });
});

test('writeCsv accepts plain rows and a column order', () => {
  const text = toCsv([{ b: 1, a: 'x' }, { a: 'y', c: true }], { columns: ['a', 'b', 'c'] });
  assert.equal(text, 'a,b,c\nx,1,\ny,,true\n');
});

test('writeFileAtomic replaces a file whole and cleans up after a failed write', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-atomic-'));
  const file = path.join(dir, 'sub', 'x.txt');
  await writeFileAtomic(file, 'one');
  await writeFileAtomic(file, 'two');
  assert.equal(fs.readFileSync(file, 'utf8'), 'two');
  // Target is a folder: the rename fails, the old content stays, and no temp file remains.
  const target = path.join(dir, 'sub', 'adir');
  fs.mkdirSync(path.join(target, 'child'), { recursive: true });
  await assert.rejects(writeFileAtomic(target, 'data'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')).sort(), ['adir', 'x.txt']);
  fs.rmSync(dir, { recursive: true });
});

test('writeJson writes DataFrames as rows and typed arrays as arrays', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-json-'));
  const file = path.join(dir, 'x.json');
  await writeJson({ df: dfFromRows([{ id: 'a', w: 1 }]), v: new Float32Array([0.5, 1]), n: NaN }, file);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { df: [{ id: 'a', w: 1 }], v: [0.5, 1], n: null });
  fs.rmSync(dir, { recursive: true });
});

test('DataFrame helpers: rows round-trip, empty frames keep their columns, numeric coercion', () => {
  const df = dfFromRows([{ id: 'x', w: 3 }, { id: 'y', w: null }]);
  assert.deepEqual(rowsFromDf(df), [{ id: 'x', w: 3 }, { id: 'y', w: null }]);
  assert.deepEqual(columnValues(df, 'id'), ['x', 'y']);
  assert.deepEqual(numberColumn(df, 'w'), [3, null]);
  assert.throws(() => columnValues(df, 'nope'), /no column "nope"/);
  const empty = dfFromRows([], ['id', 'label']);
  assert.deepEqual(empty.columns, ['id', 'label']);
  assert.deepEqual(rowsFromDf(empty), []);
  assert.deepEqual(columnValues(empty, 'id'), []);
});
