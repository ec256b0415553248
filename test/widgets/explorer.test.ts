// Kernel model of the duplicate explorer, on hand-made neighbours (known groups), with a fake
// comm transport standing in for the browser; plus the browser's own count code (widgets/src/compute.ts)
// checked against the kernel's groupAtThreshold on random data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFrame } from 'danfojs-node';
import type { Dataset, Neighbors } from '../../src/types';
import { explore, Explorer, EXPLORER_MODULE, EXPLORER_MODULE_VERSION, escapeHtml, encodeCategories, keepRank } from '../../src/widgets/explorer';
import { MIME_BUNDLE } from '../../src/widgets/base';
import { getCommManager } from '../../src/kernel/comm';
import { groupAtThreshold } from '../../src/dedup/groups';
import { NeardupError } from '../../src/errors';
import type { EvidenceTable } from '../../src/widgets/explorer/evidence';
import { assign, formatSimilarity, groupMembers, middleEllipsis, sortedRows, visibleGroups, type ExplorerData } from '../../widgets/src/compute';
import { STATIC_HTML_ASYNC } from '../../src/widgets/base';
import { columnValues, parseCsv } from '../../src/frame';

/** Symmetric k-NN lists from an explicit list of similar pairs; every other pair scores `base`. */
function neighborsFrom(n: number, k: number, pairs: Array<[number, number, number]>, base = 0.1): Neighbors {
  const sim = Array.from({ length: n }, () => new Array<number>(n).fill(base));
  for (const [a, b, s] of pairs) sim[a][b] = sim[b][a] = s;
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const order = [...Array(n).keys()].filter((j) => j !== i).sort((a, b) => sim[i][b] - sim[i][a] || a - b);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = order[j];
      scores[i * k + j] = sim[i][order[j]];
    }
  }
  return { n, k, indices, scores };
}

// 8 samples: 0~1 (0.99, same split+label), 2~3 (0.95, train/test: leakage), 3~4 (0.93, label differs), 5~6 (0.90), 7 alone.
const ids = ['a.png', 'b.png', 'c.png', 'd.png', '<img src=x onerror=alert(1)>.png', 'f.png', 'g.png', 'h.png'];
const splits = ['train', 'train', 'train', 'test', 'test', 'train', 'train', 'test'];
const labels = ['cat', 'cat', 'dog', 'dog', 'bird', 'cat', 'cat', 'dog'];
const nb = neighborsFrom(8, 3, [
  [0, 1, 0.99],
  [2, 3, 0.95],
  [3, 4, 0.93],
  [5, 6, 0.9],
]);

function tinyDataset(): Dataset {
  const data = new Uint8Array(8 * 4 * 4);
  for (let i = 0; i < 8; i++) data.fill(i * 30, i * 16, (i + 1) * 16);
  return {
    name: 'tiny',
    df: new DataFrame({ id: ids, filepath: ids, split: splits, label: labels, label_name: labels, extra: ids.map((_, i) => i * 10) }),
    pixels: { kind: 'array', width: 4, height: 4, channels: 1, layout: 'interleaved', data },
  };
}

/** Full counts with the named fields set (others 0). */
function C(threshold: number, x: Record<string, number>) {
  return {
    threshold, flagged_samples: 0, groups: 0, samples_to_remove: 0, samples_to_remove_auto: 0, cross_split_groups: 0, leaks_remaining: 0,
    label_conflict_groups: 0, groups_dropped: 0, last_copies_kept: 0, tagged_keep: 0, tagged_remove: 0, ...x,
  };
}

function make(threshold: number, extra: Partial<Parameters<typeof explore>[1]> = {}, evidence?: EvidenceTable): Explorer {
  const ds = tinyDataset();
  return explore({ ids, neighbors: nb, splits, labels, dataset: ds, samples: ds.df, evidence }, { threshold, ...extra });
}

test('counts follow the threshold: groups, flagged, to-remove, cross-split, label conflicts', () => {
  const w = make(0.96);
  assert.deepEqual(w.counts, C(0.96, { flagged_samples: 2, groups: 1, samples_to_remove: 1, samples_to_remove_auto: 1 }));
  w.threshold = 0.94; // adds 2~3 (train/test, both dog)
  assert.deepEqual(w.counts, C(0.94, { flagged_samples: 4, groups: 2, samples_to_remove: 2, samples_to_remove_auto: 2, cross_split_groups: 1 }));
  w.threshold = 0.9; // 3~4 joins 2's group (dog/bird) and 5~6 appears; 4 is not a direct match of the kept 2, so it stays
  assert.deepEqual(w.counts, C(0.9, { flagged_samples: 7, groups: 3, samples_to_remove: 3, samples_to_remove_auto: 3, cross_split_groups: 1, leaks_remaining: 1, label_conflict_groups: 1 }));
  assert.throws(() => (w.threshold = 1.5), NeardupError);
  assert.throws(() => (w.threshold = NaN as any), /threshold/);
  w.close();
});

test('toDataFrame recomputes keep / is_duplicate for the current threshold and keeps extra columns', () => {
  const w = make(0.96);
  let df = w.toDataFrame();
  assert.deepEqual(df.columns.slice(0, 6), ['id', 'filepath', 'split', 'label', 'label_name', 'extra']);
  assert.deepEqual(columnValues(df, 'keep'), [true, false, true, true, true, true, true, true]);
  assert.deepEqual(columnValues(df, 'duplicate_of'), [null, 'a.png', null, null, null, null, null, null]);
  w.threshold = 0.9;
  df = w.toDataFrame();
  assert.deepEqual(columnValues(df, 'is_duplicate'), [false, true, false, true, false, false, true, false]);
  assert.deepEqual(columnValues(df, 'group_id'), [0, 0, 1, 1, 1, 2, 2, -1]);
  assert.deepEqual(columnValues(w.removed(), 'id'), ['b.png', 'd.png', 'g.png']);
  assert.deepEqual(w.removedIds(), ['b.png', 'd.png', 'g.png']);
  w.close();
});

test('tags override the automatic choice in counts, toDataFrame, removed and export', async () => {
  const w = make(0.9);
  w.tag('b.png', 'keep'); // an automatic duplicate kept by hand
  w.tag('h.png', 'remove'); // a unique sample removed by hand
  assert.deepEqual(w.tags, { 'b.png': 'keep', 'h.png': 'remove' });
  assert.equal(w.counts.samples_to_remove, 3);
  assert.equal(w.counts.tagged_keep, 1);
  assert.equal(w.counts.tagged_remove, 1);
  const df = w.toDataFrame();
  assert.deepEqual(columnValues(df, 'keep'), [true, true, true, false, true, true, false, false]);
  assert.deepEqual(columnValues(df, 'is_duplicate'), [false, true, false, true, false, false, true, false]);
  assert.deepEqual(columnValues(df, 'tag'), [null, 'keep', null, null, null, null, null, 'remove']);
  assert.deepEqual(columnValues(w.removed(), 'id'), ['d.png', 'g.png', 'h.png']);
  w.tag('b.png', null);
  assert.deepEqual(w.tags, { 'h.png': 'remove' });
  assert.equal(w.counts.samples_to_remove, 4);
  assert.throws(() => (w.tags = { 'zz.png': 'keep' }), /unknown sample id "zz.png"/);
  assert.throws(() => (w.tags = { 'a.png': 'maybe' as any }), /must be "keep", "remove" or "drop"/);

  const dir = mkdtempSync(join(tmpdir(), 'nd-explorer-'));
  try {
    const file = join(dir, 'samples.csv');
    assert.equal(await w.export(file), file);
    const { columns, rows } = parseCsv(readFileSync(file, 'utf8'));
    assert.ok(columns.includes('keep') && columns.includes('tag'));
    assert.equal(rows.length, 8);
    assert.equal(rows[4].id, '<img src=x onerror=alert(1)>.png');
    assert.deepEqual(rows.filter((r) => r.keep === 'false').map((r) => r.id), ['b.png', 'd.png', 'g.png', 'h.png']);
    await assert.rejects(w.export(''), /path must be a non-empty string/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    w.close();
  }
});

test('explore() rejects bad inputs with messages naming the argument', () => {
  assert.throws(() => explore({} as any), /pass a ScanResult/);
  assert.throws(() => explore({ ids: ['a'], neighbors: nb }), /neighbors has 8 rows but there are 1 ids/);
  assert.throws(() => explore({ ids, neighbors: nb, splits: ['x'] }), /splits has 1 entries/);
  assert.throws(() => explore({ ids, neighbors: nb }, { threshold: 2 }), /threshold must be a number from -1 to 1/);
  assert.throws(() => explore(tinyDataset().df, {} as any), /result must be the ScanResult/);
});

test('the browser side talks to the model: threshold and tags from the frontend, thumbnails on request', async () => {
  const mgr = getCommManager();
  const sent: Array<{ type: string; content: any; buffers: Uint8Array[] }> = [];
  const saved = mgr.transport;
  mgr.transport = {
    send: (type, content, _m, buffers) => sent.push({ type, content, buffers }),
    display: () => {},
    currentParentMsgId: () => '',
    log: () => {},
  };
  try {
    const w = make(0.96);
    const open = sent.find((m) => m.type === 'comm_open')!;
    const state = (open.content.data as any).state;
    assert.equal(state._model_module, EXPLORER_MODULE);
    assert.equal(state._model_name, 'ExplorerModel');
    // The big arrays travel as binary buffers, not JSON.
    const paths = (open.content.data as any).buffer_paths.map((p: string[]) => p.join('.'));
    for (const key of ['_max_similarity', '_nn_indices', '_nn_scores', '_ids', '_split_codes', '_label_codes']) assert.ok(paths.includes(key), key);
    const idsBuf = open.buffers[paths.indexOf('_ids')];
    assert.deepEqual(new TextDecoder().decode(idsBuf).split('\0'), ids);

    const deliver = (data: object, buffers: Uint8Array[] = []) =>
      mgr.handleMsg({ comm_id: w.model_id, data: data as any }, buffers, {});
    sent.length = 0;
    deliver({ method: 'update', state: { threshold: 0.9 }, buffer_paths: [] });
    assert.equal(w.threshold, 0.9);
    const update = sent.find((m) => m.type === 'comm_msg' && (m.content.data as any).method === 'update');
    assert.equal((update!.content.data as any).state.counts.groups, 3);

    deliver({ method: 'update', state: { tags: { 'a.png': 'remove' } }, buffer_paths: [] });
    // a.png was the kept copy of {a, b}: removing it keeps b.png instead (never the last copy).
    assert.deepEqual(columnValues<boolean>(w.toDataFrame(), 'keep').slice(0, 2), [false, true]);
    assert.equal(w.counts.samples_to_remove, 3);
    assert.equal(w.counts.last_copies_kept, 1);

    sent.length = 0;
    deliver({ method: 'custom', content: { type: 'thumbnails', rows: [1, 4, 99] } });
    for (let i = 0; i < 50 && !sent.some((m) => (m.content.data as any)?.method === 'custom'); i++) await new Promise((r) => setTimeout(r, 20));
    const reply = sent.find((m) => (m.content.data as any)?.method === 'custom')!;
    assert.deepEqual((reply.content.data as any).content.rows, [1, 4]); // out-of-range row dropped
    assert.equal(reply.buffers.length, 2);
    for (const b of reply.buffers) assert.deepEqual([...b.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    w.close();
  } finally {
    mgr.transport = saved;
  }
});

test('display bundle: widget view, text summary, and a static HTML picture (histogram, counts, group cards with images) for exports', async () => {
  const w = make(0.9);
  // During the cell (browser mode, not grouped yet): the text names the size; the counts follow.
  assert.equal(String(w[MIME_BUNDLE]().data['text/plain']), 'Explorer(8 samples, threshold=0.9; the counts follow)');
  assert.equal(w.counts.groups, 3);
  const { data } = w[MIME_BUNDLE]();
  assert.ok(data['application/vnd.jupyter.widget-view+json']);
  assert.match(String(data['text/plain']), /8 samples, threshold=0\.9: 7 samples in 3 groups, 3 samples to remove, 1 cross-split groups \(1 leaks kept\), 1 label-conflict groups/);
  const html = String(await (w as any)[STATIC_HTML_ASYNC]());
  assert.match(html, /<svg[^>]*histogram of max_similarity, threshold 0\.9/);
  assert.match(html, /<b[^>]*>7<\/b> samples in groups/);
  assert.match(html, /<b[^>]*>3<\/b> samples to remove/);
  assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 7, 'every member of the 3 groups as an image');
  assert.ok(!/<script|src="http/.test(html), 'offline: no script, no external resource');
  assert.ok(!html.includes('<img src=x'), 'file name must be escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.png') || html.includes('&lt;img src=x onerror=al'));
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  // The picture follows the state: after a threshold change it is rebuilt.
  w.threshold = 0.96;
  const html2 = String(await (w as any)[STATIC_HTML_ASYNC]());
  assert.match(html2, /<b[^>]*>2<\/b> samples in groups/);
  w.close();
});

test('the model module version matches the browser package', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../widgets/package.json'), 'utf8'));
  assert.equal(EXPLORER_MODULE, pkg.name);
  assert.equal(EXPLORER_MODULE_VERSION, pkg.version);
});

/** Deterministic pseudo-random numbers. */
function rng(seed: number) {
  return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('browser counts (widgets/src/compute.ts) equal the kernel groupAtThreshold on random data', async () => {
  const rand = rng(7);
  const n = 600;
  const k = 5;
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: k }, () => 0.8 + 0.2 * rand()).sort((a, b) => b - a);
    for (let j = 0; j < k; j++) {
      let o = Math.floor(rand() * n);
      if (o === i) o = (o + 1) % n;
      indices[i * k + j] = j === k - 1 && rand() < 0.1 ? -1 : o;
      scores[i * k + j] = s[j];
    }
  }
  const neighbors: Neighbors = { n, k, indices, scores };
  const sp = Array.from({ length: n }, () => (rand() < 0.8 ? 'train' : rand() < 0.5 ? 'test' : null));
  const lb = Array.from({ length: n }, () => (rand() < 0.05 ? null : Math.floor(rand() * 4)));
  const valid = Uint8Array.from({ length: n }, () => (rand() < 0.97 ? 1 : 0));
  const exactGroups = Int32Array.from({ length: n }, () => (rand() < 0.05 ? Math.floor(rand() * 6) : -1));
  const idList = Array.from({ length: n }, (_, i) => `s${i}`);
  const splitEnc = encodeCategories(sp, n);
  const labelEnc = encodeCategories(lb, n);
  for (const keep of ['first', 'test'] as const) {
    const opts = { keep, splits: sp, labels: lb, valid, exactGroups };
    const data: ExplorerData = {
      n, k, indices, scores,
      maxSimilarity: new Float32Array(n),
      splitCodes: splitEnc.codes, splitNames: splitEnc.names,
      labelCodes: labelEnc.codes, labelNames: labelEnc.names,
      exactGroups, valid, keepRank: keepRank(keep, n, opts)!, ids: idList,
    };
    // Up, then down again on the same data (the view reuses scratch arrays between steps).
    for (const t of [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1, 0.9, 0.8, 0.97, 0.85]) {
      const g = groupAtThreshold(neighbors, t, opts);
      const a = assign(data, t, {});
      const { exact_duplicates: _x, ...kernel } = g.counts;
      const mine = a.counts;
      assert.deepEqual(
        [mine.flagged_samples, mine.groups, mine.samples_to_remove, mine.cross_split_groups, mine.label_conflict_groups],
        [kernel.flagged, kernel.groups, kernel.to_remove, kernel.cross_split, kernel.label_conflicts],
        `keep=${keep} t=${t}`,
      );
      assert.deepEqual(Array.from(a.group), Array.from(g.group_id), `groups keep=${keep} t=${t}`);
      assert.deepEqual(Array.from(a.removed), Array.from(g.is_duplicate), `removed keep=${keep} t=${t}`);
    }
  }
  // Filters and sort order of the grid.
  const data: ExplorerData = {
    n: 8, k: 3, indices: nb.indices, scores: nb.scores, maxSimilarity: Float32Array.from({ length: 8 }, (_, i) => nb.scores[i * 3]),
    splitCodes: encodeCategories(splits, 8).codes, splitNames: encodeCategories(splits, 8).names,
    labelCodes: encodeCategories(labels, 8).codes, labelNames: encodeCategories(labels, 8).names,
    exactGroups: new Int32Array(8).fill(-1), valid: new Uint8Array(8).fill(1), keepRank: keepRank('first', 8, {})!, ids,
  };
  const a = assign(data, 0.9);
  // Groups at 0.9: {0,1} (0.99), {2,3,4} (0.95, cross-split, label conflict), {5,6} (0.90): most similar first.
  assert.deepEqual(Array.from(visibleGroups(data, a, 'flagged', '')), [0, 1, 2]);
  assert.deepEqual(Array.from(visibleGroups(data, a, 'cross_split', '')), [1]);
  // c (train) is kept and d (test) removed as its direct copy; e (test) is kept because it is not a
  // direct match of c: both splits keep a member, so the group stays visible as a leak to look at.
  assert.deepEqual(Array.from(visibleGroups(data, a, 'leak', '')), [1]);
  // Keeping the removed test copy d keeps both sides of the leak: it stays visible as a leak.
  const kept = assign(data, 0.9, { 'd.png': 'keep' });
  assert.deepEqual(Array.from(visibleGroups(data, kept, 'leak', '')), [1]);
  assert.equal(kept.counts.leaks_remaining, 1);
  assert.deepEqual(Array.from(visibleGroups(data, a, 'label_conflict', '')), [1]);
  assert.deepEqual(Array.from(visibleGroups(data, a, 'flagged', 'BIRD')), [1]);
  assert.deepEqual(Array.from(visibleGroups(data, a, 'flagged', 'g.p')), [2]);
  assert.deepEqual(Array.from(visibleGroups(data, a, 'exact', '')), []);
  assert.equal(assign(data, 0.9, { 'h.png': 'remove', 'b.png': 'keep' }).counts.samples_to_remove, 3);
  // A card: kept copy first, then members with their similarity to it and the evidence.
  const m = groupMembers(data, a, 1, 0.9);
  assert.deepEqual(m.map((x) => x.row), [2, 3, 4]);
  assert.equal(m[0].evidence, 'kept copy');
  assert.ok(Math.abs(m[1].similarity! - 0.95) < 1e-6);
  assert.match(m[1].evidence, /cosine 0\.950 ≥ threshold 0\.9, to the kept copy/);
  assert.equal(m[1].rule, 'cos ≥ 0.9');
  assert.equal(m[2].similarity, null, 'e is not a neighbour of c');
  assert.match(m[2].evidence, /joined through d\.png: cosine 0\.930 ≥ threshold 0\.9; not a near neighbour of the kept copy/);
  assert.equal(m[2].rule, 'via cos ≥ 0.9');
  // With the verification's evidence: c≈d is sure on its cosine (≥ 0.94), d≈e was confirmed by keypoints.
  const evidence = {
    pairs: Int32Array.from([3, 4]), inliers: Int32Array.from([45]), coverage: Float32Array.from([0.38]),
    correlation: Float32Array.from([NaN]), agreement: Float32Array.from([NaN]), flipped: Uint8Array.from([1]), hashBits: Int32Array.from([-1]), settings: { band: 0.7, sure: 0.94 },
  };
  const mv = groupMembers({ ...data, evidence }, a, 1, 0.9);
  assert.deepEqual(mv.map((x) => x.rule), ['', 'cos ≥ 0.94', 'via keypoints 45 · 38%']);
  assert.match(mv[1].evidence, /cosine 0\.950 ≥ 0\.94 \(sure without a second check\), to the kept copy/);
  assert.match(mv[2].evidence, /joined through d\.png: keypoints: 45 RANSAC inliers spanning 38% of the image, mirrored \(cosine 0\.930\)/);
  // The kernel's cards (and so the static picture and the report) say the same.
  const wk = make(0.9, {}, evidence);
  const card = wk.cards().find((c) => c.members.some((x) => x.id === 'c.png'))!;
  assert.deepEqual(card.members.map((x) => x.rule), mv.map((x) => x.rule));
  assert.deepEqual(card.members.slice(1).map((x) => x.evidence), mv.slice(1).map((x) => x.evidence));
  // The containment of a keypoint pair (src/verify MIN_CONTAINMENT) reads the same on both sides.
  const inside = { ...evidence, containment: Float32Array.from([0.97]) };
  const mi = groupMembers({ ...data, evidence: inside }, a, 1, 0.9);
  assert.match(mi[2].evidence, /45 RANSAC inliers spanning 38% of the image, 97% of one picture inside the other, mirrored \(cosine 0\.930\)/);
  const wi = make(0.9, {}, inside);
  assert.equal(wi.cards().find((c) => c.members.some((x) => x.id === 'c.png'))!.members[2].evidence, mi[2].evidence);
  wi.close();
  // Pixels and pHash evidence read the same way on both sides.
  for (const [ev, short] of [
    [{ ...evidence, inliers: Int32Array.from([-1]), correlation: Float32Array.from([0.9812]), flipped: Uint8Array.from([0]) }, 'via pixels r=0.981'],
    [{ ...evidence, inliers: Int32Array.from([-1]), hashBits: Int32Array.from([4]) }, 'via pHash 4 bits'],
    // Tile agreement (src/verify/photometric.ts): alone when the pictures agree as they are, after the keypoints otherwise.
    [{ ...evidence, inliers: Int32Array.from([-1]), agreement: Float32Array.from([1]), flipped: Uint8Array.from([0]) }, 'via tiles 100%'],
    [{ ...evidence, agreement: Float32Array.from([0.924]) }, 'via keypoints 45 · 38% · tiles 92%'],
  ] as const) {
    assert.equal(groupMembers({ ...data, evidence: ev }, a, 1, 0.9)[2].rule, short);
    const w3 = make(0.9, {}, ev);
    assert.equal(w3.cards().find((c) => c.members.some((x) => x.id === 'c.png'))!.members[2].rule, short);
    w3.close();
  }
  assert.match(await wk.staticHtml(), /via keypoints 45 · 38%/);
  wk.close();
  void sortedRows;
});

test('on the bundled sample, explore(result) agrees with scan at every threshold, and explore(df, result) keeps df columns', { timeout: 300_000 }, async () => {
  const { scan } = await import('../../src/pipeline/scan');
  const result = await scan('sample', { threshold: 0.9, size: 96 });
  const w = explore(result);
  assert.equal(w.threshold, 0.9);
  for (const t of [0.9, 0.95, 0.98]) {
    w.threshold = t;
    const s = result.atThreshold(t).summary;
    assert.deepEqual(
      [w.counts.flagged_samples, w.counts.groups, w.counts.samples_to_remove, w.counts.cross_split_groups, w.counts.label_conflict_groups],
      [s.flagged, s.groups, s.to_remove, s.cross_split, s.label_conflicts],
      `t=${t}`,
    );
    assert.deepEqual(columnValues(w.toDataFrame(), 'keep'), columnValues(result.atThreshold(t).samples, 'keep'));
  }
  w.threshold = 0.9;
  assert.ok(w.counts.flagged_samples > 0 && w.counts.cross_split_groups > 0, 'the sample has near duplicates and leakage at 0.9');
  w.close();

  const mine = result.samples.head(50);
  mine.addColumn('note', new Array(50).fill('x'), { inplace: true });
  const w2 = explore(mine, result, { threshold: 0.95 });
  const df = w2.toDataFrame();
  assert.equal(df.shape[0], 50);
  assert.ok(df.columns.includes('note') && df.columns.includes('tag'));
  assert.deepEqual(columnValues(df, 'keep'), columnValues(result.atThreshold(0.95).samples, 'keep').slice(0, 50));
  w2.close();
});

test('tagging never drops a whole group silently: remove keeps another copy, tag() refuses the last one, drop is explicit; kernel and browser agree', () => {
  const w = make(0.96); // one group {a, b}: a kept, b removed
  // Removing the kept copy keeps b instead (the browser asks first; the kernel's rule is the safety net).
  w.tags = { 'a.png': 'remove' };
  assert.deepEqual(columnValues<boolean>(w.toDataFrame(), 'keep').slice(0, 2), [false, true]);
  assert.equal(w.counts.samples_to_remove, 1);
  assert.equal(w.counts.last_copies_kept, 1);
  // Both tagged remove: the policy's favourite (a) is kept, and counted.
  w.tags = { 'a.png': 'remove', 'b.png': 'remove' };
  assert.deepEqual(columnValues<boolean>(w.toDataFrame(), 'keep').slice(0, 2), [true, false]);
  assert.equal(w.counts.groups_dropped, 0);
  // tag() refuses to take the last kept copy and names the way out.
  w.tags = {};
  assert.throws(() => w.tag('a.png', 'remove'), /last kept copy of group 0; tag it "drop"/);
  assert.deepEqual(w.tags, {});
  // An explicit drop removes every copy.
  w.tag('a.png', 'drop');
  assert.deepEqual(columnValues<boolean>(w.toDataFrame(), 'keep').slice(0, 2), [false, false]);
  assert.equal(w.counts.groups_dropped, 1);
  assert.equal(w.counts.samples_to_remove, 2);
  // Leak that stays: at 0.94, {c (train), d (test)}; keeping d keeps both splits.
  w.tags = {};
  w.threshold = 0.94;
  w.tag('d.png', 'keep');
  assert.equal(w.counts.cross_split_groups, 1);
  assert.equal(w.counts.leaks_remaining, 1);
  const card = w.cards().find((c) => c.crossSplit)!;
  assert.ok(card.leak, 'the group card says the leak is kept');
  w.close();

  // The browser's decision equals the kernel's, tags included, on random data.
  const rand = rng(11);
  const n = 300;
  const k = 4;
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const sc = Array.from({ length: k }, () => 0.85 + 0.15 * rand()).sort((x, y) => y - x);
    for (let j = 0; j < k; j++) {
      let o = Math.floor(rand() * n);
      if (o === i) o = (o + 1) % n;
      indices[i * k + j] = o;
      scores[i * k + j] = sc[j];
    }
  }
  const idList = Array.from({ length: n }, (_, i) => `r${i}`);
  const sp = Array.from({ length: n }, () => (rand() < 0.7 ? 'train' : 'test'));
  const neighbors: Neighbors = { n, k, indices, scores };
  const tags: Record<string, 'keep' | 'remove' | 'drop'> = {};
  for (let i = 0; i < 80; i++) tags[`r${Math.floor(rand() * n)}`] = (['keep', 'remove', 'remove', 'drop'] as const)[Math.floor(rand() * 4)];
  const wk = explore({ ids: idList, neighbors, splits: sp }, { threshold: 0.95, keep: 'test', tags });
  const enc = encodeCategories(sp, n);
  const data: ExplorerData = {
    n, k, indices, scores, maxSimilarity: Float32Array.from({ length: n }, (_, i) => scores[i * k]),
    splitCodes: enc.codes, splitNames: enc.names, labelCodes: new Int32Array(n).fill(-1), labelNames: [],
    exactGroups: new Int32Array(n).fill(-1), valid: new Uint8Array(n).fill(1), keepRank: keepRank('test', n, { splits: sp })!, ids: idList,
  };
  // Up and down on one data set: each step must leave the view's scratch arrays as it found them.
  for (const t of [0.9, 0.95, 0.98, 0.92, 0.97, 0.9, 0.99, 0.94, 0.96]) {
    wk.threshold = t;
    const b = assign(data, t, tags);
    assert.deepEqual(b.counts, wk.counts, `t=${t}`);
    assert.deepEqual(columnValues<boolean>(wk.toDataFrame(), 'keep'), Array.from(b.removed, (r) => r === 0), `t=${t}`);
  }
  wk.close();
});

test('exportAll writes every file from one state: the current threshold and tags, with counts named for what they count', async () => {
  const w = make(0.96);
  w.threshold = 0.9; // as if the slider moved after the cell that made the explorer
  w.tag('d.png', 'keep'); // keeps the test copy of the train/test pair: the leak stays
  const dir = mkdtempSync(join(tmpdir(), 'nd-export-all-'));
  try {
    const summary = await w.exportAll(dir, { extra: { dataset: 'tiny' } });
    const read = (f: string) => parseCsv(readFileSync(join(dir, f), 'utf8')).rows;
    const train = read('train_dedup.csv');
    const testRows = read('test_dedup.csv');
    const removed = read('removed.csv');
    const cross = read('cross_split.csv');
    const conflicts = read('label_conflicts.csv');
    const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.deepEqual(json, JSON.parse(JSON.stringify(summary)));
    assert.equal(json.dataset, 'tiny');
    assert.equal(json.threshold, 0.9);
    assert.equal(json.samples_to_remove, removed.length);
    assert.equal(json.samples_to_remove, 2); // b, g (d kept by tag; e is never removed: not a direct match of the kept c)
    assert.equal(json.samples_to_remove_auto, 3);
    assert.equal(train.length + testRows.length + removed.length, 8);
    assert.deepEqual(removed.map((r) => r.id).sort(), ['b.png', 'g.png'].sort());
    assert.equal(json.cross_split_groups, 1);
    assert.equal(json.cross_split_pairs, cross.length);
    assert.equal(cross.length, 1); // c~d (train/test); d~e are both test
    assert.equal(json.leaks_remaining, 1);
    assert.equal(json.label_conflict_groups, 1);
    assert.equal(json.label_conflict_samples, conflicts.length);
    assert.deepEqual(conflicts.map((r) => r.keep), ['true', 'true', 'true'], 'label_conflicts.csv carries the final keep (d kept by tag)');
    assert.deepEqual(json.files, { 'train_dedup.csv': train.length, 'test_dedup.csv': testRows.length, 'removed.csv': 2, 'cross_split.csv': cross.length, 'label_conflicts.csv': 3 });
    // The widget's counts are the same numbers.
    assert.equal(w.counts.samples_to_remove, json.samples_to_remove);
    assert.equal(w.counts.cross_split_groups, json.cross_split_groups);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    w.close();
  }
});

test('similarities below 1 never read 1.000; long ids are cut in the middle', () => {
  assert.equal(formatSimilarity(0.9996), '0.9996');
  assert.equal(formatSimilarity(0.99996), '0.99996');
  assert.equal(formatSimilarity(0.999999), '0.99999+');
  assert.equal(formatSimilarity(1), '1.000');
  assert.equal(formatSimilarity(0.95), '0.950');
  assert.equal(middleEllipsis('imagededup/base_images/ukbench01380.jpg', 20), 'imagede…nch01380.jpg');
  assert.ok(middleEllipsis('imagededup/base_images/ukbench01380.jpg', 20).endsWith('.jpg'));
});

test('the evidence table keeps verified pairs and pHash matches, once each, and drops the rest', async () => {
  const { buildEvidenceTable } = await import('../../src/widgets/explorer/evidence');
  const e = (a: number, b: number, rule: string, inliers = -1, corr = NaN) => ({ a, b, rule, inliers, coverage: inliers >= 0 ? 0.4 : NaN, pixelCorrelation: corr, flipped: false });
  const t = buildEvidenceTable(
    [e(0, 1, 'cosine'), e(2, 3, 'verified', 45), e(4, 5, 'verified', -1, 0.97), e(6, 7, 'rejected', 3)],
    [[5, 4, 2] as const, [8, 9, 6] as const],
    { band: 0.7, sure: 0.94 },
  );
  assert.deepEqual(Array.from(t.pairs), [2, 3, 4, 5, 8, 9]);
  assert.deepEqual(Array.from(t.inliers), [45, -1, -1]);
  assert.deepEqual(Array.from(t.hashBits), [-1, 2, 6]);
  assert.ok(Math.abs(t.correlation[1] - 0.97) < 1e-6 && Number.isNaN(t.correlation[0]));
  const t2 = buildEvidenceTable([{ ...e(0, 1, 'verified'), agreement: 0.85 }], [], { band: 0.86, sure: 0.99 });
  assert.ok(Math.abs(t2.agreement[0] - 0.85) < 1e-6, 'the tile agreement reaches the browser');
});

test('kernel-served pages (browserCompute: false) list the same groups, members and words as the browser computes, with no per-sample array sent', async () => {
  const rand = rng(11);
  const n = 500;
  const k = 4;
  const indices = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: k }, () => 0.85 + 0.15 * rand()).sort((a, b) => b - a);
    for (let j = 0; j < k; j++) {
      let o = Math.floor(rand() * n);
      if (o === i) o = (o + 1) % n;
      indices[i * k + j] = o;
      scores[i * k + j] = s[j];
    }
  }
  const sp = Array.from({ length: n }, () => (rand() < 0.7 ? 'train' : 'test'));
  const lb = Array.from({ length: n }, () => Math.floor(rand() * 3));
  const exactGroups = Int32Array.from({ length: n }, () => (rand() < 0.04 ? Math.floor(rand() * 5) : -1));
  const idList = Array.from({ length: n }, (_, i) => `img/${i}.png`);
  const mgr = getCommManager();
  const sent: Array<{ type: string; content: any; buffers: Uint8Array[] }> = [];
  const saved = mgr.transport;
  mgr.transport = { send: (type, content, _m, buffers) => sent.push({ type, content, buffers }), display: () => {}, currentParentMsgId: () => '', log: () => {} };
  try {
    const neighbors: Neighbors = { n, k, indices, scores };
    const w = explore({ ids: idList, neighbors, splits: sp, labels: lb, exactGroups }, { threshold: 0.95, browserCompute: false });
    const open = sent.find((m) => m.type === 'comm_open')!;
    const state = (open.content.data as any).state;
    assert.equal(state._mode, 'kernel');
    assert.deepEqual(open.buffers.length, 0, 'no binary buffer (no per-sample array) in kernel mode');
    const splitEnc = encodeCategories(sp, n);
    const labelEnc = encodeCategories(lb, n);
    const data: ExplorerData = {
      n, k, indices, scores, maxSimilarity: Float32Array.from({ length: n }, (_, i) => scores[i * k]),
      splitCodes: splitEnc.codes, splitNames: splitEnc.names, labelCodes: labelEnc.codes, labelNames: labelEnc.names,
      exactGroups, valid: new Uint8Array(n).fill(1), keepRank: keepRank('first', n, {})!, ids: idList,
    };
    // The histogram's bins from the kernel are the browser's.
    const { histogram } = await import('../../widgets/src/compute');
    assert.deepEqual(state._hist, histogram(data.maxSimilarity, 100));
    const ask = (content: object) => {
      sent.length = 0;
      mgr.handleMsg({ comm_id: w.model_id, data: { method: 'custom', content } as any }, [], {});
      return (sent.find((m) => (m.content.data as any)?.method === 'custom')!.content.data as any).content;
    };
    for (const t of [0.97, 0.95, 0.93]) {
      mgr.handleMsg({ comm_id: w.model_id, data: { method: 'update', state: { threshold: t }, buffer_paths: [] } as any }, [], {});
      const a = assign(data, t, {});
      for (const [filter, search] of [['flagged', ''], ['cross_split', ''], ['label_conflict', ''], ['exact', ''], ['flagged', 'img/1']] as const) {
        const want = Array.from(visibleGroups(data, a, filter, search));
        const got: number[] = [];
        for (let page = 0; ; page++) {
          const p = ask({ type: 'page', filter, search, page, page_size: 7, expanded: [] });
          assert.equal(p.threshold, t);
          assert.equal(p.total, want.length, `t=${t} ${filter} ${search}`);
          assert.equal(p.counts.groups, a.counts.groups);
          assert.equal(p.counts.samples_to_remove, a.counts.samples_to_remove);
          for (const c of p.cards) {
            got.push(c.group);
            const members = groupMembers(data, a, c.group, t);
            assert.equal(c.size, members.length);
            assert.deepEqual(
              c.members.map((m: any) => [m.row, m.id, !m.removed, m.similarity, m.evidence, m.rule]),
              members.slice(0, 5).map((m) => [m.row, idList[m.row], m.kept, m.similarity === null ? null : m.similarity, m.evidence, m.rule]),
              `t=${t} group ${c.group}`,
            );
          }
          if ((page + 1) * 7 >= p.total) break;
        }
        assert.deepEqual(got, want, `every group once, in order: t=${t} ${filter} ${search}`);
      }
    }
    // The closer look's group: every member of the sample's group.
    const a = assign(data, 0.93, {});
    const row = a.members[a.offsets[0]];
    const g = ask({ type: 'group', row });
    assert.deepEqual(g.card.members.map((m: any) => m.row), groupMembers(data, a, a.group[row], 0.93).map((m) => m.row));
    w.close();
  } finally {
    mgr.transport = saved;
  }
});

test('ids decoded on first read (lazyIds) read like the plain array: indexes, length, search, iteration', async () => {
  const { lazyIds, rowIndex } = await import('../../widgets/src/compute');
  const list = ['train/0', 'tést/ü1', '', 'a\u00e9/b c.png', '<img src=x>.png', 'z'];
  const lazy = lazyIds(new TextEncoder().encode(list.join('\0')));
  assert.equal(lazy.length, list.length);
  assert.equal(lazy[3], list[3]);
  assert.equal(lazy[1], list[1]);
  assert.equal(lazy[9], undefined);
  assert.deepEqual([...lazy], list);
  assert.equal(lazy.indexOf('z'), 5);
  assert.deepEqual(lazy.map((x) => x.length), list.map((x) => x.length));
  assert.equal(rowIndex({ ids: lazy }).get('<img src=x>.png'), 4);
  assert.equal(JSON.stringify(lazy), JSON.stringify(list));
});

test('counts in the text and static views read as en-US grouping does', async () => {
  const { formatCount } = await import('../../src/widgets/explorer/format');
  for (const x of [0, 7, 999, 1000, 70000, 1234567, 1000000, -1234]) assert.equal(formatCount(x), x.toLocaleString('en-US'), String(x));
});

test('browser mode: the kernel groups after the cell (off the first paint), or at once when asked', async () => {
  const w = make(0.9);
  assert.equal(w.get('counts'), null, 'not grouped during the cell');
  assert.equal(w.counts.flagged_samples, 7, 'grouped on first need');
  const w2 = make(0.9);
  await new Promise((r) => setImmediate(r));
  assert.equal((w2.get('counts') as any)?.flagged_samples, 7, 'grouped right after the cell');
  w.close();
  w2.close();
});
