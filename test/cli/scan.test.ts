/**
 * `neardup scan` and `neardup export` end to end through the real bin/neardup.js (run `npm run build`
 * first; `npm test` does), on a labelled tree of real photos.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseCsv } from '../../src/frame';
import { makeLabelledTree, BROKEN } from '../dedup/labelled-tree';

const BIN = path.join(__dirname, '..', '..', 'bin', 'neardup.js');
let root: string;
let work: string;
let env: NodeJS.ProcessEnv;

function neardup(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${path.relative(dir, p)} ${fs.statSync(p).mtimeMs}\n`).update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

before(async () => {
  assert.ok(fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js')), 'run npm run build first');
  root = await makeLabelledTree();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-cli-'));
  env = { ...process.env, NEARDUP_CACHE: path.join(work, 'cache') };
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

test('scan writes samples.csv, duplicates.csv and summary.json, prints a summary, exits 0; export acts on it', () => {
  const before = hashTree(root);
  const out = path.join(work, 'scan');
  const r = neardup('scan', root, '--out', out, '--threshold', '0.9', '--keep', 'train');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /10 samples: 9 embedded, 1 skipped/);
  assert.match(r.stdout, /3 groups, 3 to remove/);
  const samples = parseCsv(fs.readFileSync(path.join(out, 'samples.csv'), 'utf8'));
  assert.deepEqual(samples.columns.slice(0, 9), ['id', 'filepath', 'split', 'label', 'label_name', 'status', 'reason', 'max_similarity', 'nearest_id']);
  for (const c of ['group_id', 'is_duplicate', 'keep', 'uniqueness']) assert.ok(samples.columns.includes(c), c);
  assert.equal(samples.rows.length, 10);
  const broken = samples.rows.find((x) => x.id === BROKEN)!;
  assert.equal(broken.status, 'skipped');
  assert.notEqual(broken.reason, '');
  const dup = parseCsv(fs.readFileSync(path.join(out, 'duplicates.csv'), 'utf8'));
  assert.deepEqual(dup.columns, ['a', 'b', 'similarity', 'group_id', 'cosine', 'rule', 'inliers', 'coverage', 'containment', 'agreement', 'pixel_correlation', 'flipped', 'ocr_similarity', 'hash_distance']);
  assert.equal(dup.rows.length, 3);
  // Every listed pair says why it is a duplicate.
  for (const r of dup.rows) assert.ok(['exact', 'cosine', 'verified'].includes(r.rule), r.rule);
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  for (const [k, v] of Object.entries({ samples: 10, embedded: 9, skipped: 1, flagged: 6, groups: 3, to_remove: 3, cross_split: 2, label_conflicts: 1, exact_duplicates: 2 })) {
    assert.equal(summary[k], v, k);
  }
  assert.equal(summary.threshold, 0.9);
  assert.match(summary.model, /mobilenetv2/);
  assert.ok(summary.timings.total > 0);

  // export: remove list, dry run, copy.
  const list = path.join(work, 'remove.txt');
  const e1 = neardup('export', out, '--remove-list', list);
  assert.equal(e1.code, 0, e1.stderr);
  assert.deepEqual(fs.readFileSync(list, 'utf8').trim().split('\n').map((p) => path.relative(root, p)).sort(), ['test/cat/a.jpg', 'test/dog/b_copy.jpg', 'train/dog/c_again.png']);
  const clean = path.join(work, 'clean');
  const dry = neardup('export', out, '--copy-to', clean, '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would copy 7 files/);
  assert.equal(fs.existsSync(clean), false);
  const cp = neardup('export', out, '--copy-to', clean);
  assert.equal(cp.code, 0, cp.stderr);
  assert.ok(fs.existsSync(path.join(clean, 'train', 'cat', 'a_small.jpg')));
  assert.equal(fs.existsSync(path.join(clean, 'test', 'cat', 'a.jpg')), false);
  assert.equal(hashTree(root), before, 'input untouched');
  const inside = neardup('export', out, '--copy-to', path.join(root, 'clean'));
  assert.equal(inside.code, 2);
  assert.match(inside.stderr, /inside the input folder/);
});

test('bad arguments give clear errors and no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['scan', root], /--out/],
    [['scan', path.join(work, 'missing'), '--out', path.join(work, 'o1')], /neither a known dataset name nor an existing path/],
    [['scan', root, '--out', path.join(work, 'o2'), '--threshold', 'high'], /--threshold.*'high'/],
    [['scan', root, '--out', path.join(work, 'o3'), '--k', '0'], /--k.*'0'/],
    [['scan', root, '--out', path.join(work, 'o4'), '--method', 'cluster'], /--method.*components, fiftyone/],
    [['scan', root, '--out', path.join(work, 'o5'), '--keep', 'validation'], /keep policy 'validation'.*split/],
    [['scan', root, '--out', path.join(work, 'o6'), '--model', path.join(work, 'nope.onnx')], /nope\.onnx/],
    [['scan', root, '--out', path.join(root, 'inside')], /inside the dataset folder/],
    [['export', path.join(work, 'no-scan'), '--remove-list', 'x.txt'], /no-scan/],
    [['export', work], /nothing to export/],
  ];
  for (const [args, msg] of cases) {
    const r = neardup(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, msg, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace for ${args.join(' ')}`);
  }
  assert.equal(fs.existsSync(path.join(root, 'inside')), false);
});

test('tiny grayscale data: the default is the dequantized model at 128 px and 0.98; --no-dequantize gives int8 at 224 and 0.97; a rescan says its neighbours came from the cache', () => {
  const run = (name: string, ...extra: string[]) => {
    const out = path.join(work, name);
    const r = neardup('scan', 'sample', '--limit', '400', '--out', out, '-q', ...extra);
    assert.equal(r.code, 0, r.stderr);
    return { stdout: r.stdout, summary: JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) };
  };
  const byDefault = run('tiny-default');
  assert.equal(byDefault.summary.threshold, 0.98);
  assert.match(byDefault.summary.model, /\(dequantized\) size=128 /);
  assert.equal(byDefault.summary.neighbors_cached, false);
  const int8 = run('tiny-int8', '--no-dequantize');
  assert.equal(int8.summary.threshold, 0.97);
  assert.match(int8.summary.model, /@[0-9a-f]{12} size=224 /);
  const again = run('tiny-again', '--threshold', '0.95');
  assert.equal(again.summary.neighbors_cached, true);
  assert.match(again.stdout, /neighbours [\d.]+ s, from cache\)/);
  assert.equal(again.summary.samples, 400);
});
