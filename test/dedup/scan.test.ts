import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scan, writeScanOutputs, type ScanResult } from '../../src/pipeline';
import { humanSummary } from '../../src/cli/scan';
import { groupAtThreshold } from '../../src/dedup/groups';
import { DEFAULT_THRESHOLD } from '../../src/dedup/defaults';
import { columnValues, parseCsv, rowsFromDf } from '../../src/frame';
import { makeLabelledTree, NEAR_PAIR, BYTE_PAIR, PIXEL_PAIR, UNRELATED, BROKEN } from './labelled-tree';

let root: string;
let cache: string;
let r: ScanResult;

before(async () => {
  root = await makeLabelledTree();
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-cache-'));
  // 0.9: well below the near pair (~0.96) and far above unrelated photos (< 0.7); this file tests
  // grouping and reports, not the calibrated default.
  r = await scan(root, { threshold: 0.9, cacheDir: cache, keep: 'train' });
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(cache, { recursive: true, force: true });
});

const row = (res: ScanResult, id: string) => res.ids.indexOf(id);
const dups = (res: ScanResult) => res.ids.filter((_, i) => res.groups.is_duplicate[i] === 1).sort();

test('summary counts on a labelled tree of real photos', () => {
  const s = r.summary;
  assert.equal(s.samples, 10);
  assert.equal(s.skipped, 1);
  assert.equal(s.embedded, 9);
  assert.equal(s.groups, 3);
  assert.equal(s.flagged, 6);
  assert.equal(s.to_remove, 3);
  assert.equal(s.exact_duplicates, 2);
  assert.equal(s.cross_split, 2);
  assert.deepEqual(s.cross_split_by_split, { test: 2, train: 2 });
  assert.equal(s.label_conflicts, 1);
  assert.equal(s.threshold, 0.9);
  const i = row(r, BROKEN);
  assert.equal(r.embeddings.status[i], 'skipped');
  assert.ok(r.embeddings.reasons[i].length > 0);
  assert.equal(r.groups.group_id[i], -1);
  for (const id of UNRELATED) assert.equal(r.groups.group_id[row(r, id)], -1, id);
});

test('full neighbour lists: none when k reaches every sample; with k = 1, every sample whose nearest is at or above the threshold; full of verified copies, they are not crowded and the CLI says nothing', async () => {
  assert.equal(r.summary.full_lists, 0, 'k = 10 lists every other of the 9 embedded samples');
  assert.ok(!humanSummary(r.summary, '/tmp/x').includes('full neighbour lists'));
  const one = await scan(root, { threshold: 0.9, cacheDir: cache, keep: 'train', k: 1 });
  const ms = columnValues<number>(one.samples, 'max_similarity');
  const expected = ms.filter((x, i) => one.embeddings.status[i] === 'ok' && Math.fround(x) >= Math.fround(0.9)).length;
  assert.ok(expected >= 6, `the three pairs of copies have their nearest at >= 0.9 (${expected})`);
  assert.equal(one.summary.full_lists, expected);
  assert.ok(one.atThreshold(1).summary.full_lists <= expected, "a higher threshold never finds more full lists");
  // Copies fill these lists, not look-alikes: nothing was rejected, so nothing is crowded, widened or printed.
  assert.equal(one.summary.crowded_lists, 0);
  assert.equal(one.summary.widened.rows, 0);
  assert.ok(!humanSummary(one.summary, '/tmp/x').includes('neighbour lists'));
  // Without verification nothing is rejected, so every full list is worth a word.
  const nv = await scan(root, { threshold: 0.9, cacheDir: cache, keep: 'train', k: 1, verify: false });
  assert.equal(nv.summary.crowded_lists, 0);
  assert.match(humanSummary(nv.summary, '/tmp/x'), new RegExp(`full neighbour lists: ${nv.summary.full_lists} samples have all 1 listed neighbours at or above 0.9.*-k 32`));
});

test('keep policies pick the expected copy', () => {
  assert.deepEqual(dups(r), ['test/cat/a.jpg', 'test/dog/b_copy.jpg', 'train/dog/c_again.png']); // keep train
  assert.deepEqual(dups(r.atThreshold(0.9, 'test')), ['train/cat/a_small.jpg', 'train/cat/b.jpg', 'train/dog/c_again.png']);
  assert.deepEqual(dups(r.atThreshold(0.9, 'first')), ['train/cat/a_small.jpg', 'train/cat/b.jpg', 'train/dog/c_again.png']);
  // largest: 640x480 beats 300x300; equal pixels → the bigger file (the PNG); equal everything → first.
  assert.deepEqual(dups(r.atThreshold(0.9, 'largest')), ['train/cat/a_small.jpg', 'train/cat/b.jpg', 'train/dog/c.jpg']);
  const last = r.atThreshold(0.9, (members) => members[members.length - 1]);
  assert.deepEqual(dups(last), ['test/cat/a.jpg', 'test/dog/b_copy.jpg', 'train/dog/c.jpg']);
  // duplicate_of points at the kept copy of the same group.
  const i = row(r, 'test/cat/a.jpg');
  assert.equal(r.ids[r.groups.duplicate_of[i]], 'train/cat/a_small.jpg');
});

test('both group semantics agree on pairs; regrouping at a higher threshold keeps only exact copies', () => {
  const f = r.atThreshold(0.9, 'train', 'fiftyone');
  assert.deepEqual(dups(f), dups(r));
  const strict = r.atThreshold(0.99999);
  assert.equal(strict.summary.groups, 2);
  assert.deepEqual(dups(strict), ['test/dog/b_copy.jpg', 'train/dog/c_again.png']);
  // The widget path: groupAtThreshold with the scan's options gives the same arrays.
  const g = groupAtThreshold(r.neighbors, 0.9, r.groupOptions());
  assert.deepEqual(g.is_duplicate, r.groups.is_duplicate);
  assert.equal(r.thresholds.count(0.9), r.summary.flagged); // exact copies have similarity 1, so they count too
});

test('reports: leakage pairs, label conflicts, exact duplicates', () => {
  const cross = rowsFromDf(r.reports.crossSplit.df);
  assert.deepEqual(cross.map((x) => [x.a, x.b].sort()).sort(), [NEAR_PAIR, BYTE_PAIR].map((p) => [...p].sort()).sort());
  assert.ok(cross.every((x) => x.a_split !== x.b_split));
  const conflicts = rowsFromDf(r.reports.labelConflicts.df);
  assert.deepEqual(conflicts.map((x) => x.id).sort(), [...BYTE_PAIR].sort());
  assert.deepEqual(new Set(conflicts.map((x) => x.label_name)), new Set(['cat', 'dog']));
  assert.equal(r.reports.labelConflicts.counts.groups, 1);
  const exact = rowsFromDf(r.reports.exactDuplicates!.df);
  assert.deepEqual(exact.map((x) => x.id).sort(), [...BYTE_PAIR, ...PIXEL_PAIR].sort());
  assert.deepEqual(exact.filter((x) => BYTE_PAIR.includes(x.id as string)).map((x) => x.matched_by), ['bytes', 'bytes']);
  assert.deepEqual(exact.filter((x) => PIXEL_PAIR.includes(x.id as string)).map((x) => x.matched_by), ['pixels', 'pixels']);
  const pairs = rowsFromDf(r.pairs);
  assert.equal(pairs.length, 3);
  assert.ok(pairs.every((p) => (p.similarity as number) >= 0.9));
});

test('uniqueness: duplicated photos score below unrelated ones', () => {
  const members = [...NEAR_PAIR, ...BYTE_PAIR, ...PIXEL_PAIR].map((id) => r.uniqueness[row(r, id)]);
  const others = UNRELATED.map((id) => r.uniqueness[row(r, id)]);
  assert.ok(Math.max(...members) < Math.min(...others), `${members} vs ${others}`);
  assert.ok(Number.isNaN(r.uniqueness[row(r, BROKEN)]));
});

test('samples DataFrame and written outputs', async () => {
  const df = r.samples;
  for (const c of ['id', 'filepath', 'split', 'label', 'label_name', 'status', 'reason', 'max_similarity', 'nearest_id', 'group_id', 'is_duplicate', 'keep', 'uniqueness']) {
    assert.ok(df.columns.includes(c), c);
  }
  assert.deepEqual(columnValues(df, 'id'), [...r.ids]);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-out-'));
  try {
    const w = await writeScanOutputs(r, out);
    for (const f of ['samples.csv', 'duplicates.csv', 'summary.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const dup = parseCsv(fs.readFileSync(path.join(out, 'duplicates.csv'), 'utf8'));
    assert.deepEqual(dup.columns, ['a', 'b', 'similarity', 'group_id', 'cosine', 'rule', 'inliers', 'coverage', 'containment', 'agreement', 'pixel_correlation', 'flipped', 'ocr_similarity', 'hash_distance']);
    assert.equal(dup.rows.length, 3);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.to_remove, 3);
    assert.equal(summary.dataset_root, fs.realpathSync(root));
    assert.equal(w.summary.samples, 10);
    await assert.rejects(writeScanOutputs(r, path.join(root, 'out')), /inside the dataset folder/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('real photos: ukbench00120 copies group with their original, unrelated photos do not', async () => {
  const FIX = path.join(__dirname, '..', 'fixtures', 'imagededup');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neardup-photos-'));
  try {
    for (const f of fs.readdirSync(path.join(FIX, 'base_images'))) fs.copyFileSync(path.join(FIX, 'base_images', f), path.join(dir, f));
    const copies = ['ukbench00120_hflip.jpg', 'ukbench00120_resize.jpg', 'ukbench00120_rotation.jpg'];
    for (const f of copies) fs.copyFileSync(path.join(FIX, 'mixed_images', f), path.join(dir, f));
    fs.copyFileSync(path.join(FIX, 'ukbench00120_gray.jpg'), path.join(dir, 'ukbench00120_gray.jpg'));
    const res = await scan(dir, { cacheDir: cache });
    const gid = (id: string) => res.groups.group_id[res.ids.indexOf(id)];
    const unrelated = res.ids.filter((id) => !id.startsWith('ukbench00120'));
    assert.equal(unrelated.length, 9);
    // At the default threshold: the easy copies join the original and nothing unrelated joins anything.
    assert.ok(gid('ukbench00120.jpg') >= 0);
    for (const id of ['ukbench00120_hflip.jpg', 'ukbench00120_resize.jpg']) assert.equal(gid(id), gid('ukbench00120.jpg'), id);
    for (const id of unrelated) assert.equal(gid(id), -1, `${id} at ${DEFAULT_THRESHOLD}`);
    // Looser: all four copies (grayscale and a 30° rotation too) form one group, still without unrelated photos.
    const loose = res.atThreshold(0.8);
    const g0 = loose.groups.group_id[loose.ids.indexOf('ukbench00120.jpg')];
    for (const id of [...copies, 'ukbench00120_gray.jpg']) assert.equal(loose.groups.group_id[loose.ids.indexOf(id)], g0, id);
    for (const id of unrelated) assert.equal(loose.groups.group_id[loose.ids.indexOf(id)], -1, id);
    assert.equal(loose.summary.groups, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a rescan reads embeddings and neighbour lists from the cache and gives the same result', async () => {
  assert.equal(r.summary.neighbors_cached, false);
  const again = await scan(root, { threshold: 0.9, cacheDir: cache, keep: 'train' });
  assert.equal(again.summary.neighbors_cached, true);
  assert.ok(fs.readdirSync(path.join(cache, 'neighbors')).some((f) => f.endsWith('.bin')));
  assert.deepEqual(Array.from(again.maxSimilarity), Array.from(r.maxSimilarity));
  assert.deepEqual(dups(again), dups(r));
  const { timings: _t1, neighbors_cached: _c1, ...before } = r.summary;
  const { timings: _t2, neighbors_cached: _c2, ...after } = again.summary;
  assert.deepEqual(after, before);
  const uncached = await scan(root, { threshold: 0.9, cacheDir: false, keep: 'train' });
  assert.equal(uncached.summary.neighbors_cached, false);
});
