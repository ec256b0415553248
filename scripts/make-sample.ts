/**
 * Builds the bundled sample (data/sample/) from the real Fashion-MNIST (70,000 images, both splits).
 * Run: node --import tsx scripts/make-sample.ts [fashion-mnist-folder]   (default /usr/share/datasets/fashion-mnist)
 * About 1 minute for the pixel search, plus the neardup scan of all 70,000 images: the first run
 * embeds them (minutes; cached in $NEARDUP_CACHE), later runs read the cache.
 *
 * Two independent sources of cases (deterministic; seed below):
 *  A. Ground truth in pixel space, independent of any model (reason `near-duplicate`; bench/eval/sample-check.ts
 *     scores neardup against these pairs):
 *     1. exact duplicates: images whose 784 bytes are identical (the full dataset has none);
 *     2. every pair whose pixel L2 distance is at most NEAR_RMS * 28 (RMS difference per pixel <= NEAR_RMS
 *        grey levels) and whose Pearson correlation is >= NEAR_CORR, found exactly (candidates pruned by
 *        |‖a‖-‖b‖| <= d(a,b) on images sorted by norm, then by the 4x4 mean-pooled distance), kept as
 *        connected groups.
 *  B. The article's other cases, found by scanning the full 70,000 with neardup itself (`scan` with the
 *     walkthrough's defaults: dequantized MobileNetV2 at 128 px, exact top-10, verification, default
 *     threshold T = 0.98 for tiny grayscale). int8/float kernels differ slightly per CPU, so every case is
 *     taken with a margin from the threshold at which it shows:
 *     3. leakage (`cross-split`): groups at T + MARGIN of 2–MAX_GROUP members spanning train and test, most
 *        similar first (up to MAX_CROSS);
 *     4. more near duplicates (`scan-group`): groups at T + MARGIN within one split (up to MAX_NEAR);
 *     5. label conflicts (`label-conflict`): pairs in the k-NN lists (after verification) whose labels
 *        differ and whose pixels correlate (r >= CONFLICT_CORR), most similar first, up to MAX_CONFLICTS
 *        pairs of distinct images. The full dataset has none at T: the script prints the cosines, and the
 *        walkthrough shows them at the highest threshold where they appear;
 *     6. uniqueness (`most-unique`): the MOST_UNIQUE images with the highest uniqueness of the 70,000.
 *  C. Seeded random images (`random`) fill up to TARGET, drawn so train:test stays 6:1 like the full dataset.
 * Output: data/sample/images-idx3-ubyte.gz (N x 28 x 28, rows train then test, each by original index)
 *         data/sample/samples.csv (split, original_index, label, reason, group).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadIdxFolder, encodeIdx } from '../src/datasets/idx';
import { writeFileAtomic } from '../src/frame/atomic';
import { writeCsv } from '../src/frame/csv';
import { columnValues } from '../src/frame/table';
import { scan } from '../src/pipeline/scan';

const SEED = 20261125;
const NEAR_RMS = 10;
const NEAR_CORR = 0.98;
const NEAR_PAIRS = 150;
const MAX_EXACT_GROUPS = 200;
const TARGET = 3000;
const MARGIN = 0.005;
const MAX_GROUP = 4;
const MAX_CROSS = 30;
const MAX_NEAR = 20;
const MAX_CONFLICTS = 8;
const CONFLICT_CORR = 0.9;
const MOST_UNIQUE = 8;

function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main() {
  const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
  const ds = await loadIdxFolder(src, 'fashion-mnist');
  if (ds.pixels.kind !== 'array') throw new Error('expected array pixels');
  const px = ds.pixels.data;
  const split = columnValues<string>(ds.df, 'split');
  const orig = columnValues<number>(ds.df, 'original_index');
  const label = columnValues<number>(ds.df, 'label');
  const N = split.length;
  const D = 784;
  console.log(`loaded ${N} images from ${src}; scanning with neardup's defaults (embeddings cached in $NEARDUP_CACHE)`);
  const reason = new Map<number, { reason: string; group: string }>();
  // 1. exact duplicates
  const byBytes = new Map<string, number[]>();
  for (let i = 0; i < N; i++) {
    const k = Buffer.from(px.buffer, px.byteOffset + i * D, D).toString('base64');
    const g = byBytes.get(k);
    if (g) g.push(i);
    else byBytes.set(k, [i]);
  }
  const exactGroups = [...byBytes.values()].filter((g) => g.length > 1);
  const isExactDup = new Uint8Array(N);
  for (const g of exactGroups) for (const i of g) isExactDup[i] = 1;
  console.log(`exact duplicate groups: ${exactGroups.length} (${exactGroups.reduce((a, g) => a + g.length, 0)} images; ` +
    `${exactGroups.filter((g) => new Set(g.map((i) => split[i])).size > 1).length} cross train/test)`);

  // 2. near duplicates
  const norm = new Float64Array(N);
  const pooled = new Float32Array(N * 49);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let p = 0; p < D; p++) s += px[i * D + p] ** 2;
    norm[i] = Math.sqrt(s);
    for (let by = 0; by < 7; by++)
      for (let bx = 0; bx < 7; bx++) {
        let m = 0;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) m += px[i * D + (by * 4 + y) * 28 + bx * 4 + x];
        pooled[i * 49 + by * 7 + bx] = m / 16;
      }
  }
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => norm[a] - norm[b]);
  const T = NEAR_RMS * 28;
  const T2 = T * T;
  const pooledT2 = T2 / 16;
  const near: { a: number; b: number; d: number; r: number }[] = [];
  const t0 = Date.now();
  let fullChecks = 0;
  for (let oi = 0; oi < N; oi++) {
    const a = order[oi];
    if (isExactDup[a]) continue;
    for (let oj = oi + 1; oj < N; oj++) {
      const b = order[oj];
      if (norm[b] - norm[a] > T) break;
      if (isExactDup[b]) continue;
      let pd = 0;
      for (let k = 0; k < 49 && pd <= pooledT2; k++) {
        const t = pooled[a * 49 + k] - pooled[b * 49 + k];
        pd += t * t;
      }
      if (pd > pooledT2) continue;
      fullChecks++;
      let d2 = 0;
      for (let p = 0; p < D && d2 <= T2; p++) {
        const t = px[a * D + p] - px[b * D + p];
        d2 += t * t;
      }
      if (d2 > T2 || d2 === 0) continue;
      near.push({ a, b, d: Math.sqrt(d2), r: pearson(px, a, b, D) });
    }
  }
  console.log(`near pairs with RMS <= ${NEAR_RMS}: ${near.length} (${fullChecks} full-size checks, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const lim of [2, 4, 6, 8, 10]) {
    const sel = near.filter((p) => p.d <= lim * 28);
    if (sel.length) console.log(`  RMS <= ${lim}: ${sel.length} pairs, min corr ${Math.min(...sel.map((p) => p.r)).toFixed(4)}`);
  }
  const good = near.filter((p) => p.r >= NEAR_CORR).sort((x, y) => x.d - y.d || x.a - y.a);
  console.log(`  of which correlation >= ${NEAR_CORR}: ${good.length}; cross train/test: ${good.filter((p) => split[p.a] !== split[p.b]).length}`);

  exactGroups
    .sort((g, h) => g[0] - h[0])
    .slice(0, MAX_EXACT_GROUPS)
    .forEach((g, k) => g.forEach((i) => reason.set(i, { reason: 'exact-duplicate', group: `exact-${k}` })));
  // Near pairs become groups (connected components), so chains of near copies stay together.
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  for (const p of good.slice(0, NEAR_PAIRS)) {
    for (const x of [p.a, p.b]) if (!parent.has(x)) parent.set(x, x);
    const ra = find(p.a), rb = find(p.b);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
  const roots = [...new Set([...parent.keys()].map(find))].sort((a, b) => a - b);
  const groupOf = new Map(roots.map((r, k) => [r, k]));
  for (const x of parent.keys()) reason.set(x, { reason: 'near-duplicate', group: `near-${groupOf.get(find(x))}` });
  console.log(`kept ${Math.min(NEAR_PAIRS, good.length)} near pairs in ${roots.length} groups (${parent.size} images)`);
  const tScan = Date.now();
  const r = await scan(ds, { onProgress: (stage, done, total) => { if (done === total) console.log(`  ${stage} done`); } });
  const TH = r.threshold;
  console.log(`scan: ${((Date.now() - tScan) / 1000).toFixed(0)} s; default threshold ${TH}: ${r.summary.flagged} flagged in ${r.summary.groups} groups, ` +
    `${r.summary.cross_split} cross-split, ${r.summary.label_conflicts} label-conflict groups; timings ${JSON.stringify(r.summary.timings)}`);

  const take = (rows: number[], why: string, group: string) => rows.forEach((i) => reason.set(i, { reason: why, group }));

  // 3./4. leakage and more near duplicates, with a margin above the default threshold; groups that
  // share an image with the pixel-space pairs are left to them.
  const g = r.atThreshold(TH + MARGIN).groups;
  const nb = r.neighbors;
  const best = (rows: number[]) => {
    let s = -1;
    for (const i of rows) for (let j = 0; j < nb.k; j++) if (rows.includes(nb.indices[i * nb.k + j])) s = Math.max(s, nb.scores[i * nb.k + j]);
    return s;
  };
  const groups: { rows: number[]; best: number; cross: boolean }[] = [];
  for (let k = 0; k + 1 < g.offsets.length; k++) {
    const rows = Array.from(g.members.subarray(g.offsets[k], g.offsets[k + 1]));
    if (rows.length < 2 || rows.length > MAX_GROUP || rows.some((i) => reason.has(i))) continue;
    groups.push({ rows, best: best(rows), cross: new Set(rows.map((i) => split[i])).size > 1 });
  }
  groups.sort((a, b) => b.best - a.best || a.rows[0] - b.rows[0]);
  const cross = groups.filter((x) => x.cross).slice(0, MAX_CROSS);
  const within = groups.filter((x) => !x.cross).slice(0, MAX_NEAR);
  cross.forEach((x, k) => take(x.rows, 'cross-split', `cross-${k}`));
  within.forEach((x, k) => take(x.rows, 'scan-group', `scan-${k}`));
  console.log(`groups at ${TH + MARGIN} of 2–${MAX_GROUP} members: ${groups.length} (${groups.filter((x) => x.cross).length} cross-split); ` +
    `kept ${cross.length} cross-split (best ${cross[0]?.best.toFixed(4)}..${cross.at(-1)?.best.toFixed(4)}) and ${within.length} within a split`);
  if (cross.some((x) => new Set(x.rows.map((i) => label[i])).size > 1) || within.some((x) => new Set(x.rows.map((i) => label[i])).size > 1)) {
    console.log('  (some of these groups also carry two labels)');
  }

  // 5. label conflicts: near-identical images with different labels.
  const seen = new Set<number>();
  const conflicts: { a: number; b: number; s: number; corr: number; rule: string }[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < nb.k; j++) {
      const x = nb.indices[i * nb.k + j];
      if (x < 0 || x <= i || label[x] === label[i]) continue;
      conflicts.push({ a: i, b: x, s: nb.scores[i * nb.k + j], corr: pearson(px, i, x, D), rule: r.evidenceFor(i, x)?.rule ?? 'cosine' });
    }
  }
  conflicts.sort((p, q) => q.s - p.s || p.a - q.a);
  console.log(`different-label pairs in the k-NN lists: ${conflicts.length}; the 12 most similar:`);
  for (const p of conflicts.slice(0, 12)) console.log(`  ${r.ids[p.a]} (${label[p.a]}) ~ ${r.ids[p.b]} (${label[p.b]}): cosine ${p.s.toFixed(4)}, pixel r ${p.corr.toFixed(3)}, ${p.rule}`);
  const pickedConflicts: typeof conflicts = [];
  for (const p of conflicts) {
    if (pickedConflicts.length >= MAX_CONFLICTS) break;
    if (p.corr < CONFLICT_CORR || seen.has(p.a) || seen.has(p.b) || reason.has(p.a) || reason.has(p.b)) continue;
    seen.add(p.a).add(p.b);
    pickedConflicts.push(p);
  }
  pickedConflicts.forEach((p, k) => take([p.a, p.b], 'label-conflict', `conflict-${k}`));
  const lowest = Math.min(...pickedConflicts.map((p) => p.s));
  console.log(`kept ${pickedConflicts.length} label-conflict pairs (pixel r >= ${CONFLICT_CORR}), cosine ${pickedConflicts[0]?.s.toFixed(4)}..${lowest.toFixed(4)}: ` +
    `all are groups at ${(Math.floor((lowest - MARGIN) * 100) / 100).toFixed(2)}`);

  // 6. the most unique images.
  const byU = Array.from({ length: N }, (_, i) => i).filter((i) => Number.isFinite(r.uniqueness[i]) && !reason.has(i));
  byU.sort((a, b) => r.uniqueness[b] - r.uniqueness[a] || a - b);
  take(byU.slice(0, MOST_UNIQUE), 'most-unique', '');
  console.log(`most unique: ${byU.slice(0, MOST_UNIQUE).map((i) => `${r.ids[i]} u=${r.uniqueness[i].toFixed(3)}`).join(', ')}`);

  // C. random fill, 6:1.
  const rand = mulberry32(SEED);
  const chosenTest = () => [...reason.keys()].filter((i) => split[i] === 'test').length;
  const wantTest = Math.round(TARGET / 7);
  const pools = { train: [] as number[], test: [] as number[] };
  for (let i = 0; i < N; i++) if (!reason.has(i)) pools[split[i] as 'train' | 'test'].push(i);
  const draw = (pool: number[], count: number) => {
    for (let k = 0; k < count && pool.length; k++) {
      const j = Math.floor(rand() * pool.length);
      const i = pool[j];
      pool[j] = pool[pool.length - 1];
      pool.pop();
      reason.set(i, { reason: 'random', group: '' });
    }
  };
  draw(pools.test, Math.max(0, wantTest - chosenTest()));
  draw(pools.train, Math.max(0, TARGET - reason.size));
  const rows = [...reason.keys()].sort((a, b) => a - b); // dataset order: train then test, by index
  const data = new Uint8Array(rows.length * D);
  rows.forEach((i, k) => data.set(px.subarray(i * D, (i + 1) * D), k * D));

  const outDir = path.join(__dirname, '..', 'data', 'sample');
  await writeFileAtomic(path.join(outDir, 'images-idx3-ubyte.gz'), zlib.gzipSync(encodeIdx([rows.length, 28, 28], data), { level: 9 }));
  await writeCsv(
    rows.map((i) => ({ split: split[i], original_index: orig[i], label: label[i], reason: reason.get(i)!.reason, group: reason.get(i)!.group })),
    path.join(outDir, 'samples.csv'),
  );
  const count = (why: string) => rows.filter((i) => reason.get(i)!.reason === why).length;
  console.log(`wrote ${rows.length} images (${rows.filter((i) => split[i] === 'train').length} train, ${rows.filter((i) => split[i] === 'test').length} test): ` +
    ['near-duplicate', 'cross-split', 'scan-group', 'label-conflict', 'most-unique', 'random'].map((w) => `${count(w)} ${w}`).join(', '));
  console.log(`size: ${fs.statSync(path.join(outDir, 'images-idx3-ubyte.gz')).size} + ${fs.statSync(path.join(outDir, 'samples.csv')).size} bytes`);
}

function pearson(px: Uint8Array, a: number, b: number, D: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let p = 0; p < D; p++) {
    const x = px[a * D + p], y = px[b * D + p];
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  const cov = sab - (sa * sb) / D;
  const va = saa - (sa * sa) / D, vb = sbb - (sb * sb) / D;
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
