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
import { assign, sortedRows, visibleRows, type ExplorerData } from '../../widgets/src/compute';
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

function make(threshold: number, extra: Partial<Parameters<typeof explore>[1]> = {}): Explorer {
  const ds = tinyDataset();
  return explore({ ids, neighbors: nb, splits, labels, dataset: ds, samples: ds.df }, { threshold, ...extra });
}

test('counts follow the threshold: groups, flagged, to-remove, cross-split, label conflicts', () => {
  const w = make(0.96);
  assert.deepEqual(w.counts, { threshold: 0.96, flagged: 2, groups: 1, to_remove: 1, cross_split: 0, label_conflicts: 0, tagged_keep: 0, tagged_remove: 0 });
  w.threshold = 0.94; // adds 2~3 (train/test, both dog)
  assert.deepEqual(w.counts, { threshold: 0.94, flagged: 4, groups: 2, to_remove: 2, cross_split: 1, label_conflicts: 0, tagged_keep: 0, tagged_remove: 0 });
  w.threshold = 0.9; // 3~4 joins 2's group (dog/bird) and 5~6 appears; 4 is not a direct match of the kept 2, so it stays
  assert.deepEqual(w.counts, { threshold: 0.9, flagged: 7, groups: 3, to_remove: 3, cross_split: 1, label_conflicts: 1, tagged_keep: 0, tagged_remove: 0 });
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
  assert.equal(w.counts.to_remove, 3);
  assert.equal(w.counts.tagged_keep, 1);
  assert.equal(w.counts.tagged_remove, 1);
  const df = w.toDataFrame();
  assert.deepEqual(columnValues(df, 'keep'), [true, true, true, false, true, true, false, false]);
  assert.deepEqual(columnValues(df, 'is_duplicate'), [false, true, false, true, false, false, true, false]);
  assert.deepEqual(columnValues(df, 'tag'), [null, 'keep', null, null, null, null, null, 'remove']);
  assert.deepEqual(columnValues(w.removed(), 'id'), ['d.png', 'g.png', 'h.png']);
  w.tag('b.png', null);
  assert.deepEqual(w.tags, { 'h.png': 'remove' });
  assert.equal(w.counts.to_remove, 4);
  assert.throws(() => (w.tags = { 'zz.png': 'keep' }), /unknown sample id "zz.png"/);
  assert.throws(() => (w.tags = { 'a.png': 'maybe' as any }), /must be "keep" or "remove"/);

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
    assert.equal(columnValues<boolean>(w.toDataFrame(), 'keep')[0], false);
    assert.equal(w.counts.to_remove, 4);

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

test('display bundle: widget view plus escaped HTML and text summaries for frontends without the extension', () => {
  const w = make(0.9);
  const { data } = w[MIME_BUNDLE]();
  assert.ok(data['application/vnd.jupyter.widget-view+json']);
  const html = String(data['text/html']);
  assert.match(html, /<b>7<\/b> flagged/);
  assert.ok(!html.includes('<img src=x'), 'file name must be escaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.png'));
  assert.match(String(data['text/plain']), /8 samples, threshold=0\.9: 7 flagged, 3 groups, 3 to remove/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
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

test('browser counts (widgets/src/compute.ts) equal the kernel groupAtThreshold on random data', () => {
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
    for (const t of [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1]) {
      const g = groupAtThreshold(neighbors, t, opts);
      const a = assign(data, t, {});
      const { exact_duplicates: _x, ...kernel } = g.counts;
      assert.deepEqual({ ...a.counts, threshold: undefined }, { ...kernel, threshold: undefined, tagged_keep: 0, tagged_remove: 0 }, `keep=${keep} t=${t}`);
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
  const order = sortedRows(data);
  assert.deepEqual(Array.from(order.subarray(0, 5)), [0, 1, 2, 3, 4]);
  const a = assign(data, 0.9);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'flagged', '')), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'cross_split', '')), [2, 3, 4]);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'label_conflict', '')), [2, 3, 4]);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'all', 'BIRD')), [4]);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'all', 'g.p')), [6]);
  assert.deepEqual(Array.from(visibleRows(data, order, a, 'exact', '')), []);
  assert.equal(assign(data, 0.9, { 'h.png': 'remove', 'b.png': 'keep' }).counts.to_remove, 3);
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
      [w.counts.flagged, w.counts.groups, w.counts.to_remove, w.counts.cross_split, w.counts.label_conflicts],
      [s.flagged, s.groups, s.to_remove, s.cross_split, s.label_conflicts],
      `t=${t}`,
    );
    assert.deepEqual(columnValues(w.toDataFrame(), 'keep'), columnValues(result.atThreshold(t).samples, 'keep'));
  }
  w.threshold = 0.9;
  assert.ok(w.counts.flagged > 0 && w.counts.cross_split > 0, 'the sample has near duplicates and leakage at 0.9');
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
